import type { RequestListener } from "node:http";
import type { Duplex } from "node:stream";
import { isTestMode, timer } from "@loom/spec";
import type { ConnectionHandler } from "../listeners/listener.ts";
import type { Downstream } from "./downstream.ts";
import { RawConnection, type RawServerPort } from "./raw-connection.ts";
import { httpConnectionHandler } from "./server.ts";
import type { RequestHead } from "./wire/head.ts";

/** The same limits node:http enforces on the handed-over connections (http/server.ts). */
const HEADERS_TIMEOUT_MS = isTestMode() ? 2_000 : 10_000;
const REQUEST_TIMEOUT_MS = 300_000;
const KEEP_ALIVE_TIMEOUT_MS = 65_000;
const BODY_IDLE_TIMEOUT_MS = timer("requestBodyIdleMs");
/** How long a connection we closed keeps reading what the caller still sends (Envoy's delayed close). */
const CLOSE_LINGER_MS = 1_000;
const SWEEP_INTERVAL_MS = 1_000;

/**
 * The HTTP/1.1 fast path for one listener: connections are served by RawConnection, each request handed to
 * `dispatch`. What it leaves alone — HTTP/1.0, Upgrade, CONNECT, Expect: 100-continue — goes to node:http
 * with `fallback`, the connection handed over whole.
 */
export function rawHttpConnectionHandler(
  dispatch: (downstream: Downstream) => void,
  fallback: RequestListener,
): ConnectionHandler {
  const server = new RawHttpServer(dispatch, httpConnectionHandler(fallback));
  return { serve: (socket) => server.serve(socket), closeIdle: () => server.closeIdle() };
}

class RawHttpServer implements RawServerPort {
  private readonly connections = new Set<RawConnection>();
  private sweeper: NodeJS.Timeout | undefined;
  closing = false;

  constructor(
    readonly dispatch: (downstream: Downstream) => void,
    private readonly nodeHttp: ConnectionHandler,
  ) {}

  serve(socket: Duplex): void {
    this.connections.add(new RawConnection(socket, this));
    this.sweeper ??= setInterval(this.sweep, SWEEP_INTERVAL_MS).unref();
  }

  /** Draining: idle connections close now, busy ones after their response. */
  closeIdle(): void {
    this.closing = true;
    for (const connection of this.connections) connection.closeIfIdle();
    this.nodeHttp.closeIdle();
  }

  wantsNodeHttp(head: RequestHead): boolean {
    return head.upgrade || head.expectContinue || head.minorVersion === 0 || head.method === "CONNECT";
  }

  handOver(socket: Duplex, unread: Buffer): void {
    socket.pause();
    socket.unshift(unread);
    this.nodeHttp.serve(socket);
    socket.resume();
  }

  forget(connection: RawConnection): void {
    this.connections.delete(connection);
    if (this.connections.size === 0) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }

  /**
   * Slow heads and stalled bodies get 408 (slowloris), idle keep-alive connections close, requests may not
   * take forever, closed connections stop lingering.
   */
  private readonly sweep = (): void => {
    const now = Date.now();
    for (const connection of this.connections) {
      const bodyStalledSince = connection.bodyStalledSince;
      if (connection.lingerOver(now, CLOSE_LINGER_MS)) {
        connection.destroy();
      } else if (bodyStalledSince !== 0 && now - bodyStalledSince > BODY_IDLE_TIMEOUT_MS) {
        connection.refuse(408);
      } else if (connection.headStartedAt !== 0 && now - connection.headStartedAt > HEADERS_TIMEOUT_MS) {
        connection.refuse(408);
      } else if (connection.receivingBody && now - connection.requestStartedAt > REQUEST_TIMEOUT_MS) {
        connection.refuse(408);
      } else if (connection.idle && now - connection.idleSince > KEEP_ALIVE_TIMEOUT_MS) {
        connection.destroy();
      }
    }
  };
}
