import type { IncomingMessage, ServerResponse } from "node:http";
import { SPAN_ATTRIBUTES } from "@loom/spec";
import { SpanKind } from "@opentelemetry/api";
import type { ProxyContext } from "../context.ts";
import { callerIdentity } from "../filters/identity.ts";
import type { Rejection } from "../filters/rejection.ts";
import type { Downstream, DownstreamListener } from "../http/downstream.ts";
import { NodeDownstream } from "../http/node-downstream.ts";
import { type CallOwner, UpstreamCall } from "../http/upstream-call.ts";
import type { ResponseHead } from "../http/wire/head.ts";
import { RequestTelemetry } from "../telemetry/request-telemetry.ts";
import { traceparentOf } from "../telemetry/tracing.ts";

const EMPTY = Buffer.alloc(0);
const NO_HEADERS: readonly string[] = [];
const APP_UNREACHABLE: Rejection = { status: 502, body: "local app unreachable\n" };

/** The inbound chain for a node:http request (connections the fast path handed over). */
export function inboundHttpHandler(context: ProxyContext, appPort: number) {
  return (req: IncomingMessage, res: ServerResponse): void =>
    handleInbound(context, appPort, new NodeDownstream(req, res));
}

/**
 * Peers → local app over HTTP/1.1: identity → authz → rate limit → fault → app. Bodies stream both ways;
 * the app is reached through a keep-alive pool.
 */
export function handleInbound(context: ProxyContext, appPort: number, downstream: Downstream): void {
  const { inbound } = context.config;
  const identity = callerIdentity(downstream.socket);
  const { method, target } = downstream;
  const span = context.tracing.startSpan(
    `${method} ${context.service}`,
    SpanKind.SERVER,
    downstream.traceparent,
    {
      "http.request.method": method,
      "url.path": target,
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
    target,
  );
  const exchange = new InboundExchange(context, appPort, downstream, telemetry);
  downstream.onClose(exchange);

  const rejection =
    inbound.permission.check(identity.source, method, pathOf(target)) ??
    inbound.rateLimit?.check(identity.source);
  if (rejection) {
    exchange.reject(rejection);
    return;
  }
  const fault = inbound.fault?.decide(identity.source);
  if (!fault) {
    exchange.forward();
    return;
  }
  const proceed = () => {
    if (fault.abort) exchange.reject(fault.abort);
    else exchange.forward();
  };
  if (fault.delayMs > 0) setTimeout(proceed, fault.delayMs);
  else proceed();
}

class InboundExchange implements CallOwner, DownstreamListener {
  private call: UpstreamCall | undefined;
  private closed = false;

  constructor(
    private readonly context: ProxyContext,
    private readonly appPort: number,
    private readonly downstream: Downstream,
    private readonly telemetry: RequestTelemetry,
  ) {}

  reject(rejection: Rejection): void {
    this.downstream.discardBody();
    this.telemetry.responded(rejection.status);
    this.downstream.reply(rejection, false);
  }

  forward(): void {
    if (this.closed) return;
    const { downstream } = this;
    const extra = ["traceparent", traceparentOf(this.telemetry.span)];
    // HTTP/1.1 requires a Host: an HTTP/1.0 caller without one gets the app's address.
    if (downstream.host === undefined) extra.push("Host", `127.0.0.1:${this.appPort}`);
    const head = downstream.forwardedHead(undefined, extra);
    this.call = new UpstreamCall(
      this,
      this.context.appPool(this.appPort),
      downstream,
      head,
      downstream.hasBody ? null : EMPTY,
    );
    this.call.start();
  }

  onCallConnected(): void {}

  onCallResponse(_call: UpstreamCall, head: ResponseHead, untilClose: boolean): boolean {
    const { status } = head;
    this.telemetry.responded(status);
    this.downstream.respond(head, undefined, NO_HEADERS, untilClose, this.context.draining);
    return true;
  }

  onCallError(): void {
    this.telemetry.responded(APP_UNREACHABLE.status);
    this.downstream.reply(APP_UNREACHABLE, false);
  }

  downstreamClosed(finished: boolean): void {
    this.closed = true;
    if (!finished) this.call?.abort();
    this.telemetry.finished(finished ? undefined : "connection closed early");
  }
}

export function pathOf(url: string): string {
  const query = url.indexOf("?");
  return query === -1 ? url : url.slice(0, query);
}
