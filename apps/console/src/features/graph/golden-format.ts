import type { GoldenMetrics } from "./use-service-graph";

export type Health = "healthy" | "degraded" | "failing" | "idle";

/** The thresholds Kiali and Linkerd viz users read colours by: under 99 % success is worth a look, 95 % is bad. */
export function healthOf(metrics: GoldenMetrics | null): Health {
  if (metrics === null || metrics.successRate === null) return "idle";
  if (metrics.successRate >= 0.99) return "healthy";
  return metrics.successRate >= 0.95 ? "degraded" : "failing";
}

export function formatRps(rps: number): string {
  return rps >= 10 ? rps.toFixed(0) : rps.toFixed(rps >= 1 ? 1 : 2);
}

export function formatSuccess(successRate: number | null): string {
  return successRate === null ? "–" : `${(successRate * 100).toFixed(successRate >= 0.999 ? 1 : 2)}%`;
}

export function formatMs(ms: number | null): string {
  if (ms === null) return "–";
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(ms >= 10 ? 0 : 1)} ms`;
}

/** One line for an edge: "12 rps · 99.5% · p99 34 ms". */
export function edgeSummary(metrics: GoldenMetrics): string {
  return `${formatRps(metrics.rps)} rps · ${formatSuccess(metrics.successRate)} · p99 ${formatMs(metrics.latencyMs.p99)}`;
}
