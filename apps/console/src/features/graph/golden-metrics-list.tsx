import { formatMs, formatRps, formatSuccess } from "./golden-format";
import type { GoldenMetrics } from "./use-service-graph";

export function GoldenMetricsList({ metrics }: { metrics: GoldenMetrics }) {
  return (
    <dl className="facts">
      <dt>Requests</dt>
      <dd>{formatRps(metrics.rps)} rps</dd>
      <dt>Success</dt>
      <dd>{formatSuccess(metrics.successRate)}</dd>
      <dt>Latency</dt>
      <dd>
        p50 {formatMs(metrics.latencyMs.p50)} · p95 {formatMs(metrics.latencyMs.p95)} · p99{" "}
        {formatMs(metrics.latencyMs.p99)}
      </dd>
    </dl>
  );
}
