import { setTimeout as sleep } from "node:timers/promises";
import { fixedRateLoad, freePort, type LoadResult, useProcesses } from "@loom/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  buildServiceGraph,
  createPrometheusBackend,
  createTelemetryHub,
  type GoldenRow,
  goldenMetrics,
  type MetricsBackend,
  type TelemetryHub,
} from "../../src/telemetry/index.ts";
import { endpoint, startStandaloneProxy, startTrafficApp, tempDir } from "./support/mesh.ts";
import { skipWithoutPrometheus, startPrometheus, waitForTargetsUp } from "./support/prometheus.ts";

useProcesses();

const RPS = 60;
const LOAD_MS = 30_000;
const WINDOW_S = 60;
/**
 * Both scrapers sample every half second: where their last samples fall against the query time is what is
 * left to differ (rate() extrapolates to the window's end), and it shrinks with the interval.
 */
const SCRAPE_INTERVAL_MS = 500;

/**
 * web → cart split 50/50 over real proxies: cart v1 answers in 15 ms, cart v2 in 35 ms with every 5th answer
 * a 500. The hub scrapes the three proxies every half second; so does a real Prometheus.
 */
describe("telemetry hub against real proxies (and a real Prometheus scraping them)", () => {
  let hub: TelemetryHub;
  let prometheus: MetricsBackend | undefined;
  let load: LoadResult;

  beforeAll(async () => {
    const dir = await tempDir("loom-hub-test-");
    const [appV1, appV2] = await Promise.all([
      startTrafficApp("cart-v1 app", { delayMs: 15 }),
      startTrafficApp("cart-v2 app", { delayMs: 35, failShare: 0.2 }),
    ]);
    const [inboundV1, inboundV2, cartPort] = await Promise.all([freePort(), freePort(), freePort()]);
    const proxies = await Promise.all([
      startStandaloneProxy(dir, {
        service: "cart",
        version: "v1",
        inbound: { port: inboundV1, appPort: appV1.port },
      }),
      startStandaloneProxy(dir, {
        service: "cart",
        version: "v2",
        inbound: { port: inboundV2, appPort: appV2.port },
      }),
      startStandaloneProxy(dir, {
        service: "web",
        version: "v1",
        outbounds: [
          {
            service: "cart",
            port: cartPort,
            protocol: "http",
            route: {
              name: "cart-split",
              rules: [
                {
                  backendRefs: [
                    { tags: { version: "v1" }, weight: 50 },
                    { tags: { version: "v2" }, weight: 50 },
                  ],
                },
              ],
            },
            endpoints: [endpoint("cart", inboundV1, "v1"), endpoint("cart", inboundV2, "v2")],
          },
        ],
      }),
    ]);
    // Every series exists before either scraper starts, so both count the load from the same zero: what is
    // left to differ is where each one's scrapes fall against the query time.
    await fixedRateLoad({ url: `http://127.0.0.1:${cartPort}/warm-up`, rps: 20, durationMs: 1_000 });
    hub = createTelemetryHub({
      intervalMs: SCRAPE_INTERVAL_MS,
      listTargets: async () =>
        proxies.map((proxy, index) => ({ id: String(index), url: proxy.metricsUrl, service: "", tags: {} })),
    });
    hub.start();
    if (!skipWithoutPrometheus) {
      const server = await startPrometheus(
        dir,
        proxies.map((proxy) => `127.0.0.1:${proxy.adminPort}`),
        SCRAPE_INTERVAL_MS,
      );
      prometheus = createPrometheusBackend({ url: server.url });
      await waitForTargetsUp(server.url, proxies.length);
    }
    load = await fixedRateLoad({
      url: `http://127.0.0.1:${cartPort}/checkout`,
      rps: RPS,
      durationMs: LOAD_MS,
    });
    // Both scrapers take their last samples after the load (several scrape intervals).
    await sleep(2_500);
  }, 120_000);

  afterAll(async () => {
    await hub?.close();
    await prometheus?.close();
  });

  it("answers rps, success rate and latency per service, version and route as the load was sent", async () => {
    const failures = load.byStatus["500"] ?? 0;
    console.log(
      `load: sent=${load.sent} 200=${load.byStatus["200"]} 500=${failures} errors=${JSON.stringify(load.errors)}`,
    );
    expect(load.sent).toBe(RPS * (LOAD_MS / 1000));
    expect(load.succeeded + failures).toBe(load.sent);

    const [service] = await goldenMetrics(hub, { grouping: "service", service: "cart", window: "1m" });
    expect(service?.service).toBe("cart");
    expect(service?.requests).toBeGreaterThan(load.sent * 0.92);
    expect(service?.requests).toBeLessThan(load.sent * 1.08);
    expect(service?.rps).toBeCloseTo(service?.requests ? service.requests / WINDOW_S : 0, 6);
    expect(service?.successRate).toBeCloseTo(1 - failures / load.sent, 1);

    const versions = await goldenMetrics(hub, { grouping: "version", service: "cart", window: "1m" });
    const v1 = byVersion(versions, "v1");
    const v2 = byVersion(versions, "v2");
    console.log("versions", JSON.stringify(versions));
    expect(v1.successRate).toBe(1);
    expect(v2.successRate).toBeGreaterThan(0.77);
    expect(v2.successRate).toBeLessThan(0.83);
    // histogram_quantile interpolates inside the bucket holding the median: (10, 25] ms and (25, 50] ms.
    // The tail depends on two busy cores, so p99 is only checked for order.
    expect(v1.latencyMs.p50).toBeGreaterThan(10);
    expect(v1.latencyMs.p50).toBeLessThanOrEqual(25);
    expect(v2.latencyMs.p50).toBeGreaterThan(25);
    expect(v2.latencyMs.p50).toBeLessThanOrEqual(50);
    expect(v1.latencyMs.p99).toBeGreaterThanOrEqual(v1.latencyMs.p50 ?? Number.POSITIVE_INFINITY);
    expect(v2.latencyMs.p99).toBeGreaterThan(25);

    const [route] = await goldenMetrics(hub, { grouping: "route", service: "cart", window: "1m" });
    expect(route?.route).toBe("cart-split");
    expect(route?.requests).toBeGreaterThan(load.sent * 0.92);
    expect(route?.requests).toBeLessThan(load.sent * 1.08);
  });

  it("draws the graph: cart with both versions, the web → cart edge without mTLS", async () => {
    const graph = await buildServiceGraph(hub, "1m");
    expect(graph.services.map((service) => service.name)).toEqual(["cart", "web"]);
    const cart = graph.services.find((service) => service.name === "cart");
    expect(cart?.versions.map((version) => version.version)).toEqual(["v1", "v2"]);
    expect(graph.edges).toHaveLength(1);
    const [edge] = graph.edges;
    expect(edge?.source).toBe("web");
    expect(edge?.destination).toBe("cart");
    expect(edge?.mtls).toBe("none");
    expect(edge?.metrics.requests).toBeGreaterThan(load.sent * 0.92);
    expect(edge?.metrics.successRate).toBeCloseTo(1 - (load.byStatus["500"] ?? 0) / load.sent, 1);
    expect(edge?.metrics.latencyMs.p99).toBeGreaterThan(25);
  });

  it.skipIf(skipWithoutPrometheus)("agrees with a real Prometheus by PromQL within 5 %", async () => {
    if (prometheus === undefined) throw new Error("Prometheus did not start");
    const at = Date.now();
    const largest = { difference: 0, what: "" };
    for (const grouping of ["service", "version", "route", "edge"] as const) {
      const query = { grouping, service: "cart", window: "1m" } as const;
      const [fromHub, fromPrometheus] = await Promise.all([
        goldenMetrics(hub, query),
        goldenMetrics(prometheus, query),
      ]);
      console.log(
        `${grouping}: hub ${JSON.stringify(fromHub)}\n${grouping}: prometheus ${JSON.stringify(fromPrometheus)}`,
      );
      expect(fromPrometheus.map(identity)).toEqual(fromHub.map(identity));
      fromHub.forEach((row, index) => {
        const other = fromPrometheus[index] as GoldenRow;
        const differences = [
          expectWithin(row.rps, other.rps, 0.05, `${grouping} ${identity(row)} rps`),
          expectWithin(
            row.successRate ?? 0,
            other.successRate ?? 0,
            0.05,
            `${grouping} ${identity(row)} success`,
          ),
          ...(["p50", "p95", "p99"] as const).map((quantile) =>
            expectWithin(
              row.latencyMs[quantile] ?? 0,
              other.latencyMs[quantile] ?? 0,
              0.05,
              `${grouping} ${identity(row)} ${quantile}`,
            ),
          ),
        ];
        for (const [what, difference] of differences)
          if (difference > largest.difference) Object.assign(largest, { difference, what });
      });
    }
    console.log(
      `hub vs Prometheus: largest relative difference ${(largest.difference * 100).toFixed(2)} % (${largest.what})`,
    );
    expect(Date.now() - at).toBeLessThan(5_000);
  });
});

function byVersion(rows: GoldenRow[], version: string): GoldenRow {
  const row = rows.find((candidate) => candidate.version === version);
  if (row === undefined) throw new Error(`no metrics for version ${version}: ${JSON.stringify(rows)}`);
  return row;
}

function identity(row: GoldenRow): string {
  return [row.source, row.service, row.version, row.route].filter(Boolean).join(" ");
}

/** Returns what was compared and the relative difference. */
function expectWithin(actual: number, expected: number, tolerance: number, what: string): [string, number] {
  const difference = Math.abs(actual - expected) / Math.max(Math.abs(expected), 1e-9);
  expect(difference, `${what}: hub ${actual} vs Prometheus ${expected}`).toBeLessThanOrEqual(tolerance);
  return [what, difference];
}
