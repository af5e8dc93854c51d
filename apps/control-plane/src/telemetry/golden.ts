import type {
  LabelValues,
  MetricsBackend,
  RequestLabel,
  TrafficQuery,
  TrafficStats,
} from "./metrics-backend.ts";
import { METRICS_WINDOWS_MS, type MetricsWindow } from "./windows.ts";

export type GoldenMetrics = Omit<TrafficStats, "labels">;

/** What a row of golden metrics stands for. */
export type GoldenGrouping = "service" | "version" | "route" | "edge";

export interface GoldenRow extends GoldenMetrics {
  service: string;
  version?: string;
  route?: string;
  /** For edges: the calling service (`service` is the called one). */
  source?: string;
}

/**
 * Which side reports what: a service and its versions are measured where they are called (the inbound
 * proxy, so callers outside the mesh count too); routes and edges where the call is made (the outbound
 * proxy, the only side that knows the TrafficRoute and sees failures to connect).
 */
const GROUPINGS: Record<GoldenGrouping, { direction: "inbound" | "outbound"; groupBy: RequestLabel[] }> = {
  service: { direction: "inbound", groupBy: ["destination"] },
  version: { direction: "inbound", groupBy: ["destination", "destination_version"] },
  route: { direction: "outbound", groupBy: ["destination", "route"] },
  edge: { direction: "outbound", groupBy: ["source", "destination"] },
};

export interface GoldenQuery {
  grouping: GoldenGrouping;
  /** Only this service (for edges: calls to or from it). */
  service?: string;
  window: MetricsWindow;
}

export async function goldenMetrics(backend: MetricsBackend, query: GoldenQuery): Promise<GoldenRow[]> {
  const { direction, groupBy } = GROUPINGS[query.grouping];
  const windowMs = METRICS_WINDOWS_MS[query.window];
  const selections: LabelValues[] =
    query.service === undefined
      ? [{ direction }]
      : query.grouping === "edge"
        ? [
            { direction, destination: query.service },
            { direction, source: query.service },
          ]
        : [{ direction, destination: query.service }];
  const results = await Promise.all(
    selections.map((where) => backend.traffic({ where, groupBy, windowMs } satisfies TrafficQuery)),
  );
  const rows = new Map<string, GoldenRow>();
  for (const { labels, ...metrics } of results.flat()) {
    const row: GoldenRow = { service: labels.destination ?? "", ...metrics };
    if (labels.destination_version !== undefined) row.version = labels.destination_version;
    if (labels.route !== undefined) row.route = labels.route;
    if (labels.source !== undefined) row.source = labels.source;
    // A self-call matches both edge selections.
    rows.set(JSON.stringify([row.source, row.service, row.version, row.route]), row);
  }
  return [...rows.values()].sort(
    (a, b) =>
      compare(a.source ?? "", b.source ?? "") ||
      compare(a.service, b.service) ||
      compare(a.version ?? "", b.version ?? "") ||
      compare(a.route ?? "", b.route ?? ""),
  );
}

function compare(a: string, b: string): number {
  if (a < b) return -1;
  return a > b ? 1 : 0;
}
