import http, { type IncomingMessage, type ServerResponse } from "node:http";
import { SpanKind } from "@opentelemetry/api";
import type { ProxyContext } from "../context.ts";
import { callerIdentity } from "../filters/identity.ts";
import type { Rejection } from "../filters/rejection.ts";
import { endToEndHeaders } from "../http/headers.ts";
import { reply } from "../http/reply.ts";
import { RequestTelemetry } from "../telemetry/request-telemetry.ts";
import { traceparentOf } from "../telemetry/tracing.ts";

const ignore = () => {};

/**
 * Peers → local app over HTTP/1.1: identity → authz → rate limit → fault → app. Bodies stream both ways;
 * the app is reached through a keep-alive pool.
 */
export function inboundHttpHandler(context: ProxyContext, appPort: number) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const { inbound } = context.config;
    const identity = callerIdentity(req.socket);
    const method = req.method ?? "GET";
    const url = req.url ?? "/";
    const span = context.tracing.startSpan(
      `${method} ${context.service}`,
      SpanKind.SERVER,
      req.headers.traceparent,
      {
        "http.request.method": method,
        "url.path": url,
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
      url,
    );
    req.on("error", ignore);
    res.once("close", () => telemetry.finished(res.writableFinished ? undefined : "connection closed early"));

    const path = pathOf(url);
    const rejection =
      inbound.permission.check(identity.source, method, path) ?? inbound.rateLimit?.check(identity.source);
    if (rejection) {
      rejectRequest(req, res, telemetry, rejection);
      return;
    }
    const fault = inbound.fault?.decide(identity.source);
    if (!fault) {
      forwardToApp(context, appPort, req, res, telemetry);
      return;
    }
    const proceed = () => {
      if (fault.abort) rejectRequest(req, res, telemetry, fault.abort);
      else forwardToApp(context, appPort, req, res, telemetry);
    };
    if (fault.delayMs > 0) setTimeout(proceed, fault.delayMs);
    else proceed();
  };
}

function rejectRequest(
  req: IncomingMessage,
  res: ServerResponse,
  telemetry: RequestTelemetry,
  rejection: Rejection,
) {
  req.resume();
  telemetry.responded(rejection.status);
  reply(res, rejection);
}

function forwardToApp(
  context: ProxyContext,
  appPort: number,
  req: IncomingMessage,
  res: ServerResponse,
  telemetry: RequestTelemetry,
): void {
  if (res.destroyed) return;
  const headers = endToEndHeaders(req.rawHeaders);
  headers.push("traceparent", traceparentOf(telemetry.span));
  const upstream = http.request({
    host: "127.0.0.1",
    port: appPort,
    method: req.method,
    path: req.url,
    headers,
    agent: context.appPool(appPort),
  });
  upstream.once("response", (response) => {
    const status = response.statusCode ?? 502;
    telemetry.responded(status);
    const responseHeaders = endToEndHeaders(response.rawHeaders);
    if (context.draining) responseHeaders.push("Connection", "close");
    res.writeHead(status, response.statusMessage, responseHeaders);
    response.once("error", () => res.destroy());
    response.pipe(res);
  });
  upstream.once("error", () => {
    if (res.headersSent) res.destroy();
    else {
      telemetry.responded(502);
      reply(res, { status: 502, body: "local app unreachable\n" });
    }
  });
  res.once("close", () => {
    if (!res.writableFinished) upstream.destroy();
  });
  req.pipe(upstream);
}

export function pathOf(url: string): string {
  const query = url.indexOf("?");
  return query === -1 ? url : url.slice(0, query);
}
