import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, expect, it } from "vitest";
import { createTelemetryHub } from "../../src/telemetry/index.ts";

const TARGETS = 100;
const INTERVAL_MS = 1_000;

const arrivals: number[] = [];
const server = createServer((_req, res) => {
  arrivals.push(performance.now());
  res.writeHead(200, { "content-type": "text/plain" }).end("# nothing yet\n");
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

it("starts a round's scrapes apart, within half the interval, and stores every target's", async () => {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const hub = createTelemetryHub({
    intervalMs: INTERVAL_MS,
    listTargets: async () =>
      Array.from({ length: TARGETS }, (_, index) => ({
        id: String(index),
        url: `http://127.0.0.1:${port}/metrics/${index}`,
        service: "svc",
        tags: {},
      })),
  });
  await hub.scrapeNow();
  expect(arrivals).toHaveLength(TARGETS);
  const spreadMs = Math.max(...arrivals) - Math.min(...arrivals);
  // 2 ms apart at most: 99 gaps of 2 ms. Not all at one instant, and never beyond half the interval.
  expect(spreadMs).toBeGreaterThan(150);
  expect(spreadMs).toBeLessThan(INTERVAL_MS / 2 + 100);
  expect(hub.targets().every((target) => target.lastError === null && target.lastScrapeAt !== null)).toBe(
    true,
  );
});
