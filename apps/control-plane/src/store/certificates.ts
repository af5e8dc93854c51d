import { writeAudit } from "./audit-log.ts";
import { NotFoundError } from "./errors.ts";
import type { Certificate as CertificateRow } from "./generated/sqlite/client.ts";
import type { StoreClient } from "./prisma-client.ts";

export type CertificateRecord = CertificateRow;

export interface CertificateIssue {
  serial: string;
  /** SPIFFE URI, spiffe://<trust-domain>/ns/<namespace>/sa/<service>. */
  identity: string;
  dataplaneId?: number;
  notBefore: Date;
  notAfter: Date;
}

export interface CertificateFilter {
  dataplaneId?: number;
  identity?: string;
  /** Only certificates valid at this instant: inside their validity window and not revoked. */
  validAt?: Date;
}

/** Leaf certificates the CA issued (metadata only; the certificate itself lives with the proxy). */
export function createCertificateRepository(prisma: StoreClient) {
  return {
    async record(issue: CertificateIssue): Promise<CertificateRecord> {
      return prisma.certificate.create({ data: issue });
    },

    async get(serial: string): Promise<CertificateRecord | null> {
      return prisma.certificate.findUnique({ where: { serial } });
    },

    async list({ dataplaneId, identity, validAt }: CertificateFilter = {}): Promise<CertificateRecord[]> {
      return prisma.certificate.findMany({
        where: {
          dataplaneId,
          identity,
          ...(validAt && { notBefore: { lte: validAt }, notAfter: { gt: validAt }, revokedAt: null }),
        },
        orderBy: { id: "asc" },
      });
    },

    /** Forgets certificates that expired before `before`; answers how many. */
    async deleteExpiredBefore(before: Date): Promise<number> {
      return (await prisma.certificate.deleteMany({ where: { notAfter: { lt: before } } })).count;
    },

    /** Idempotent: revoking a revoked certificate keeps the first revocation time. */
    async revoke(serial: string, { actor }: { actor: string }): Promise<CertificateRecord> {
      return prisma.$transaction(async (tx) => {
        const row = await tx.certificate.findUnique({ where: { serial } });
        if (!row) throw new NotFoundError(`Certificate ${serial} does not exist`);
        const revoked =
          row.revokedAt === null
            ? await tx.certificate.update({ where: { serial }, data: { revokedAt: new Date() } })
            : row;
        await writeAudit(tx, {
          actor,
          action: "revoke",
          kind: "Certificate",
          name: serial,
          mesh: "",
          detail: { identity: row.identity },
        });
        return revoked;
      });
    },
  };
}

export type CertificateRepository = ReturnType<typeof createCertificateRepository>;
