import { LATENCY_BUCKETS_SECONDS, METRICS } from "@loom/spec";
import { Counter, Histogram, Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { ProxyMetrics } from "../src/telemetry/metrics.ts";

function lines(text: string, prefix: string): string[] {
  return text.split("\n").filter((line) => line.includes(prefix));
}

describe("request metrics", () => {
  it("print exactly what prom-client's Counter and Histogram would, line for line", async () => {
    const reference = new Registry();
    const counter = new Counter({
      name: METRICS.requests.name,
      help: METRICS.requests.help,
      labelNames: METRICS.requests.labels,
      registers: [reference],
    });
    const histogram = new Histogram({
      name: METRICS.requestDuration.name,
      help: METRICS.requestDuration.help,
      labelNames: METRICS.requestDuration.labels,
      buckets: [...LATENCY_BUCKETS_SECONDS],
      registers: [reference],
    });
    const ours = new ProxyMetrics();
    const observations: [string, string, number | undefined, boolean, number][] = [
      ["outbound", "v1", 200, false, 0.0004],
      ["outbound", "v1", 204, false, 0.003],
      ["outbound", "v2", 503, false, 0.2],
      ["inbound", "v1", undefined, true, 31],
      ["outbound", "v1", 200, false, 0.0005],
      ["inbound", "v1", 404, true, 0.01],
    ];
    for (const [direction, version, status, tls, seconds] of observations) {
      const klass = status === undefined ? "error" : `${Math.floor(status / 100)}xx`;
      const labels = [direction, "web", "cart", version, "default", klass, String(tls)] as const;
      counter.labels(...labels).inc();
      histogram.labels(...labels).observe(seconds);
      ours.observeRequest(
        direction as "inbound" | "outbound",
        "web",
        "cart",
        version,
        "default",
        status,
        tls,
        seconds,
      );
    }
    const expected = await reference.metrics();
    const actual = await ours.registry.metrics();
    for (const name of [METRICS.requests.name, METRICS.requestDuration.name]) {
      expect(lines(actual, name)).toEqual(lines(expected, name));
    }
  });
});
