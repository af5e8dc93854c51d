import type { Store } from "../store/index.ts";
import { createTelemetryHub, type TelemetryHub } from "./hub.ts";
import type { MetricsBackend } from "./metrics-backend.ts";
import { createPrometheusBackend } from "./prometheus-backend.ts";
import { onlineDataplaneTargets } from "./targets.ts";

export {
  type GoldenGrouping,
  type GoldenMetrics,
  type GoldenQuery,
  type GoldenRow,
  goldenMetrics,
} from "./golden.ts";
export {
  buildServiceGraph,
  type EdgeMtls,
  type GraphEdge,
  type GraphService,
  type ServiceGraph,
} from "./graph.ts";
export { createTelemetryHub, type TargetHealth, type TelemetryHub, type TelemetryHubOptions } from "./hub.ts";
export type { LabelValues, MetricsBackend, TrafficQuery, TrafficStats } from "./metrics-backend.ts";
export { createPrometheusBackend, type PrometheusBackendOptions } from "./prometheus-backend.ts";
export type { ScrapeTarget } from "./scrape.ts";
export { onlineDataplaneTargets } from "./targets.ts";
export { METRICS_WINDOWS_MS, type MetricsWindow, metricsWindowSchema } from "./windows.ts";

export interface MetricsSource {
  backend: MetricsBackend;
  /** Present when the control plane scrapes the proxies itself (no LOOM_PROMETHEUS_URL). */
  hub: TelemetryHub | undefined;
}

/**
 * LOOM_PROMETHEUS_URL set: answers come from that Prometheus (which scrapes the proxies itself). Otherwise the
 * built-in hub scrapes every online proxy; call `hub.start()` once the server is up.
 */
export function createMetricsSource(store: Store, env: NodeJS.ProcessEnv = process.env): MetricsSource {
  const prometheusUrl = env.LOOM_PROMETHEUS_URL;
  if (prometheusUrl) return { backend: createPrometheusBackend({ url: prometheusUrl }), hub: undefined };
  const hub = createTelemetryHub({ listTargets: onlineDataplaneTargets(store) });
  return { backend: hub, hub };
}
