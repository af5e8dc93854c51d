import { classifyResponse, LATENCY_BUCKETS_SECONDS, METRICS } from "@loom/spec";
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
    // direction, version, HTTP status, grpc-status (gRPC calls only), tls, seconds
    const observations: [string, string, number | undefined, number | undefined, boolean, number][] = [
      ["outbound", "v1", 200, undefined, false, 0.0004],
      ["outbound", "v1", 204, undefined, false, 0.003],
      ["outbound", "v2", 503, undefined, false, 0.2],
      ["inbound", "v1", undefined, undefined, true, 31],
      ["outbound", "v1", 200, undefined, false, 0.0005],
      ["inbound", "v1", 404, undefined, true, 0.01],
      ["outbound", "v1", 200, 0, false, 0.002],
      ["outbound", "v1", 200, 14, false, 0.001],
      ["outbound", "v1", 200, 14, false, 0.004],
      ["outbound", "v1", 200, 5, false, 0.004],
    ];
    for (const [direction, version, status, grpcStatus, tls, seconds] of observations) {
      const labels = {
        direction,
        source: "web",
        destination: "cart",
        destination_version: version,
        route: "default",
        status_class: status === undefined ? "error" : `${Math.floor(status / 100)}xx`,
        ...(grpcStatus === undefined ? {} : { grpc_status: String(grpcStatus) }),
        classification: classifyResponse(status, grpcStatus),
        tls: String(tls),
      };
      counter.labels(labels).inc();
      histogram.labels(labels).observe(seconds);
      ours.observeRequest(
        direction as "inbound" | "outbound",
        "web",
        "cart",
        version,
        "default",
        status,
        grpcStatus,
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
