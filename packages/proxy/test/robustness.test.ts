import net from "node:net";
import { freePort, useProcesses } from "@loom/test-harness";
import { beforeAll, describe, expect, it } from "vitest";
import {
  endpoint,
  type RunningApp,
  type RunningProxy,
  request,
  snapshot,
  startApp,
  startProxy,
  tempDir,
} from "./support/mesh.ts";

useProcesses();

/** Writes raw bytes on a fresh connection; resolves with everything read until the proxy closes it. */
function rawExchange(port: number, bytes: string, { timeoutMs = 8_000 } = {}): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    let received = "";
    socket.on("data", (chunk) => {
      received += chunk.toString();
    });
    socket.on("error", () => {});
    socket.on("close", () => resolve(received));
    socket.setTimeout(timeoutMs, () => {
      socket.destroy();
      resolve(`${received}(no close within ${timeoutMs} ms)`);
    });
    socket.write(bytes);
  });
}

describe("malformed HTTP and failing upstreams", () => {
  let app: RunningApp;
  let port: number;
  let deadPort: number;

  beforeAll(async () => {
    const dir = await tempDir();
    app = await startApp("cart", "v1");
    [port, deadPort] = await Promise.all([freePort(), freePort()]);
    const nothingListens = await freePort();
    await startProxy(dir, {
      name: "web",
      service: "web",
      snapshot: snapshot({
        service: "web",
        outbounds: [
          { service: "cart", port, protocol: "http", endpoints: [endpoint("cart", app.port)] },
          {
            service: "gone",
            port: deadPort,
            protocol: "http",
            endpoints: [endpoint("gone", nothingListens)],
          },
        ],
      }),
    });
  });

  const url = () => `http://127.0.0.1:${port}/`;

  it("answers oversized headers with 431", async () => {
    const answer = await rawExchange(
      port,
      `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`,
    );
    expect(answer).toMatch(/^HTTP\/1.1 431/);
  });

  it("answers bad chunking with 400", async () => {
    const answer = await rawExchange(
      port,
      "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
    );
    expect(answer).toMatch(/^HTTP\/1.1 400/);
  });

  it("refuses a Content-Length + Transfer-Encoding smuggling attempt with 400, and nothing is smuggled", async () => {
    const before = (await app.counts()).byPath["/smuggled"] ?? 0;
    const answer = await rawExchange(
      port,
      "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 44\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n",
    );
    expect(answer).toMatch(/^HTTP\/1.1 400/);
    expect((await app.counts()).byPath["/smuggled"] ?? 0).toBe(before);
  });

  it("drops a slowloris client while serving others", async () => {
    const slow = net.connect(port, "127.0.0.1");
    slow.on("error", () => {});
    slow.resume();
    slow.write("GET / HTTP/1.1\r\nHost: x\r\n");
    const drip = setInterval(() => slow.write("X-Drip: 1\r\n"), 300);
    const closed = new Promise<number>((resolve) => {
      const started = performance.now();
      slow.on("close", () => resolve(performance.now() - started));
    });
    // Others are served while the slow client dribbles.
    for (let i = 0; i < 5; i++) expect((await request(url())).status).toBe(200);
    const closedAfterMs = await closed;
    clearInterval(drip);
    console.log(`slowloris connection closed after ${closedAfterMs.toFixed(0)} ms`);
    expect(closedAfterMs).toBeLessThan(5_000);
  });

  it("answers 503 when the upstream cannot be reached, and keeps serving", async () => {
    const response = await request(`http://127.0.0.1:${deadPort}/`);
    expect(response.status).toBe(503);
    expect((await request(url())).status).toBe(200);
  });

  it("survives a client that disconnects mid-request and an upstream that dies mid-response", async () => {
    const aborted = net.connect(port, "127.0.0.1");
    aborted.on("error", () => {});
    aborted.write("GET /slow?ms=300 HTTP/1.1\r\nHost: x\r\n\r\n");
    await new Promise((resolve) => setTimeout(resolve, 50));
    aborted.destroy();
    const pending = request(`${url()}slow?ms=500`).catch((error: Error) => error);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await app.process.stop({ signal: "SIGKILL" });
    const outcome = await pending;
    expect(outcome instanceof Error || outcome.status >= 500).toBe(true);
    expect((await request(`http://127.0.0.1:${deadPort}/`)).status).toBe(503);
  });
});

describe("SIGTERM", () => {
  let app: RunningApp;
  let proxy: RunningProxy;
  let outboundUrl: string;
  let inboundUrl: string;

  beforeAll(async () => {
    const dir = await tempDir();
    app = await startApp("cart", "v1");
    const [outboundPort, inboundPort] = await Promise.all([freePort(), freePort()]);
    proxy = await startProxy(dir, {
      name: "cart-sidecar",
      service: "cart",
      snapshot: snapshot({
        service: "cart",
        outbounds: [
          { service: "cart", port: outboundPort, protocol: "http", endpoints: [endpoint("cart", app.port)] },
        ],
      }),
      inbound: [{ port: inboundPort, appPort: app.port }],
    });
    outboundUrl = `http://127.0.0.1:${outboundPort}/slow?ms=800`;
    inboundUrl = `http://127.0.0.1:${inboundPort}/slow?ms=800`;
  });

  it("stops accepting, lets every in-flight request finish, and exits 0", async () => {
    const inFlight = [
      ...Array.from({ length: 25 }, () => request(outboundUrl)),
      ...Array.from({ length: 25 }, () => request(inboundUrl)),
    ];
    await expect.poll(async () => (await app.counts()).byPath["/slow"] ?? 0, { timeout: 5_000 }).toBe(50);
    const signalledAt = performance.now();
    proxy.process.kill("SIGTERM");
    const responses = await Promise.all(inFlight);
    expect(responses.map((response) => response.status)).toEqual(Array(50).fill(200));
    const exit = await proxy.process.exited;
    expect(exit.code).toBe(0);
    console.log(`drained and exited ${(performance.now() - signalledAt).toFixed(0)} ms after SIGTERM`);
    await expect(request(inboundUrl, { timeoutMs: 1_000 })).rejects.toThrow();
  });
});
