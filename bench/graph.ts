// npm run bench:graph
// The service graph query of the telemetry hub for 500 services and 2,000 edges, scraped over real HTTP.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { performance } from "node:perf_hooks";
import { LATENCY_BUCKETS_SECONDS, METRICS } from "@loom/spec";
import {
  buildServiceGraph,
  createTelemetryHub,
  type ScrapeTarget,
} from "../apps/control-plane/src/telemetry/index.ts";

const SERVICES = 500;
/** Each service calls this many others: 2,000 edges. */
const CALLS_PER_SERVICE = 4;
const SCRAPES = 4;
const QUERIES = 50;
const GOAL_P95_MS = 50;
const COLD_ROUNDS = 5;

/**
 * One proxy per service: its outbound series to the services it calls and its inbound series from its callers,
 * each with a 2xx and a 5xx status class, counters that grow with every scrape.
 */
function exposition(service: number, scrape: number): string {
  const lines: string[] = [];
  const name = (index: number) => `svc-${index}`;
  const series = (direction: string, source: string, destination: string) => {
    for (const status of ["2xx", "5xx"]) {
      const labels = `direction="${direction}",source="${source}",destination="${destination}",destination_version="v1",route="default",status_class="${status}",tls="true"`;
      const count = (status === "2xx" ? 100 : 1) * scrape;
      lines.push(`${METRICS.requests.name}{${labels}} ${count}`);
      LATENCY_BUCKETS_SECONDS.forEach((bound, index) => {
        const share = Math.min(1, (index + 1) / 8);
        lines.push(
          `${METRICS.requestDuration.name}_bucket{le="${bound}",${labels}} ${Math.round(count * share)}`,
        );
      });
      lines.push(`${METRICS.requestDuration.name}_bucket{le="+Inf",${labels}} ${count}`);
    }
  };
  for (let call = 1; call <= CALLS_PER_SERVICE; call++) {
    series("outbound", name(service), name((service + call) % SERVICES));
    series("inbound", name((service - call + SERVICES) % SERVICES), name(service));
  }
  return `${lines.join("\n")}\n`;
}

async function main(): Promise<void> {
  let scrape = 1;
  const servers: http.Server[] = [];
  const targets: ScrapeTarget[] = [];
  for (let service = 0; service < SERVICES; service++) {
    const server = http.createServer((_request, response) => response.end(exposition(service, scrape)));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    servers.push(server);
    const { port } = server.address() as AddressInfo;
    targets.push({
      id: `svc-${service}`,
      url: `http://127.0.0.1:${port}/metrics`,
      service: `svc-${service}`,
      tags: {},
    });
  }
  // A minute of retention is all the 1 m graph needs; it keeps the bench's memory small.
  const hub = createTelemetryHub({
    listTargets: async () => targets,
    // The production interval, which is also each scrape's timeout: on a busy machine a 1 s timeout drops
    // targets, and the graph then has fewer edges than the bench asks for.
    intervalMs: 5_000,
    retentionMs: 120_000,
  });
  const scrapeStarted = performance.now();
  for (; scrape <= SCRAPES; scrape++) {
    const round = performance.now();
    await hub.scrapeNow();
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, 1_000 - (performance.now() - round))));
  }
  const scrapeRoundMs = (performance.now() - scrapeStarted) / SCRAPES;

  const durations: number[] = [];
  let edges = 0;
  for (let query = 0; query < QUERIES; query++) {
    const started = performance.now();
    const graph = await buildServiceGraph(hub, "1m");
    durations.push(performance.now() - started);
    edges = graph.edges.length;
  }
  // The first query after a scrape computes each label set's rates; the others of the round reuse them.
  const firstAfterScrape: number[] = [];
  for (let round = 0; round < COLD_ROUNDS; round++, scrape++) {
    await hub.scrapeNow();
    const started = performance.now();
    await buildServiceGraph(hub, "1m");
    firstAfterScrape.push(performance.now() - started);
  }
  firstAfterScrape.sort((a, b) => a - b);
  const coldMedian = firstAfterScrape[Math.ceil(0.5 * COLD_ROUNDS) - 1] ?? Number.NaN;
  durations.sort((a, b) => a - b);
  const p50 = durations[Math.ceil(0.5 * QUERIES) - 1] ?? Number.NaN;
  const p95 = durations[Math.ceil(0.95 * QUERIES) - 1] ?? Number.NaN;
  const seriesCount = SERVICES * CALLS_PER_SERVICE * 2 * 2 * (LATENCY_BUCKETS_SECONDS.length + 2);

  console.table([
    {
      services: SERVICES,
      edges,
      series: seriesCount,
      "scrape round (ms)": Math.round(scrapeRoundMs),
      "graph p50 (ms)": Number(p50.toFixed(1)),
      "graph p95 (ms)": Number(p95.toFixed(1)),
      "first after scrape p50 (ms)": Number(coldMedian.toFixed(1)),
      "goal p95 (ms)": GOAL_P95_MS,
      "p95 / goal": Number((p95 / GOAL_P95_MS).toFixed(2)),
    },
  ]);
  console.log(`BENCH graph.p95_ms ${p95.toFixed(1)}`);
  console.log(`BENCH graph.p50_ms ${p50.toFixed(1)}`);
  console.log(`BENCH graph.first_after_scrape_p50_ms ${coldMedian.toFixed(1)}`);
  await hub.close();
  for (const server of servers) server.close();
}

await main();
