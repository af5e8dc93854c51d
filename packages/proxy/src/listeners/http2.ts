import http2, { type IncomingHttpHeaders, type ServerHttp2Stream } from "node:http2";
import { SpanKind } from "@opentelemetry/api";
import type { ProxyContext } from "../context.ts";
import { callerIdentity } from "../filters/identity.ts";
import { forwardStream, respondItself } from "../http/http2-forward.ts";
import { http2Session } from "../http/http2-pool.ts";
import { pickEndpoint } from "../lb/p2c-ewma.ts";
import { RequestTelemetry } from "../telemetry/request-telemetry.ts";
import { traceparentOf } from "../telemetry/tracing.ts";
import { pathOf } from "./inbound-http.ts";
import type { ConnectionHandler } from "./listener.ts";

type StreamHandler = (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => void;

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
        "loom.source": identity.source,
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
    stream.once("close", () =>
      telemetry.finished(stream.rstCode ? `stream reset (${stream.rstCode})` : undefined),
    );
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

/**
 * App → upstream over HTTP/2 (gRPC): route match → split → circuit breaker → P2C → endpoint session (mTLS
 * when the mesh says so). Streams are not buffered, so they are not retried.
 */
export function outboundHttp2Handler(context: ProxyContext, port: number): StreamHandler {
  return (stream, headers) => {
    stream.on("error", () => {});
    const outbound = context.config.outbounds.get(port);
    const method = String(headers[":method"] ?? "GET");
    const path = String(headers[":path"] ?? "/");
    const destination = outbound?.snapshot.service ?? "unknown";
    const span = context.tracing.startSpan(`${method} ${destination}`, SpanKind.CLIENT, headers.traceparent, {
      "http.request.method": method,
      "url.path": path,
      "loom.destination": destination,
    });
    const telemetry = new RequestTelemetry(
      context,
      "outbound",
      context.service,
      destination,
      "unknown",
      outbound?.tls ?? false,
      span,
      method,
      path,
    );
    stream.once("close", () =>
      telemetry.finished(stream.rstCode ? `stream reset (${stream.rstCode})` : undefined),
    );
    if (!outbound) {
      respondItself(stream, { status: 503, body: "no upstream configured on this port\n" }, telemetry);
      return;
    }
    telemetry.route = outbound.routes.name;
    const rule = outbound.routes.match(method, path, headers);
    if (!rule) {
      respondItself(
        stream,
        { status: 404, body: `no route of ${outbound.routes.name} matches\n` },
        telemetry,
      );
      return;
    }
    const overflow = outbound.breaker.admit();
    if (overflow) {
      respondItself(stream, overflow, telemetry);
      return;
    }
    const backend = rule.pickBackend();
    const now = Date.now();
    const endpoint = pickEndpoint(backend.endpoints, now);
    if (!endpoint) {
      respondItself(
        stream,
        { status: 503, body: `no endpoints available for ${backend.service}\n` },
        telemetry,
      );
      return;
    }
    telemetry.destinationVersion = endpoint.version;
    telemetry.endpoint = endpoint.label;
    endpoint.inFlight += 1;
    outbound.breaker.requests += 1;
    let status: number | "gateway-error" = "gateway-error";
    const deadline = setTimeout(() => stream.close(http2.constants.NGHTTP2_CANCEL), rule.deadlines.requestMs);
    stream.once("close", () => {
      clearTimeout(deadline);
      endpoint.inFlight -= 1;
      outbound.breaker.requests -= 1;
      outbound.outliers?.record(endpoint, status, outbound.pool, Date.now());
    });
    forwardStream(stream, headers, http2Session(endpoint.dialOptions), traceparentOf(span), {
      responded: (received) => {
        clearTimeout(deadline);
        status = received;
        const respondedAt = Date.now();
        endpoint.recordLatency(respondedAt - now, respondedAt);
        telemetry.responded(received);
      },
    });
  };
}
