import { writeAudit } from "./audit-log.ts";
import { NotFoundError } from "./errors.ts";
import type { DataplaneToken as DataplaneTokenRow } from "./generated/sqlite/client.ts";
import type { StoreClient } from "./prisma-client.ts";
import { defaultNamespace } from "./resource-model.ts";
import { hashToken, newSecretToken } from "./secret-token.ts";

export interface DataplaneTokenRecord {
  id: number;
  mesh: string;
  namespace: string;
  service: string;
  createdAt: Date;
  revokedAt: Date | null;
}

function toRecord({ tokenHash: _hash, ...row }: DataplaneTokenRow): DataplaneTokenRecord {
  return row;
}

/** Tokens proxies present to register and to get a certificate for their own service only. */
export function createDataplaneTokenRepository(prisma: StoreClient) {
  return {
    /** The plaintext token is returned here once and never stored. */
    async issue(
      input: { mesh: string; namespace?: string; service: string },
      { actor }: { actor: string },
    ): Promise<{ token: string; record: DataplaneTokenRecord }> {
      const token = newSecretToken("loom_dp");
      const scope = {
        mesh: input.mesh,
        namespace: input.namespace ?? defaultNamespace,
        service: input.service,
      };
      const row = await prisma.$transaction(async (tx) => {
        const created = await tx.dataplaneToken.create({ data: { ...scope, tokenHash: hashToken(token) } });
        await writeAudit(tx, {
          actor,
          action: "issue",
          kind: "DataplaneToken",
          name: scope.service,
          mesh: scope.mesh,
          detail: { id: created.id, namespace: scope.namespace },
        });
        return created;
      });
      return { token, record: toRecord(row) };
    },

    /** The token's scope when it exists and is not revoked. */
    async verify(token: string): Promise<DataplaneTokenRecord | null> {
      const row = await prisma.dataplaneToken.findUnique({ where: { tokenHash: hashToken(token) } });
      return row && row.revokedAt === null ? toRecord(row) : null;
    },

    async list(
      filter: { mesh?: string; namespace?: string; service?: string } = {},
    ): Promise<DataplaneTokenRecord[]> {
      return (await prisma.dataplaneToken.findMany({ where: filter, orderBy: { id: "asc" } })).map(toRecord);
    },

    /** Idempotent: revoking a revoked token keeps the first revocation time. */
    async revoke(id: number, { actor }: { actor: string }): Promise<DataplaneTokenRecord> {
      return prisma.$transaction(async (tx) => {
        const row = await tx.dataplaneToken.findUnique({ where: { id } });
        if (!row) throw new NotFoundError(`Dataplane token ${id} does not exist`);
        const revoked =
          row.revokedAt === null
            ? await tx.dataplaneToken.update({ where: { id }, data: { revokedAt: new Date() } })
            : row;
        await writeAudit(tx, {
          actor,
          action: "revoke",
          kind: "DataplaneToken",
          name: row.service,
          mesh: row.mesh,
          detail: { id, namespace: row.namespace },
        });
        return toRecord(revoked);
      });
    },
  };
}

export type DataplaneTokenRepository = ReturnType<typeof createDataplaneTokenRepository>;
