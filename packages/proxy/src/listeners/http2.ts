import http2, { type IncomingHttpHeaders, type ServerHttp2Stream } from "node:http2";
import { SPAN_ATTRIBUTES } from "@loom/spec";
import { SpanKind } from "@opentelemetry/api";
import type { ProxyContext } from "../context.ts";
import { callerIdentity } from "../filters/identity.ts";
import { isGrpc } from "../http/grpc.ts";
import { forwardStream, respondItself } from "../http/http2-forward.ts";
import { http2Session } from "../http/http2-pool.ts";
import { RequestTelemetry } from "../telemetry/request-telemetry.ts";
import { traceparentOf } from "../telemetry/tracing.ts";
import { pathOf } from "./inbound-http.ts";
import type { ConnectionHandler } from "./listener.ts";

export type StreamHandler = (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => void;

/** HTTP/2 (h2c, or h2 inside the mesh's mTLS) for connections our own listeners accept. */
export function http2ConnectionHandler(onStream: StreamHandler): ConnectionHandler {
  const server = http2.createServer({ maxSessionMemory: 64 });
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on("session", (session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
    session.on("error", () => session.destroy());
  });
  server.on("stream", onStream);
  return {
    serve: (socket) => server.emit("connection", socket),
    // GOAWAY: streams in flight finish, new ones go to another connection.
    closeIdle: () => {
      for (const session of sessions) session.close();
    },
  };
}

/** Ends the request's telemetry when its stream closes. */
export function finishStream(telemetry: RequestTelemetry, stream: ServerHttp2Stream): void {
  const resetCode = stream.rstCode;
  telemetry.finished(resetCode ? `stream reset (${resetCode})` : undefined, resetCode);
}

const APP_SESSION = { connectTimeoutMs: 5_000, idleTimeoutMs: 60_000, maxSockets: 1 };

/** Peers → local app over HTTP/2: the same chain as HTTP/1.1 (identity → authz → rate limit → fault). */
export function inboundHttp2Handler(context: ProxyContext, appPort: number): StreamHandler {
  return (stream, headers) => {
    const { inbound } = context.config;
    const identity = callerIdentity(stream.session?.socket ?? stream);
    const method = String(headers[":method"] ?? "GET");
    const path = String(headers[":path"] ?? "/");
    const span = context.tracing.startSpan(
      `${method} ${context.service}`,
      SpanKind.SERVER,
      headers.traceparent,
      {
        "http.request.method": method,
        "url.path": path,
        [SPAN_ATTRIBUTES.source]: identity.source,
      },
    );
    const telemetry = new RequestTelemetry(
      context,
      "inbound",
      identity.source,
      context.service,
      context.version,
      identity.tls,
      span,
      method,
      path,
    );
    telemetry.grpc = isGrpc(headers);
    stream.once("close", () => finishStream(telemetry, stream));
    stream.on("error", () => {});
    const rejection =
      inbound.permission.check(identity.source, method, pathOf(path)) ??
      inbound.rateLimit?.check(identity.source);
    if (rejection) {
      respondItself(stream, rejection, telemetry);
      return;
    }
    const fault = inbound.fault?.decide(identity.source);
    const proceed = () => {
      if (fault?.abort) respondItself(stream, fault.abort, telemetry);
      else {
        const session = http2Session({ host: "127.0.0.1", port: appPort, ...APP_SESSION });
        forwardStream(stream, headers, session, traceparentOf(span), telemetry);
      }
    };
    if (fault && fault.delayMs > 0) setTimeout(proceed, fault.delayMs);
    else proceed();
  };
}
