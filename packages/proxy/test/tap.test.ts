import http from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { freePort, useProcesses, waitFor } from "@loom/test-harness";
import { createParser, type EventSourceMessage } from "eventsource-parser";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createTapHandler, TapHub, type TapSummary } from "../src/tap/index.ts";
import { startLoomProxy } from "./loom-process.ts";
import { request, snapshot, startApp, tempDir } from "./support/mesh.ts";

useProcesses();

const TOKEN = "s3cret-tap-token";

interface TapStream {
  status: number;
  events: EventSourceMessage[];
  requests(): Record<string, unknown>[];
  close(): void;
}

/** A real admin-style server per test: the tap handler on /tap, fed by a hub the test publishes to. */
function serveTap(hub: TapHub, options: Parameters<typeof createTapHandler>[1]): Promise<string> {
  const handler = createTapHandler(hub, options);
  const server = http.createServer(handler);
  servers.push(server);
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    ),
  );
}

function openTap(url: string, headers: Record<string, string> = {}): Promise<TapStream> {
  return new Promise((resolve, reject) => {
    const events: EventSourceMessage[] = [];
    const parser = createParser({ onEvent: (event) => events.push(event) });
    const req = http.get(url, { headers }, (res) => {
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => parser.feed(chunk));
      res.on("error", () => {});
      resolve({
        status: res.statusCode ?? 0,
        events,
        requests: () =>
          events
            .filter((event) => event.event === "request")
            .map((event) => JSON.parse(event.data) as Record<string, unknown>),
        close: () => req.destroy(),
      });
    });
    req.on("error", reject);
  });
}

function summary(overrides: Partial<TapSummary> = {}): TapSummary {
  return {
    time: Date.parse("2026-11-02T10:00:00.000Z"),
    direction: "inbound",
    method: "GET",
    path: "/cart/items",
    status: 200,
    latencyMs: 1.25,
    source: "web",
    destination: "cart",
    ...overrides,
  };
}

const servers: http.Server[] = [];
const streams: TapStream[] = [];
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

async function tapWhenSubscribed(hub: TapHub, url: string, headers = bearer(TOKEN)): Promise<TapStream> {
  const stream = await openTap(url, headers);
  streams.push(stream);
  await waitFor(() => hub.active, { timeoutMs: 2_000, what: "the tap stream to subscribe" });
  return stream;
}

afterEach(() => {
  for (const stream of streams.splice(0)) stream.close();
});

afterAll(async () => {
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
});

describe("tap: who may watch", () => {
  let hub: TapHub;
  let withToken: string;
  let withoutToken: string;

  beforeAll(async () => {
    hub = new TapHub();
    withToken = await serveTap(hub, { token: TOKEN });
    withoutToken = await serveTap(hub, { token: undefined });
  });

  it("refuses everyone with 403 when the bootstrap sets no tapToken", async () => {
    const stream = await openTap(`${withoutToken}/tap`, bearer(TOKEN));
    expect(stream.status).toBe(403);
  });

  it("refuses a missing or wrong token with 401 and subscribes nobody", async () => {
    expect((await openTap(`${withToken}/tap`)).status).toBe(401);
    expect((await openTap(`${withToken}/tap`, bearer("wrong"))).status).toBe(401);
    expect((await openTap(`${withToken}/tap`, { authorization: TOKEN })).status).toBe(401);
    expect(hub.active).toBe(false);
  });

  it("refuses an unknown filter field or a malformed status with 400", async () => {
    expect((await openTap(`${withToken}/tap?sorce=web`, bearer(TOKEN))).status).toBe(400);
    expect((await openTap(`${withToken}/tap?status=2x`, bearer(TOKEN))).status).toBe(400);
    expect((await openTap(`${withToken}/tap?grpcStatus=UNAVAILABLE`, bearer(TOKEN))).status).toBe(400);
    expect((await openTap(`${withToken}/tap?classification=bad`, bearer(TOKEN))).status).toBe(400);
  });
});

