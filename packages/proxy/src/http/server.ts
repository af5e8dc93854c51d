import http from "node:http";
import type { Duplex } from "node:stream";
import { isTestMode } from "@loom/spec";
import type { ConnectionHandler } from "../listeners/listener.ts";

/** Limits that keep malformed or slow clients from holding the proxy (spec has no timers for these yet). */
const HEADERS_TIMEOUT_MS = isTestMode() ? 2_000 : 10_000;
const REQUEST_TIMEOUT_MS = 300_000;
const MAX_HEADER_BYTES = 16 * 1024;
/** Longer than the pools' idle timeout, so a peer proxy closes idle connections before we do. */
const KEEP_ALIVE_TIMEOUT_MS = 65_000;

const CLIENT_ERROR_STATUS: Record<string, string> = {
  HPE_HEADER_OVERFLOW: "431 Request Header Fields Too Large",
  ERR_HTTP_REQUEST_TIMEOUT: "408 Request Timeout",
  HPE_HEADERS_TIMEOUT: "408 Request Timeout",
};

/**
 * An HTTP/1.1 server for one listener. llhttp already refuses request smuggling (Content-Length with
 * Transfer-Encoding) and bad chunking; this answers such clients with a 4xx and closes their connection.
 */
export function httpConnectionHandler(handler: http.RequestListener): ConnectionHandler {
  const server = createHttpServer(handler);
  // Connections are handed over by our own listener, so the server never emits "listening" by itself;
  // Node starts its header/request timeout checks on that event.
  server.emit("listening");
  return {
    serve: (socket) => server.emit("connection", socket),
    closeIdle: () => server.closeIdleConnections(),
  };
}

function createHttpServer(handler: http.RequestListener): http.Server {
  const server = http.createServer(
    {
      maxHeaderSize: MAX_HEADER_BYTES,
      headersTimeout: HEADERS_TIMEOUT_MS,
      requestTimeout: REQUEST_TIMEOUT_MS,
      keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
      connectionsCheckingInterval: 1_000,
      noDelay: true,
    },
    handler,
  );
  server.on("clientError", onClientError);
  return server;
}

function onClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (error.code === "ECONNRESET" || !socket.writable) {
    socket.destroy();
    return;
  }
  const status = CLIENT_ERROR_STATUS[error.code ?? ""] ?? "400 Bad Request";
  socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}
