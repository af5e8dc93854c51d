import type { StoreProvider } from "./database-target.ts";
import { idChunks } from "./dataplanes.ts";
import { NotFoundError } from "./errors.ts";
import type { StoreClient } from "./prisma-client.ts";

export interface AckReport {
  dataplaneId: number;
  version: string;
  ok: boolean;
  /** Why the proxy refused the snapshot (a NACK). */
  error?: string;
}

/** A proxy's latest report, as kept on its Dataplane row. */
export interface PropagationReport {
  dataplaneId: number;
  version: string;
  ok: boolean;
  error: string | null;
  at: Date;
}

/** Reports per statement: under SQLite's bound of 999 parameters per statement. */
const REPORTS_PER_STATEMENT = 150;
const NO_REASON = "rejected without a reason";

/**
 * ACKs and NACKs of snapshot versions, the raw material of propagation progress. Each proxy's latest report
 * lives on its Dataplane row (acked version, or the NACKed version and its reason, and when): progress only
 * ever asks for the latest, and a thousand proxies ACK every config change.
 */
export function createPropagationAckRepository(prisma: StoreClient, provider: StoreProvider) {
  const placeholder = provider === "sqlite" ? () => "?" : (index: number) => `$${index}`;

  /**
   * One UPDATE for many proxies' reports (each proxy its own values): Prisma would need one statement per
   * proxy, which is what made a thousand ACKs take seconds.
   */
  function updateDataplanes(reports: readonly AckReport[], at: Date) {
    const params: unknown[] = [];
    const param = (value: unknown) => {
      params.push(value);
      return placeholder(params.length);
    };
    // SQLite's placeholders are positional: the parts are built in the order they appear in the statement.
    const perProxy = (value: (report: AckReport) => unknown) =>
      `CASE "id" ${reports.map((report) => `WHEN ${param(report.dataplaneId)} THEN ${param(value(report))}`).join(" ")} END`;
    const acked = reports.filter((report) => report.ok);
    const setAcked =
      acked.length > 0
        ? `"ackedVersion" = CASE "id" ${acked.map((report) => `WHEN ${param(report.dataplaneId)} THEN ${param(report.version)}`).join(" ")} ELSE "ackedVersion" END, `
        : "";
    const setLastNack = `"lastNack" = ${perProxy((report) => (report.ok ? null : (report.error ?? NO_REASON)))}, `;
    const setNackedVersion = `"nackedVersion" = ${perProxy((report) => (report.ok ? null : report.version))}, `;
    const setReportedAt = `"reportedAt" = ${param(at)} `;
    const ids = reports.map((report) => param(report.dataplaneId));
    return prisma.$executeRawUnsafe(
      `UPDATE "Dataplane" SET ${setAcked}${setLastNack}${setNackedVersion}${setReportedAt}WHERE "id" IN (${ids.join(", ")})`,
      ...params,
    );
  }

  async function recordMany(reports: readonly AckReport[]): Promise<number> {
    if (reports.length === 0) return 0;
    // A later report of the same proxy wins.
    const latest = [...new Map(reports.map((report) => [report.dataplaneId, report])).values()];
    const at = new Date();
    const statements = [];
    for (let start = 0; start < latest.length; start += REPORTS_PER_STATEMENT) {
      statements.push(updateDataplanes(latest.slice(start, start + REPORTS_PER_STATEMENT), at));
    }
    const updated = await prisma.$transaction(statements);
    return updated.reduce((sum, count) => sum + count, 0);
  }

  return {
    /** Records a proxy's report as its latest. */
    async record(report: AckReport): Promise<void> {
      if ((await recordMany([report])) === 0) {
        throw new NotFoundError(`dataplane ${report.dataplaneId} is not registered`);
      }
    },

    /** Records many reports at once, as `record` would one by one; reports of proxies that no longer exist are dropped. */
    async recordMany(reports: readonly AckReport[]): Promise<void> {
      await recordMany(reports);
    },

    /** Per proxy of `dataplaneIds`, its latest report if it was made at or after `since`. */
    async latestSince(dataplaneIds: readonly number[], since: Date): Promise<Map<number, PropagationReport>> {
      const latest = new Map<number, PropagationReport>();
      for (const chunk of idChunks(dataplaneIds)) {
        const rows = await prisma.dataplane.findMany({
          where: { id: { in: chunk }, reportedAt: { gte: since } },
          select: { id: true, ackedVersion: true, lastNack: true, nackedVersion: true, reportedAt: true },
        });
        for (const row of rows) {
          const ok = row.lastNack === null;
          latest.set(row.id, {
            dataplaneId: row.id,
            version: (ok ? row.ackedVersion : row.nackedVersion) ?? "",
            ok,
            error: row.lastNack,
            at: row.reportedAt ?? since,
          });
        }
      }
      return latest;
    },
  };
}

export type PropagationAckRepository = ReturnType<typeof createPropagationAckRepository>;