describe("tap: what it streams", () => {
  it("streams the summaries that match every filter, as server-sent events", async () => {
    const hub = new TapHub();
    const url = await serveTap(hub, { token: TOKEN });
    const stream = await tapWhenSubscribed(hub, `${url}/tap?method=get&path=/cart&status=5xx&source=web`);
    expect(stream.status).toBe(200);

    hub.publish(summary({ status: 503 }));
    hub.publish(summary({ status: 200 }));
    hub.publish(summary({ status: 502, method: "POST" }));
    hub.publish(summary({ status: 500, path: "/checkout" }));
    hub.publish(summary({ status: 504, source: "admin" }));
    hub.publish(summary({ status: undefined }));
    hub.publish(summary({ status: 500, path: "/cart", direction: "outbound", destination: "db" }));

    await waitFor(() => stream.requests().length === 2, { timeoutMs: 2_000, what: "two events" });
    await sleep(100);
    expect(stream.requests()).toEqual([
      {
        time: "2026-11-02T10:00:00.000Z",
        direction: "inbound",
        method: "GET",
        path: "/cart/items",
        status: 503,
        latencyMs: 1.25,
        source: "web",
        destination: "cart",
      },
      {
        time: "2026-11-02T10:00:00.000Z",
        direction: "outbound",
        method: "GET",
        path: "/cart",
        status: 500,
        latencyMs: 1.25,
        source: "web",
        destination: "db",
      },
    ]);
  });

  it("finds failures by classification, gRPC ones answered with HTTP 200 included, or by grpc-status", async () => {
    const hub = new TapHub();
    const url = await serveTap(hub, { token: TOKEN });
    const failures = await tapWhenSubscribed(hub, `${url}/tap?classification=failure`);
    const unavailable = await tapWhenSubscribed(hub, `${url}/tap?grpcStatus=14`);
    hub.publish(summary({ status: 200, grpcStatus: 0 }));
    hub.publish(summary({ status: 200, grpcStatus: 14 }));
    hub.publish(summary({ status: 200, grpcStatus: 5 }));
    hub.publish(summary({ status: 503 }));
    hub.publish(summary({ status: 200 }));
    await waitFor(() => failures.requests().length === 2 && unavailable.requests().length === 1, {
      timeoutMs: 2_000,
      what: "two failures and one UNAVAILABLE",
    });
    await sleep(100);
    expect(failures.requests().map((event) => [event.status, event.grpcStatus])).toEqual([
      [200, 14],
      [503, undefined],
    ]);
    expect(unavailable.requests().map((event) => event.grpcStatus)).toEqual([14]);
  });

  it("caps each stream's rate, drops the excess and reports how much it dropped", async () => {
    const hub = new TapHub();
    const url = await serveTap(hub, { token: TOKEN, maxEventsPerSecond: 20 });
    const stream = await tapWhenSubscribed(hub, `${url}/tap`);
    for (let i = 0; i < 500; i++) hub.publish(summary({ path: `/item/${i}` }));

    await waitFor(() => stream.events.some((event) => event.event === "dropped"), {
      timeoutMs: 3_000,
      what: "a drop report",
    });
    const delivered = stream.requests().length;
    const report = JSON.parse(stream.events.find((event) => event.event === "dropped")?.data ?? "{}");
    expect(delivered).toBeGreaterThanOrEqual(20);
    expect(delivered).toBeLessThanOrEqual(21);
    expect(report.dropped).toBe(500 - delivered);
    expect(report.droppedTotal).toBe(500 - delivered);
  });

  it("unsubscribes a watcher that goes away, and ends streams when the hub closes", async () => {
    const hub = new TapHub();
    const url = await serveTap(hub, { token: TOKEN });
    const leaving = await tapWhenSubscribed(hub, `${url}/tap`);
    leaving.close();
    await waitFor(() => !hub.active, { timeoutMs: 2_000, what: "the stream to unsubscribe" });

    const staying = await tapWhenSubscribed(hub, `${url}/tap`);
    const ended = new Promise((resolve) =>
      http.get(`${url}/tap`, { headers: bearer(TOKEN) }, (res) => res.resume().on("end", resolve)),
    );
    await waitFor(() => hub.subscriberCount === 2, { timeoutMs: 2_000, what: "two streams" });
    hub.close();
    await ended;
    expect(hub.active).toBe(false);
    expect(staying.status).toBe(200);
  });

  it("refuses more streams than its limit with 429", async () => {
    const hub = new TapHub();
    const url = await serveTap(hub, { token: TOKEN, maxStreams: 1 });
    await tapWhenSubscribed(hub, `${url}/tap`);
    expect((await openTap(`${url}/tap`, bearer(TOKEN))).status).toBe(429);
  });
});

describe("tap on a running proxy's admin port", () => {
  it("streams the summaries of the requests the proxy carries, filtered, to the token holder only", async () => {
    const dir = await tempDir();
    const app = await startApp("tapped-app", "v1");
    const [inboundPort, adminPort] = await Promise.all([freePort(), freePort()]);
    const proxy = await startLoomProxy(dir, {
      name: "tapped",
      dataplane: { service: "backend", inbound: [{ port: inboundPort, appPort: app.port }] },
      adminPort,
      snapshot: snapshot({ service: "backend" }),
      tapToken: TOKEN,
    });
    expect((await openTap(`${proxy.adminUrl}/tap`, bearer("wrong"))).status).toBe(401);

    const stream = await openTap(`${proxy.adminUrl}/tap?path=/watched&direction=inbound`, bearer(TOKEN));
    streams.push(stream);
    expect(stream.status).toBe(200);
    for (const path of ["/watched/1", "/ignored", "/watched/2"]) {
      expect((await request(`http://127.0.0.1:${inboundPort}${path}`)).status).toBe(200);
    }
    await waitFor(() => stream.requests().length === 2, { timeoutMs: 5_000, what: "two tap events" });
    expect(stream.requests()).toEqual([
      expect.objectContaining({ direction: "inbound", method: "GET", path: "/watched/1", status: 200 }),
      expect.objectContaining({ direction: "inbound", method: "GET", path: "/watched/2", status: 200 }),
    ]);
    const [first] = stream.requests();
    expect(first).toMatchObject({ source: "unknown", destination: "backend" });
    expect(typeof first?.latencyMs).toBe("number");
    expect(Date.parse(String(first?.time))).toBeGreaterThan(Date.now() - 60_000);
  });
});
