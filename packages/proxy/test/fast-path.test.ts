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

  it("keeps upstream connections usable after a caller leaves before its response is written", async () => {
    for (let i = 0; i < 3; i++) {
      const leaving = net.connect(outboundPort, "127.0.0.1");
      leaving.on("error", () => {});
      leaving.end("GET /slow?ms=200 HTTP/1.1\r\nHost: x\r\n\r\n");
    }
    await new Promise((resolve) => setTimeout(resolve, 400));
    // The pool reuses its most recent connections first: the ones those responses came back on.
    for (let i = 0; i < 5; i++) {
      expect(
        (await request(`http://127.0.0.1:${outboundPort}/after-leave`, { timeoutMs: 3_000 })).status,
      ).toBe(200);
    }
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

/** An upstream that answers each request with what `answer` returns for its request line, written raw. */
function rawUpstream(
  answer: (requestLine: string) => { bytes: string; close: boolean },
): Promise<net.Server> {
  const server = net.createServer((socket) => {
    let buffered = "";
    socket.on("data", (chunk) => {
      buffered += chunk.toString("latin1");
      for (let end = buffered.indexOf("\r\n\r\n"); end !== -1; end = buffered.indexOf("\r\n\r\n")) {
        const requestLine = buffered.slice(0, buffered.indexOf("\r\n"));
        buffered = buffered.slice(end + 4);
        const { bytes, close } = answer(requestLine);
        if (close) socket.end(bytes);
        else socket.write(bytes);
      }
    });
    socket.on("error", () => {});
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

describe("the HTTP/1.1 fast path against unusual upstream responses", () => {
  let port: number;

  beforeAll(async () => {
    const upstream = await rawUpstream((requestLine) => {
      if (requestLine.startsWith("GET /until-close"))
        return { bytes: "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end", close: true };
      if (requestLine.startsWith("GET /no-content"))
        return { bytes: "HTTP/1.1 204 No Content\r\n\r\n", close: false };
      if (requestLine.startsWith("GET /old"))
        return { bytes: "HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nold", close: true };
      if (requestLine.startsWith("GET /interim"))
        return {
          bytes:
            "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
          close: false,
        };
      // HEAD and everything else: a length, and a body only for GET.
      const body = requestLine.startsWith("HEAD") ? "" : "hello";
      return { bytes: `HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n${body}`, close: false };
    });
    const address = upstream.address() as net.AddressInfo;
    port = await freePort();
    await startProxy(await tempDir(), {
      name: "web",
      service: "web",
      snapshot: snapshot({
        service: "web",
        outbounds: [{ service: "raw", port, protocol: "http", endpoints: [endpoint("raw", address.port)] }],
      }),
    });
  });

  it("chunks a response that ends with its upstream connection, keeping the caller's connection", async () => {
    const answer = await rawExchange(
      port,
      "GET /until-close HTTP/1.1\r\nHost: x\r\n\r\nGET /after HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    expect(statusLines(answer)).toEqual(["HTTP/1.1 200", "HTTP/1.1 200"]);
    expect(answer).toContain("Transfer-Encoding: chunked\r\n\r\nd\r\nuntil the end\r\n0\r\n\r\n");
    expect(answer).toMatch(/\r\n\r\nhello$/);
  });

  it("relays HEAD and 204 answers without a body, skips 1xx interim answers, and speaks HTTP/1.1 for an HTTP/1.0 upstream", async () => {
    const answer = await rawExchange(
      port,
      "HEAD /head HTTP/1.1\r\nHost: x\r\n\r\n" +
        "GET /no-content HTTP/1.1\r\nHost: x\r\n\r\n" +
        "GET /interim HTTP/1.1\r\nHost: x\r\n\r\n" +
        "GET /old HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    // Bodies end without a newline here, so status lines are not always at a line start.
    expect(answer.match(/HTTP\/1\.[01] \d{3}/g)).toEqual([
      "HTTP/1.1 200",
      "HTTP/1.1 204",
      "HTTP/1.1 200",
      "HTTP/1.1 200",
    ]);
    expect(answer).toContain("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nHTTP/1.1 204");
    expect(answer).not.toContain("103");
    expect(answer).toContain("Content-Length: 2\r\n\r\nok");
    expect(answer).toMatch(/\r\n\r\nold$/);
  });
});
