import { upperBoundOf } from "./bucket-index.ts";
import {
  type LabelValues,
  type RequestLabel,
  secondsToMs,
  successRate,
  type TrafficStats,
} from "./metrics-backend.ts";
import { type Bucket, bucketQuantile } from "./promql-math.ts";
import type { GroupTotals } from "./target-series.ts";

interface AggregationGroup {
  labels: LabelValues;
  rps: number;
  failedRps: number;
  /** Summed bucket rates by bucket index (see bucketIndex). */
  buckets: number[];
}

/** Sums per-series rates into the groups of a query, as `sum by (...)` does, then derives the golden signals. */
export class TrafficAggregation {
  private readonly groups = new Map<string, AggregationGroup>();

  constructor(
    private readonly groupBy: readonly RequestLabel[],
    private readonly windowMs: number,
  ) {}

  /** The group a label set adds to; look it up once per label set, then add each of its series. */
  groupFor(labels: Record<string, string>): AggregationGroup {
    // A plain joined key: this runs for every label set of every query.
    let key = "";
    for (const name of this.groupBy) key += `${labels[name] ?? ""}\u0000`;
    let group = this.groups.get(key);
    if (group === undefined) {
      const groupLabels: LabelValues = {};
      for (const name of this.groupBy) groupLabels[name] = labels[name] ?? "";
      group = { labels: groupLabels, rps: 0, failedRps: 0, buckets: [] };
      this.groups.set(key, group);
    }
    return group;
  }

  /** Adds one label set's rates (see GroupTotals) to the group it falls in. */
  add(group: AggregationGroup, totals: GroupTotals): void {
    group.rps += totals.rps;
    group.failedRps += totals.failedRps;
    const { buckets } = totals;
    for (let index = 0; index < buckets.length; index++) {
      const rate = buckets[index];
      if (rate !== undefined) group.buckets[index] = (group.buckets[index] ?? 0) + rate;
    }
  }

  result(): TrafficStats[] {
    return [...this.groups.values()].map(({ labels, rps, failedRps, buckets }) => {
      const cumulative: Bucket[] = [];
      buckets.forEach((count, index) => {
        cumulative.push({ upperBound: upperBoundOf(index), count });
      });
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
}
