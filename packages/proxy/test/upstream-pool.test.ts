import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Downstream, DrainWaiter } from "../src/http/downstream.ts";
import { UpstreamPool } from "../src/http/pool.ts";
import { type CallOwner, UpstreamCall } from "../src/http/upstream-call.ts";

const BIG = Buffer.alloc(40_000, "x");
const NO_BODY = Buffer.alloc(0);

/**
 * A caller that pushes back on the last bytes of its response and never drains (it went away, or its
 * connection is stuck): the one part of the exchange played by a stand-in, so the moment is exact.
 */
function pushingBackCaller(bodyBytes: number) {
  let written = 0;
  let ended: () => void = () => {};
  const responseEnded = new Promise<void>((resolve) => {
    ended = resolve;
  });
  const drainWaiters: DrainWaiter[] = [];
  const downstream = {
    method: "GET",
    wantsWireBody: false,
    writeBody: (_buffer: Buffer, start: number, end: number) => {
      written += end - start;
      return written < bodyBytes;
    },
    flush: () => {},
    endResponse: () => ended(),
    waitDrain: (waiter: DrainWaiter) => drainWaiters.push(waiter),
    destroy: () => {},
  } as unknown as Downstream;
  return { downstream, responseEnded, drainWaiters, written: () => written };
}

const relayingOwner: CallOwner = {
  onCallConnected: () => {},
  onCallResponse: () => true,
  onCallError: () => {},
};

/** A real upstream over real sockets, its responses sent whole in one write. */
describe("upstream pool", () => {
  let server: http.Server;
  let pool: UpstreamPool;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const body = req.url === "/big" ? BIG : Buffer.from("small\n");
      res.writeHead(200, { "content-length": body.length }).end(body);
    });
    server.keepAliveTimeout = 30_000;
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    // One connection, so the second call must reuse the first one's.
    pool = new UpstreamPool({
      host: "127.0.0.1",
      port,
      maxSockets: 1,
      connectTimeoutMs: 5_000,
      idleTimeoutMs: 30_000,
    });
  });

  afterAll(() => {
    pool?.destroy();
    server?.close();
  });

  it("reads the next response on a connection whose previous one ended while its caller pushed back", async () => {
    const first = pushingBackCaller(BIG.length);
    new UpstreamCall(
      relayingOwner,
      pool,
      first.downstream,
      "GET /big HTTP/1.1\r\nHost: x\r\n\r\n",
      NO_BODY,
    ).start();
    await first.responseEnded;
    expect(first.written()).toBe(BIG.length);
    expect(first.drainWaiters.length).toBe(1);

    const second = pushingBackCaller(Number.POSITIVE_INFINITY);
    new UpstreamCall(
      relayingOwner,
      pool,
      second.downstream,
      "GET /small HTTP/1.1\r\nHost: x\r\n\r\n",
      NO_BODY,
    ).start();
    const outcome = await Promise.race([
      second.responseEnded.then(() => "answered"),
      new Promise((resolve) => setTimeout(resolve, 3_000, "no answer within 3 s")),
    ]);
    expect(outcome).toBe("answered");
    expect(second.written()).toBe("small\n".length);
  });
});
