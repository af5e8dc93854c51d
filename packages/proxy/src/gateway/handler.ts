import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import { UNKNOWN_SOURCE } from "@loom/spec";
import { SpanKind } from "@opentelemetry/api";
import type { ProxyContext } from "../context.ts";
import type { Rejection } from "../filters/rejection.ts";
import { reply } from "../http/reply.ts";
import { pathOf } from "../listeners/inbound-http.ts";
import { outboundHttpHandler } from "../listeners/outbound-http.ts";
import { RequestTelemetry } from "../telemetry/request-telemetry.ts";
import { traceparentOf } from "../telemetry/tracing.ts";
import { addForwardedHeaders } from "./forwarded.ts";
import { type GatewayRoutes, hostName } from "./routes.ts";

const ignore = () => {};

/**
 * Public request → gateway route (host, path prefix) → the gateway's own RateLimit and FaultInjection →
 * the outbound handler of the chosen service, i.e. the sidecar's whole outbound chain (TrafficRoute,
 * split, mirror, timeout, retry, breaker, P2C) over mTLS with the gateway's identity. TrafficPermission is
 * enforced where it always is: by the destination's sidecar, against the gateway's SPIFFE ID; outside
 * callers have no identity of their own to check here.
 *
 * The public side is recorded as this proxy's inbound (source "unknown"), so requests the gateway answers
 * itself (404, 429) show up too; the hop to the service is the outbound exchange's own record.
 */
export function gatewayHttpHandler(
  context: ProxyContext,
  routes: GatewayRoutes,
  scheme: "http" | "https",
): RequestListener {
  const upstreams = new Map<number, RequestListener>();
  const upstream = (port: number): RequestListener => {
    let handler = upstreams.get(port);
    if (!handler) {
      handler = outboundHttpHandler(context, port);
      upstreams.set(port, handler);
    }
    return handler;
  };

  return (req, res) => {
    const { config } = context;
    const method = req.method ?? "GET";
    const url = req.url ?? "/";
    const span = context.tracing.startSpan(
      `${method} ${context.service}`,
      SpanKind.SERVER,
      req.headers.traceparent,
      { "http.request.method": method, "url.path": url, "server.address": req.headers.host ?? "" },
    );
    const telemetry = new RequestTelemetry(
      context,
      "inbound",
      UNKNOWN_SOURCE,
      context.service,
      context.version,
      scheme === "https",
      span,
      method,
      url,
    );
    req.on("error", ignore);
    res.once("close", () => {
      // The outbound handler writes the response; its status is known here, once it is over.
      if (res.headersSent) telemetry.responded(res.statusCode);
      telemetry.finished(res.writableFinished ? undefined : "connection closed early");
    });

    const service = routes.match(req.headers.host, url);
    if (service === undefined) {
      const host = req.headers.host === undefined ? "(none)" : hostName(req.headers.host);
      return answer(req, res, telemetry, {
        status: 404,
        body: `no gateway route for host ${host} and path ${pathOf(url)}\n`,
      });
    }
    const outbound = config.snapshot.outbounds.find((candidate) => candidate.service === service);
    if (outbound?.protocol !== "http") {
      const reason = outbound
        ? `${service} speaks ${outbound.protocol}; the gateway carries HTTP/1.1 only`
        : `the gateway's config has no outbound for ${service}`;
      return answer(req, res, telemetry, { status: 503, body: `${reason}\n` });
    }
    const limited = config.inbound.rateLimit?.check(UNKNOWN_SOURCE);
    if (limited) return answer(req, res, telemetry, limited);

    const forward = () => {
      if (res.destroyed) return;
      addForwardedHeaders(req.rawHeaders, req.socket.remoteAddress, scheme);
      // The outbound exchange takes its parent from here: its client span becomes this span's child.
      req.headers.traceparent = traceparentOf(span);
      upstream(outbound.port)(req, res);
    };
    const fault = config.inbound.fault?.decide(UNKNOWN_SOURCE);
    if (!fault) return forward();
    const proceed = () => (fault.abort ? answer(req, res, telemetry, fault.abort) : forward());
    if (fault.delayMs > 0) setTimeout(proceed, fault.delayMs);
    else proceed();
  };
}

function answer(
  req: IncomingMessage,
  res: ServerResponse,
  telemetry: RequestTelemetry,
  rejection: Rejection,
) {
  req.resume();
  telemetry.responded(rejection.status);
  reply(res, rejection);
}
