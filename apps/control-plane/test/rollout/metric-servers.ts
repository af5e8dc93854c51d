import http from "node:http";
import type { AddressInfo } from "node:net";
import { LATENCY_BUCKETS_SECONDS, METRICS } from "@loom/spec";
import { Counter, Histogram, Registry } from "prom-client";
import type { ScrapeTarget } from "../../src/telemetry/index.ts";

/** How one version of a service answers, as the test sets it. */
export interface VersionBehaviour {
  rps: number;
  errorShare: number;
  latencySeconds: number;
}

/**
 * One real HTTP /metrics endpoint per version of a service, exposing the protocol's request series as an
 * inbound proxy of that version would, with numbers the test controls: about every 50 ms each version records
 * the requests its rate owes since the last time.
 */
export async function startVersionMetrics(service: string, behaviours: Record<string, VersionBehaviour>) {
  const servers: http.Server[] = [];
  const targets: ScrapeTarget[] = [];
  const timers: NodeJS.Timeout[] = [];
  for (const [version, behaviour] of Object.entries(behaviours)) {
    const registry = new Registry();
    const requests = new Counter({
      name: METRICS.requests.name,
      help: "h",
      labelNames: METRICS.requests.labels,
      registers: [registry],
    });
    const duration = new Histogram({
      name: METRICS.requestDuration.name,
      help: "h",
      labelNames: METRICS.requestDuration.labels,
      buckets: [...LATENCY_BUCKETS_SECONDS],
      registers: [registry],
    });
    let owed = 0;
    let failedSoFar = 0;
    let sentSoFar = 0;
    let lastTickAt = performance.now();
    timers.push(
      setInterval(() => {
        // Owed by the clock, not per tick: on a loaded machine ticks come late, and the rate must not sag.
        const now = performance.now();
        owed += (behaviour.rps * (now - lastTickAt)) / 1000;
        lastTickAt = now;
        for (; owed >= 1; owed--) {
          sentSoFar++;
          // Errors spread evenly, so any window holds the set share.
          const fail = failedSoFar < sentSoFar * behaviour.errorShare;
          if (fail) failedSoFar++;
          const labels = {
            direction: "inbound",
            source: "web",
            destination: service,
            destination_version: version,
            route: "default",
            status_class: fail ? "5xx" : "2xx",
            classification: fail ? "failure" : "success",
            tls: "false",
          };
          requests.labels(labels).inc();
          duration.labels(labels).observe(behaviour.latencySeconds);
        }
      }, 50),
    );
    const server = http.createServer(async (_request, response) => {
      response.writeHead(200, { "content-type": registry.contentType }).end(await registry.metrics());
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    servers.push(server);
    targets.push({
      id: `${service}-${version}`,
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`,
      service,
      tags: { version },
    });
  }
  return {
    targets,
    behaviours,
    stop() {
      for (const timer of timers) clearInterval(timer);
      for (const server of servers) server.close();
    },
  };
}
