import {
  FAILED_STATUS_CLASSES,
  type LabelValues,
  type RequestLabel,
  secondsToMs,
  successRate,
  type TrafficStats,
} from "./metrics-backend.ts";
import { type Bucket, bucketQuantile } from "./promql-math.ts";

/** Sums per-series rates into the groups of a query, as `sum by (...)` does, then derives the golden signals. */
export class TrafficAggregation {
  private readonly groups = new Map<
    string,
    { labels: LabelValues; rps: number; failedRps: number; buckets: Map<number, number> }
  >();

  constructor(
    private readonly groupBy: readonly RequestLabel[],
    private readonly windowMs: number,
  ) {}

  addRequests(labels: Record<string, string>, rate: number): void {
    const group = this.groupOf(labels);
    group.rps += rate;
    if ((FAILED_STATUS_CLASSES as readonly string[]).includes(labels.status_class ?? ""))
      group.failedRps += rate;
  }

  addBucket(labels: Record<string, string>, rate: number): void {
    const upperBound = labels.le === "+Inf" ? Number.POSITIVE_INFINITY : Number(labels.le);
    if (Number.isNaN(upperBound)) return;
    const { buckets } = this.groupOf(labels);
    buckets.set(upperBound, (buckets.get(upperBound) ?? 0) + rate);
  }

  result(): TrafficStats[] {
    return [...this.groups.values()].map(({ labels, rps, failedRps, buckets }) => {
      const cumulative: Bucket[] = [...buckets].map(([upperBound, count]) => ({ upperBound, count }));
      const quantile = (q: number) => secondsToMs(bucketQuantile(q, cumulative));
      return {
        labels,
        rps,
        requests: (rps * this.windowMs) / 1000,
        successRate: successRate(rps, failedRps),
        latencyMs: { p50: quantile(0.5), p95: quantile(0.95), p99: quantile(0.99) },
      };
    });
  }

  private groupOf(labels: Record<string, string>) {
    const values = this.groupBy.map((name) => labels[name] ?? "");
    const key = JSON.stringify(values);
    let group = this.groups.get(key);
    if (group === undefined) {
      const groupLabels: LabelValues = {};
      this.groupBy.forEach((name, index) => {
        groupLabels[name] = values[index];
      });
      group = { labels: groupLabels, rps: 0, failedRps: 0, buckets: new Map() };
      this.groups.set(key, group);
    }
    return group;
  }
}
