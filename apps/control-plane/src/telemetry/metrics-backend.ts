import type { Classification, METRICS, StatusClass } from "@loom/spec";

export type RequestLabel = (typeof METRICS.requests.labels)[number];
export type LabelValues = Partial<Record<RequestLabel, string>>;

/**
 * A proxy labels each request series with its classification (success or failure, gRPC status included: see
 * classifyResponse in @loom/spec). A series without one (a proxy from before that label) falls back to
 * these status classes: 5xx answers and requests that got no answer.
 */
export const FAILED_STATUS_CLASSES: readonly StatusClass[] = ["5xx", "error"];

export function isFailureSeries(labels: Record<string, string>): boolean {
  const { classification } = labels;
  if (classification !== undefined) return classification === ("failure" satisfies Classification);
  return (FAILED_STATUS_CLASSES as readonly string[]).includes(labels.status_class ?? "");
}

/** One aggregation of the request metrics, as `sum by (groupBy) (rate(...[window]))` would express it. */
export interface TrafficQuery {
  /** Exact matches on the request labels; `direction` picks the reporting side (inbound: the callee's proxy). */
  where: LabelValues;
  groupBy: readonly RequestLabel[];
  windowMs: number;
  /** Evaluation time (ms since the epoch); now when absent. */
  at?: number;
}

export interface LatencyQuantiles {
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

export interface TrafficStats {
  /** The values of the query's groupBy labels. */
  labels: LabelValues;
  /** Requests per second over the window. */
  rps: number;
  /** Requests in the window (rps × window). */
  requests: number;
  /** Share of requests that were not failures (0..1); null without requests. */
  successRate: number | null;
  latencyMs: LatencyQuantiles;
}

/**
 * Where golden metrics come from: the in-memory telemetry hub, or a Prometheus scraping the same proxies.
 * Both answer with PromQL's semantics (rate extrapolation, histogram_quantile interpolation).
 */
export interface MetricsBackend {
  readonly name: "hub" | "prometheus";
  traffic(query: TrafficQuery): Promise<TrafficStats[]>;
  /** Called after each scrape (hub) or each scrape interval (Prometheus); returns the unsubscribe function. */
  onUpdate(listener: () => void): () => void;
  close(): Promise<void>;
}

export function successRate(rps: number, failedRps: number): number | null {
  return rps > 0 ? Math.min(1, Math.max(0, (rps - failedRps) / rps)) : null;
}

/** Seconds (as the histogram records them) to milliseconds; NaN (no observations) to null. */
export function secondsToMs(seconds: number): number | null {
  return Number.isFinite(seconds) ? seconds * 1000 : null;
}
