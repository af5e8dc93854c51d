import { EventEmitter } from "node:events";
import { timer } from "@loom/spec";
import { z } from "zod";
import {
  FAILED_STATUS_CLASSES,
  type LabelValues,
  type MetricsBackend,
  type RequestLabel,
  secondsToMs,
  successRate,
  type TrafficQuery,
  type TrafficStats,
} from "./metrics-backend.ts";
import { BUCKET_METRIC, REQUESTS_METRIC } from "./scrape.ts";

const vectorResponseSchema = z.object({
  status: z.literal("success"),
  data: z.object({
    resultType: z.literal("vector"),
    result: z.array(
      z.object({ metric: z.record(z.string(), z.string()), value: z.tuple([z.number(), z.string()]) }),
    ),
  }),
});

export interface PrometheusBackendOptions {
  /** Base URL of the Prometheus server, e.g. http://prometheus:9090. */
  url: string;
  /** How often onUpdate listeners are called (Prometheus scrapes on its own schedule). */
  intervalMs?: number;
  timeoutMs?: number;
}

/**
 * Golden metrics from a real Prometheus by PromQL instant queries. Plain fetch to /api/v1/query rather than a
 * client package: it is one GET whose answer we validate with zod anyway, and the maintained client
 * (prometheus-query) would bring axios as a second HTTP stack for that.
 */
export function createPrometheusBackend(options: PrometheusBackendOptions): MetricsBackend {
  const base = options.url.replace(/\/+$/, "");
  const timeoutMs = options.timeoutMs ?? 10_000;
  const updates = new EventEmitter();
  updates.setMaxListeners(0);
  const ticker = setInterval(() => updates.emit("update"), options.intervalMs ?? timer("scrapeIntervalMs"));
  ticker.unref();

  async function instantQuery(promql: string, at: number) {
    const url = `${base}/api/v1/query?${new URLSearchParams({ query: promql, time: String(at / 1000) })}`;
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    const body: unknown = await response.json().catch(() => undefined);
    const parsed = vectorResponseSchema.safeParse(body);
    if (!parsed.success)
      throw new Error(
        `Prometheus at ${base} did not answer "${promql}" (HTTP ${response.status}): ${JSON.stringify(body)?.slice(0, 300)}`,
      );
    return parsed.data.data.result.map(({ metric, value }) => ({ metric, value: Number(value[1]) }));
  }

  return {
    name: "prometheus",
    async traffic(query: TrafficQuery): Promise<TrafficStats[]> {
      const at = query.at ?? Date.now();
      const range = `[${Math.round(query.windowMs)}ms]`;
      const by = `by (${query.groupBy.join(",")})`;
      const byLe = `by (${[...query.groupBy, "le"].join(",")})`;
      const selector = selectorOf(query.where);
      // isFailureSeries in PromQL: classified failures, or (series without a classification) failed classes.
      const classified = selectorOf(query.where, `classification="failure"`);
      const unclassified = selectorOf(
        query.where,
        `classification=""`,
        `status_class=~"${FAILED_STATUS_CLASSES.join("|")}"`,
      );
      const failedRate = `rate(${REQUESTS_METRIC}${classified}${range}) or rate(${REQUESTS_METRIC}${unclassified}${range})`;
      const quantile = (q: number) =>
        `histogram_quantile(${q}, sum ${byLe} (rate(${BUCKET_METRIC}${selector}${range})))`;
      const keyOf = (metric: Record<string, string>) =>
        JSON.stringify(query.groupBy.map((name) => metric[name] ?? ""));
      const valuesByGroup = async (promql: string) =>
        new Map((await instantQuery(promql, at)).map((row) => [keyOf(row.metric), row.value]));
      const [total, failedByKey, p50ByKey, p95ByKey, p99ByKey] = await Promise.all([
        instantQuery(`sum ${by} (rate(${REQUESTS_METRIC}${selector}${range}))`, at),
        valuesByGroup(`sum ${by} (${failedRate})`),
        valuesByGroup(quantile(0.5)),
        valuesByGroup(quantile(0.95)),
        valuesByGroup(quantile(0.99)),
      ]);
      return total.map(({ metric, value: rps }) => {
        const key = keyOf(metric);
        const labels: LabelValues = {};
        for (const name of query.groupBy) labels[name as RequestLabel] = metric[name] ?? "";
        return {
          labels,
          rps,
          requests: (rps * query.windowMs) / 1000,
          successRate: successRate(rps, failedByKey.get(key) ?? 0),
          latencyMs: {
            p50: secondsToMs(p50ByKey.get(key) ?? Number.NaN),
            p95: secondsToMs(p95ByKey.get(key) ?? Number.NaN),
            p99: secondsToMs(p99ByKey.get(key) ?? Number.NaN),
          },
        };
      });
    },
    onUpdate(listener) {
      updates.on("update", listener);
      return () => updates.off("update", listener);
    },
    async close() {
      clearInterval(ticker);
    },
  };
}

/** `{name="value",...}` with PromQL string escaping (JSON's escapes are a subset PromQL accepts). */
function selectorOf(where: LabelValues, ...extra: string[]): string {
  const matchers = Object.entries(where).map(([name, value]) => `${name}=${JSON.stringify(value)}`);
  return `{${[...matchers, ...extra].join(",")}}`;
}
