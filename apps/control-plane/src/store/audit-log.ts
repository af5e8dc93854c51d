import type { StoreClient, StoreTransaction } from "./prisma-client.ts";

export interface AuditEntry {
  actor: string;
  action: string;
  kind: string;
  name: string;
  mesh: string;
  detail?: Record<string, unknown>;
}

export interface AuditRecord extends Required<AuditEntry> {
  id: number;
  at: Date;
}

/** Writes an audit row; pass the transaction of the change it describes so both commit or neither. */
export async function writeAudit(tx: StoreTransaction, entry: AuditEntry): Promise<void> {
  await tx.auditLog.create({ data: { ...entry, detail: JSON.stringify(entry.detail ?? {}) } });
}

export interface AuditQuery {
  kind?: string;
  mesh?: string;
  name?: string;
  actor?: string;
  limit?: number;
}

export function createAuditLogRepository(prisma: StoreClient) {
  return {
    /** Newest first. */
    async list({ limit = 100, ...where }: AuditQuery = {}): Promise<AuditRecord[]> {
      const rows = await prisma.auditLog.findMany({ where, orderBy: { id: "desc" }, take: limit });
      return rows.map((row) => ({ ...row, detail: JSON.parse(row.detail) as Record<string, unknown> }));
    },

    /** Deletes entries written before `before`; answers how many. */
    async deleteOlderThan(before: Date): Promise<number> {
      return (await prisma.auditLog.deleteMany({ where: { at: { lt: before } } })).count;
    },
  };
}

export type AuditLogRepository = ReturnType<typeof createAuditLogRepository>;
