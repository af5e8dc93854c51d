import net from "node:net";
import { freePort, useProcesses } from "@loom/test-harness";
import { beforeAll, describe, expect, it } from "vitest";
import {
  endpoint,
  type RunningApp,
  request,
  snapshot,
  startApp,
  startProxy,
  tempDir,
} from "./support/mesh.ts";

useProcesses();

/** Writes raw bytes on a fresh connection; resolves with everything read until the proxy closes it. */
function rawExchange(port: number, bytes: string, { timeoutMs = 5_000 } = {}): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    let received = "";
    socket.on("data", (chunk) => {
      received += chunk.toString("latin1");
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

const statusLines = (answer: string) => answer.match(/^HTTP\/1\.[01] \d{3}/gm) ?? [];

describe("the HTTP/1.1 fast path (raw sockets, hand-written parser)", () => {
  let app: RunningApp;
  let outboundPort: number;
  let inboundPort: number;

  beforeAll(async () => {
    const dir = await tempDir();
    app = await startApp("cart", "v1");
    [outboundPort, inboundPort] = await Promise.all([freePort(), freePort()]);
    await startProxy(dir, {
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
  });

  it.each([
    [
      "duplicate Content-Length",
      "POST /refused HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello",
    ],
    [
      "Content-Length values that differ",
      "POST /refused HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
    ],
    ["obs-fold", "GET /refused HTTP/1.1\r\nHost: x\r\nX-Long: a\r\n b\r\n\r\n"],
    ["a bare LF", "GET /refused HTTP/1.1\nHost: x\n\n"],
    ["a NUL in a header value", "GET /refused HTTP/1.1\r\nHost: x\r\nX-A: a\u0000b\r\n\r\n"],
    ["a space before the colon", "GET /refused HTTP/1.1\r\nHost : x\r\n\r\n"],
    [
      "Transfer-Encoding that is not chunked",
      "POST /refused HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\nxx",
    ],
  ])("answers %s with 400 and closes, the app never reached", async (_name, bytes) => {
    for (const port of [outboundPort, inboundPort]) {
      const answer = await rawExchange(port, bytes);
      expect(answer).toMatch(/^HTTP\/1.1 400 Bad Request\r\n/);
      expect(answer).toContain("Connection: close");
    }
    expect((await app.counts()).byPath["/refused"] ?? 0).toBe(0);
  });

  it("answers pipelined requests in order on one connection, bodies included", async () => {
    for (const port of [outboundPort, inboundPort]) {
      const answer = await rawExchange(
        port,
        "GET /pipe-1 HTTP/1.1\r\nHost: x\r\n\r\n" +
          "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\nhello world" +
          "GET /pipe-3 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
      );
      expect(statusLines(answer)).toEqual(["HTTP/1.1 200", "HTTP/1.1 200", "HTTP/1.1 200"]);
      expect(answer).toContain("hello world");
      expect(answer.indexOf("hello world")).toBeLessThan(answer.lastIndexOf("HTTP/1.1 200"));
    }
    const counts = await app.counts();
    expect(counts.byPath["/pipe-1"]).toBe(2);
    expect(counts.byPath["/pipe-3"]).toBe(2);
  });

  it("streams a chunked request body through and relays the chunked response", async () => {
    for (const port of [outboundPort, inboundPort]) {
      const answer = await rawExchange(
        port,
        "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n" +
          "6;ext=1\r\nchunk-\r\n7\r\nencoded\r\n0\r\nX-Trailer: t\r\n\r\n",
      );
      expect(answer).toMatch(/^HTTP\/1.1 200 OK\r\n/);
      expect(answer.toLowerCase()).toContain("transfer-encoding: chunked");
      expect(answer).toMatch(/\r\n\r\n[0-9a-f]+\r\nchunk-encoded\r\n0\r\n\r\n$/);
    }
  });

  it("sends large bodies both ways with backpressure", async () => {
    const body = "x".repeat(3 * 1024 * 1024);
    for (const port of [outboundPort, inboundPort]) {
      const response = await request(`http://127.0.0.1:${port}/echo`, { method: "POST", body });
      expect(response.status).toBe(200);
      expect(response.body.length).toBe(body.length);
    }
  });

  it("closes after a response when the client asked for it", async () => {
    const answer = await rawExchange(
      outboundPort,
      "GET /bye HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    expect(answer).toMatch(/^HTTP\/1.1 200 OK\r\n/);
    expect(answer).toContain("Connection: close\r\n");
  });

  it("leaves HTTP/1.0 and Expect: 100-continue to node:http, which serves them", async () => {
    for (const port of [outboundPort, inboundPort]) {
      const old = await rawExchange(port, "GET /old HTTP/1.0\r\n\r\n");
      expect(old).toMatch(/^HTTP\/1.[01] 200 OK\r\n/);
      expect(old).toContain("x-version: v1");

      const socket = net.connect(port, "127.0.0.1");
      const received: string[] = [];
      socket.on("data", (chunk) => {
        received.push(chunk.toString("latin1"));
        if (received.join("").startsWith("HTTP/1.1 100 Continue\r\n\r\n") && received.length === 1) {
          socket.write("hello");
        }
      });
      socket.write(
        "POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\nConnection: close\r\n\r\n",
      );
      await new Promise((resolve) => socket.once("close", resolve));
      const answer = received.join("");
      expect(answer).toMatch(/^HTTP\/1.1 100 Continue\r\n\r\nHTTP\/1.1 200 OK\r\n/);
      expect(answer).toContain("hello");
    }
  });
});
