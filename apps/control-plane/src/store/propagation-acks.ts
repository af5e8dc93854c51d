import type { PropagationAck as PropagationAckRow } from "./generated/sqlite/client.ts";
import type { StoreClient } from "./prisma-client.ts";

export type PropagationAckRecord = PropagationAckRow;

export interface AckReport {
  dataplaneId: number;
  version: string;
  ok: boolean;
  /** Why the proxy refused the snapshot (a NACK). */
  error?: string;
}

/** ACKs and NACKs of snapshot versions, the raw material of propagation progress. */
export function createPropagationAckRepository(prisma: StoreClient) {
  return {
    /** Records the report and, in the same transaction, the proxy's acked version or last NACK. */
    async record({ dataplaneId, version, ok, error }: AckReport): Promise<PropagationAckRecord> {
      return prisma.$transaction(async (tx) => {
        const ack = await tx.propagationAck.create({
          data: { dataplaneId, version, ok, error: ok ? null : error },
        });
        await tx.dataplane.update({
          where: { id: dataplaneId },
          data: ok
            ? { ackedVersion: version, lastNack: null }
            : { lastNack: error ?? "rejected without a reason" },
        });
        return ack;
      });
    },

    async listForVersion(version: string): Promise<PropagationAckRecord[]> {
      return prisma.propagationAck.findMany({ where: { version }, orderBy: { id: "asc" } });
    },

    /** Newest first. */
    async listForDataplane(dataplaneId: number, limit = 50): Promise<PropagationAckRecord[]> {
      return prisma.propagationAck.findMany({ where: { dataplaneId }, orderBy: { id: "desc" }, take: limit });
    },

    /** Deletes reports older than `cutoff`; returns how many. */
    async prune(cutoff: Date): Promise<number> {
      return (await prisma.propagationAck.deleteMany({ where: { at: { lt: cutoff } } })).count;
    },
  };
}

export type PropagationAckRepository = ReturnType<typeof createPropagationAckRepository>;
