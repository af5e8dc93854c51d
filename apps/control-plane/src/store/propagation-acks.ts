import type { StoreProvider } from "./database-target.ts";
import { idChunks } from "./dataplanes.ts";
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

/** Reports per statement: five parameters each, under SQLite's bound of 999 parameters per statement. */
const REPORTS_PER_STATEMENT = 150;

/** ACKs and NACKs of snapshot versions, the raw material of propagation progress. */
export function createPropagationAckRepository(prisma: StoreClient, provider: StoreProvider) {
  const placeholder = provider === "sqlite" ? () => "?" : (index: number) => `$${index}`;
  /** Values bound to a raw statement, and the placeholder that names each in it. */
  const statementParams = () => {
    const params: unknown[] = [];
    const param = (value: unknown) => {
      params.push(value);
      return placeholder(params.length);
    };
    return { params, param };
  };

  /** The reports as rows of the log, in one raw INSERT: Prisma's createMany costs a query compilation per batch. */
  function insertReports(reports: readonly AckReport[], at: Date) {
    const { params, param } = statementParams();
    const rows = reports.map(
      ({ dataplaneId, version, ok, error }) =>
        `(${param(dataplaneId)}, ${param(version)}, ${param(ok)}, ${param(ok ? null : (error ?? null))}, ${param(at)})`,
    );
    return prisma.$executeRawUnsafe(
      `INSERT INTO "PropagationAck" ("dataplaneId", "version", "ok", "error", "at") VALUES ${rows.join(", ")}`,
      ...params,
    );
  }

  /**
   * One UPDATE for many proxies' acked version / last NACK (each proxy its own value): Prisma would need one
   * statement per proxy, which is what made a thousand ACKs take seconds.
   */
  function updateDataplanes(reports: readonly AckReport[]) {
    const { params, param } = statementParams();
    const acked = reports.filter((report) => report.ok);
    const ackedVersion = acked.map(
      (report) => `WHEN ${param(report.dataplaneId)} THEN ${param(report.version)}`,
    );
    const lastNack = reports.map((report) =>
      report.ok
        ? `WHEN ${param(report.dataplaneId)} THEN NULL`
        : `WHEN ${param(report.dataplaneId)} THEN ${param(report.error ?? "rejected without a reason")}`,
    );
    const ids = reports.map((report) => param(report.dataplaneId));
    const setAcked =
      ackedVersion.length > 0
        ? `"ackedVersion" = CASE "id" ${ackedVersion.join(" ")} ELSE "ackedVersion" END, `
        : "";
    return prisma.$executeRawUnsafe(
      `UPDATE "Dataplane" SET ${setAcked}"lastNack" = CASE "id" ${lastNack.join(" ")} ELSE "lastNack" END ` +
        `WHERE "id" IN (${ids.join(", ")})`,
      ...params,
    );
  }

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

    /**
     * Records many reports in one transaction, as `record` would one by one (a later report of the same
     * proxy wins). All or nothing: a report of a proxy that no longer exists fails the whole batch.
     */
    async recordMany(reports: readonly AckReport[]): Promise<void> {
      if (reports.length === 0) return;
      const latest = [...new Map(reports.map((report) => [report.dataplaneId, report])).values()];
      // A batch transaction (statements known up front) costs about half of an interactive one here.
      const statements = [];
      const at = new Date();
      for (let start = 0; start < reports.length; start += REPORTS_PER_STATEMENT) {
        statements.push(insertReports(reports.slice(start, start + REPORTS_PER_STATEMENT), at));
      }
      for (let start = 0; start < latest.length; start += REPORTS_PER_STATEMENT) {
        statements.push(updateDataplanes(latest.slice(start, start + REPORTS_PER_STATEMENT)));
      }
      await prisma.$transaction(statements);
    },

    /** Per proxy of `dataplaneIds`, its newest report made at or after `since`. */
    async latestSince(
      dataplaneIds: readonly number[],
      since: Date,
    ): Promise<Map<number, PropagationAckRecord>> {
      const latest = new Map<number, PropagationAckRecord>();
      for (const chunk of idChunks(dataplaneIds)) {
        const rows = await prisma.propagationAck.findMany({
          where: { dataplaneId: { in: chunk }, at: { gte: since } },
          orderBy: { id: "asc" },
        });
        for (const row of rows) latest.set(row.dataplaneId, row);
      }
      return latest;
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
