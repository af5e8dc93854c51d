import { writeAudit } from "./audit-log.ts";
import { NotFoundError } from "./errors.ts";
import type { ApiToken as ApiTokenRow } from "./generated/sqlite/client.ts";
import type { StoreClient } from "./prisma-client.ts";
import { asRole, type Role } from "./roles.ts";
import { hashToken, newSecretToken } from "./secret-token.ts";

export interface ApiTokenRecord {
  id: number;
  name: string;
  role: Role;
  userId: number | null;
  createdAt: Date;
  revokedAt: Date | null;
}

function toRecord({ tokenHash: _hash, ...row }: ApiTokenRow): ApiTokenRecord {
  return { ...row, role: asRole(row.role) };
}

/** CLI tokens (loomctl). */
export function createApiTokenRepository(prisma: StoreClient) {
  return {
    /** The plaintext token is returned here once and never stored. */
    async issue(
      input: { name: string; role: Role; userId?: number },
      { actor }: { actor: string },
    ): Promise<{ token: string; record: ApiTokenRecord }> {
      const token = newSecretToken("loom_api");
      const row = await prisma.$transaction(async (tx) => {
        const created = await tx.apiToken.create({
          data: {
            name: input.name,
            role: asRole(input.role),
            userId: input.userId,
            tokenHash: hashToken(token),
          },
        });
        await writeAudit(tx, {
          actor,
          action: "issue",
          kind: "ApiToken",
          name: input.name,
          mesh: "",
          detail: { id: created.id, role: input.role },
        });
        return created;
      });
      return { token, record: toRecord(row) };
    },

    /** The token's record when it exists and is not revoked. */
    async verify(token: string): Promise<ApiTokenRecord | null> {
      const row = await prisma.apiToken.findUnique({ where: { tokenHash: hashToken(token) } });
      return row && row.revokedAt === null ? toRecord(row) : null;
    },

    async list(): Promise<ApiTokenRecord[]> {
      return (await prisma.apiToken.findMany({ orderBy: { id: "asc" } })).map(toRecord);
    },

    /** Idempotent: revoking a revoked token keeps the first revocation time. */
    async revoke(id: number, { actor }: { actor: string }): Promise<ApiTokenRecord> {
      return prisma.$transaction(async (tx) => {
        const row = await tx.apiToken.findUnique({ where: { id } });
        if (!row) throw new NotFoundError(`API token ${id} does not exist`);
        const revoked =
          row.revokedAt === null
            ? await tx.apiToken.update({ where: { id }, data: { revokedAt: new Date() } })
            : row;
        await writeAudit(tx, {
          actor,
          action: "revoke",
          kind: "ApiToken",
          name: row.name,
          mesh: "",
          detail: { id },
        });
        return toRecord(revoked);
      });
    },
  };
}

export type ApiTokenRepository = ReturnType<typeof createApiTokenRepository>;
