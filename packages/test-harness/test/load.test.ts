import { once } from "node:events";
import { createServer, type RequestListener, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { performance } from "node:perf_hooks";
import { afterEach, describe, expect, it } from "vitest";
import { fixedRateLoad, freePort } from "../src/index.ts";

const servers: Server[] = [];

async function serve(handler: RequestListener): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    server.close();
    await once(server, "close");
  }
});

describe("fixedRateLoad", () => {
  it("counts exactly what the server saw and holds the rate", async () => {
    const seen = { total: 0, ok: 0, failed: 0, firstAt: 0, lastAt: 0 };
    const url = await serve((_request, response) => {
      seen.total++;
      seen.lastAt = performance.now();
      if (seen.total === 1) seen.firstAt = seen.lastAt;
      if (seen.total % 10 === 0) {
        seen.failed++;
        response.statusCode = 500;
      } else {
        seen.ok++;
      }
      response.end("x");
    });

    const rps = 200;
    const result = await fixedRateLoad({ url, rps, durationMs: 3_000 });

    expect(result).toMatchObject({ scheduled: 600, sent: 600, dropped: 0, errors: {} });
    expect(result.sent).toBe(seen.total);
    expect(result.succeeded).toBe(seen.ok);
    expect(result.failed).toBe(seen.failed);
    expect(result.byStatus).toEqual({ "200": seen.ok, "500": seen.failed });
    expect(seen.failed).toBe(60);
    const achievedRps = ((seen.total - 1) * 1000) / (seen.lastAt - seen.firstAt);
    expect(Math.abs(achievedRps - rps) / rps, `achieved ${achievedRps.toFixed(1)} rps`).toBeLessThan(0.1);
    const { p50, p95, p99, max } = result.latenciesMs;
    expect(p50).toBeGreaterThan(0);
    expect(p50).toBeLessThanOrEqual(p95);
    expect(p95).toBeLessThanOrEqual(p99);
    expect(p99).toBeLessThanOrEqual(max);
  });

  it("sends the method, headers and body it is given", async () => {
    const received: string[] = [];
    const url = await serve(async (request, response) => {
      let body = "";
      for await (const chunk of request) body += chunk;
      received.push(`${request.method} ${request.headers["x-loom-test"]} ${body}`);
      response.statusCode = 201;
      response.end();
    });
    const result = await fixedRateLoad({
      url,
      rps: 20,
      durationMs: 500,
      method: "POST",
      headers: { "x-loom-test": "yes" },
      body: '{"n":1}',
    });
    expect(result).toMatchObject({ sent: 10, succeeded: 10, byStatus: { "201": 10 } });
    expect(received).toEqual(Array(10).fill('POST yes {"n":1}'));
  });

  it("buckets refused connections by error code", async () => {
    const url = `http://127.0.0.1:${await freePort()}/`;
    const result = await fixedRateLoad({ url, rps: 50, durationMs: 500 });
    expect(result).toMatchObject({
      sent: 25,
      succeeded: 0,
      failed: 25,
      byStatus: {},
      errors: { ECONNREFUSED: 25 },
    });
    expect(result.latenciesMs.p50).toBeNaN();
  });

  it("times out unanswered requests and drops what exceeds the concurrency limit", async () => {
    const url = await serve(() => {
      // Never answers.
    });
    const result = await fixedRateLoad({
      url,
      rps: 100,
      durationMs: 600,
      concurrencyLimit: 10,
      timeoutMs: 200,
    });
    expect(result.scheduled).toBe(60);
    expect(result.sent + result.dropped).toBe(60);
    expect(result.dropped).toBeGreaterThan(0);
    expect(result.sent).toBeGreaterThanOrEqual(20);
    expect(result).toMatchObject({ succeeded: 0, failed: result.sent, errors: { TIMEOUT: result.sent } });
  });

  it("drives a custom request function and counts its rejections by code", async () => {
    let calls = 0;
    const result = await fixedRateLoad({
      rps: 40,
      durationMs: 500,
      request: async () => {
        calls++;
        if (calls % 2 === 0) throw Object.assign(new Error("reset"), { code: "ECONNRESET" });
        return 204;
      },
    });
    expect(result).toMatchObject({ sent: 20, succeeded: 10, failed: 10, byStatus: { "204": 10 } });
    expect(result.errors).toEqual({ ECONNRESET: 10 });
  });
});
