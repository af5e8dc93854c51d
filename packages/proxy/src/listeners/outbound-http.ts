import type { IncomingMessage, ServerResponse } from "node:http";
import { SPAN_ATTRIBUTES } from "@loom/spec";
import { SpanKind } from "@opentelemetry/api";
import type { OutboundRuntime } from "../config.ts";
import type { ProxyContext } from "../context.ts";
import type { Rejection } from "../filters/rejection.ts";
import { type AttemptError, spendRetry } from "../filters/retry.ts";
import type { Backend, CompiledRule } from "../filters/traffic-route.ts";
import type { BodySink, Downstream, DownstreamListener } from "../http/downstream.ts";
import { NodeDownstream } from "../http/node-downstream.ts";
import { type CallOwner, UpstreamCall } from "../http/upstream-call.ts";
import type { ResponseHead } from "../http/wire/head.ts";
import type { EndpointState } from "../lb/endpoint.ts";
import { pickEndpoint } from "../lb/p2c-ewma.ts";
import { RequestTelemetry } from "../telemetry/request-telemetry.ts";
import { traceparentOf } from "../telemetry/tracing.ts";
import { sendMirrors } from "./outbound-mirror.ts";

/**
 * Bodies of a declared length up to this size are read whole before an upstream is called: a caller trickling
 * its body then holds no circuit-breaker slot or upstream connection meanwhile, and retries and mirrors can
 * resend it. Larger and chunked bodies stream, once.
 */
const MAX_BUFFERED_BODY_BYTES = 64 * 1024;
const EMPTY = Buffer.alloc(0);
const NO_HEADERS = {};

export const FAILURE_REPLIES: Record<AttemptError, Rejection> = {
  "connect-failure": { status: 503, body: "upstream connect error\n" },
  reset: { status: 502, body: "upstream connection reset\n" },
  timeout: { status: 504, body: "upstream request timeout\n" },
};

/** The outbound chain for a node:http request (the gateway's public listener, connections handed over). */
export function outboundHttpHandler(context: ProxyContext, port: number) {
  return (req: IncomingMessage, res: ServerResponse): void =>
    handleOutbound(context, port, new NodeDownstream(req, res));
}

/**
 * App → upstream service over HTTP/1.1: route match → split / mirror / header rules → timeout → retry
 * (budget) → circuit breaker → P2C load balancing → endpoint pool (mTLS when the mesh says so).
 */
export function handleOutbound(context: ProxyContext, port: number, downstream: Downstream): void {
  const outbound = context.config.outbounds.get(port);
  if (!outbound) {
    downstream.discardBody();
    downstream.reply({ status: 503, body: "no upstream configured on this port\n" }, false);
    return;
  }
  new OutboundExchange(context, outbound, downstream).start();
}

/** One request on its way upstream; it keeps the config it started with to the end. */
class OutboundExchange implements DownstreamListener, BodySink {
  private readonly telemetry: RequestTelemetry;
  private rule: CompiledRule | undefined;
  private backend: Backend | undefined;
  /** The request head every attempt sends. */
  requestHead = "";
  /** undefined until known; null when the body streams and so cannot be replayed. */
  body: Buffer | null | undefined;
  private bodyChunks: Buffer[] | undefined;
  private attempts = 0;
  /** The attempt in flight, to abort on deadline or when the caller leaves. */
  current: Attempt | undefined;
  private deadline: NodeJS.Timeout | undefined;
  private settled = false;
  private budgetExhausted = false;

  constructor(
    private readonly context: ProxyContext,
    readonly outbound: OutboundRuntime,
    readonly downstream: Downstream,
  ) {
    const { method, target } = downstream;
    const destination = outbound.snapshot.service;
    const span = context.tracing.startSpan(
      `${method} ${destination}`,
      SpanKind.CLIENT,
      downstream.traceparent,
      {
        "http.request.method": method,
        "url.path": target,
        [SPAN_ATTRIBUTES.destination]: destination,
      },
    );
    this.telemetry = new RequestTelemetry(
      context,
      "outbound",
      context.service,
      destination,
      "unknown",
      outbound.tls,
      span,
      method,
      target,
    );
    this.telemetry.route = outbound.routes.name;
  }

  start(): void {
    const { downstream, outbound } = this;
    downstream.onClose(this);
    const { routes } = outbound;
    const rule = routes.match(
      downstream.method,
      downstream.target,
      routes.matchesHeaders ? downstream.headers() : NO_HEADERS,
    );
    if (!rule) {
      this.fail({ status: 404, body: `no route of ${outbound.routes.name} matches\n` });
      return;
    }
    this.rule = rule;
    this.backend = rule.pickBackend();
    const extra = ["traceparent", traceparentOf(this.telemetry.span)];
    // HTTP/1.1 upstreams require a Host: an HTTP/1.0 caller without one gets the service's name.
    if (downstream.host === undefined) extra.push("Host", outbound.snapshot.service);
    this.requestHead = downstream.forwardedHead(rule.requestHeaders, extra);
    outbound.budget.recordRequest();
    this.deadline = setTimeout(onDeadline, rule.deadlines.requestMs, this);

    if (!downstream.hasBody) {
      this.body = EMPTY;
      this.sendMirrors();
      this.sendAttempt();
    } else if (downstream.contentLength !== -1 && downstream.contentLength <= MAX_BUFFERED_BODY_BYTES) {
      this.bodyChunks = [];
      downstream.pipeBody(this);
    } else {
      this.body = null;
      this.sendAttempt();
    }
  }

  /** Buffers a replayable body. */
  write(chunk: Buffer): boolean {
    this.bodyChunks?.push(chunk);
    return true;
  }

  end(): void {
    const chunks = this.bodyChunks as Buffer[];
    this.body = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
    this.bodyChunks = undefined;
    if (this.settled) return;
    this.sendMirrors();
    this.sendAttempt();
  }

  /** Shadow copies: fire and forget; their responses are discarded and never delay the caller. */
  private sendMirrors(): void {
    const rule = this.rule as CompiledRule;
    if (rule.mirrors.length > 0)
      sendMirrors(rule, this.requestHead, this.body as Buffer, this.downstream.method);
  }

  sendAttempt(): void {
    if (this.settled) return;
    const { outbound } = this;
    const overflow = outbound.breaker.admit();
    if (overflow) {
      this.fail(overflow);
      return;
    }
    const now = Date.now();
    const endpoint = pickEndpoint((this.backend as Backend).endpoints, now);
    if (!endpoint) {
      this.fail({ status: 503, body: `no endpoints available for ${(this.backend as Backend).service}\n` });
      return;
    }
    this.attempts += 1;
    new Attempt(this, endpoint, now).send();
  }

  /** Called by an attempt that got response headers: true when its response goes to the caller. */
  onResponse(attempt: Attempt, head: ResponseHead, untilClose: boolean): boolean {
    const { status } = head;
    if (this.settled) return false;
    const retry = (this.rule as CompiledRule).retry;
    if (retry?.retriableStatus(status) && this.mayRetry(retry.attempts)) {
      this.scheduleRetry();
      return false;
    }
    this.settle();
    const { telemetry, downstream } = this;
    telemetry.destinationVersion = attempt.endpoint.version;
    telemetry.endpoint = attempt.endpoint.label;
    telemetry.responded(status);
    const extra: string[] = [];
    if (this.attempts > 1) extra.push("x-loom-attempts", String(this.attempts));
    if (this.budgetExhausted) extra.push("x-loom-retry-budget", "exhausted");
    const modifier = (this.rule as CompiledRule).responseHeaders;
    downstream.respond(head, modifier, extra, untilClose, this.context.draining);
    return true;
  }

  /** Called by an attempt that failed without a response. */
  onError(attempt: Attempt, error: AttemptError): void {
    if (this.settled) return;
    if (error === "reset" && attempt.reused && this.body !== null && !attempt.isStaleRetry) {
      // The pooled connection was closed by the upstream just as we reused it: resend at once, not a retry.
      new Attempt(this, attempt.endpoint, Date.now(), true).send();
      return;
    }
    const retry = (this.rule as CompiledRule).retry;
    if (retry?.retriableError(error) && this.mayRetry(retry.attempts)) {
      this.scheduleRetry();
      return;
    }
    this.fail(FAILURE_REPLIES[error]);
  }

  private mayRetry(maxAttempts: number): boolean {
    if (this.attempts >= maxAttempts || this.body === null) return false;
    if (spendRetry(this.outbound.budget, this.context.metrics, this.outbound.snapshot.service)) return true;
    this.budgetExhausted = true;
    return false;
  }

  private scheduleRetry(): void {
    const retry = (this.rule as CompiledRule).retry;
    setTimeout(sendAttempt, retry ? retry.backoffMs(this.attempts) : 0, this);
  }

  get perTryTimeoutMs(): number | undefined {
    return (this.rule as CompiledRule).retry?.perTryTimeoutMs;
  }

  private fail(rejection: Rejection): void {
    if (this.settled) return;
    this.settle();
    this.telemetry.responded(rejection.status);
    if (this.budgetExhausted) {
      rejection = {
        ...rejection,
        headers: [...(rejection.headers ?? []), "x-loom-retry-budget", "exhausted"],
      };
    }
    this.downstream.discardBody();
    this.downstream.reply(rejection, false);
  }

  private settle(): void {
    this.settled = true;
    clearTimeout(this.deadline);
  }

  onDeadline(): void {
    if (this.settled) return;
    this.current?.abort();
    this.fail(FAILURE_REPLIES.timeout);
  }

  downstreamClosed(finished: boolean): void {
    if (!finished) {
      this.settle();
      this.current?.abort();
    }
    this.telemetry.finished(finished ? undefined : "caller went away");
  }
}

/** One try against one endpoint; keeps the endpoint's and the breaker's counters straight whatever happens. */
class Attempt implements CallOwner {
  private readonly call: UpstreamCall;
  private pending = true;
  private connectedAt: number | undefined;
  private done = false;
  private timer: NodeJS.Timeout | undefined;
  private timedOut = false;

  constructor(
    private readonly exchange: OutboundExchange,
    readonly endpoint: EndpointState,
    private readonly startedAt: number,
    readonly isStaleRetry = false,
  ) {
    this.call = new UpstreamCall(
      this,
      endpoint.pool,
      exchange.downstream,
      exchange.requestHead,
      exchange.body ?? null,
    );
  }

  get reused(): boolean {
    return this.call.reused;
  }

  send(): void {
    const { exchange, endpoint } = this;
    const { breaker } = exchange.outbound;
    endpoint.inFlight += 1;
    breaker.requests += 1;
    breaker.pending += 1;
    exchange.current = this;
    const perTryTimeoutMs = exchange.perTryTimeoutMs;
    if (perTryTimeoutMs !== undefined) this.timer = setTimeout(onPerTryTimeout, perTryTimeoutMs, this);
    this.call.start();
  }

  abort(): void {
    this.call.abort();
    this.finish("gateway-error");
  }

  onCallConnected(): void {
    this.connectedAt = Date.now();
    this.leavePending();
  }

  private leavePending(): void {
    if (!this.pending) return;
    this.pending = false;
    this.exchange.outbound.breaker.pending -= 1;
  }

  private finish(outcome: number | "gateway-error"): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.timer);
    this.leavePending();
    const { endpoint } = this;
    const { breaker, outliers, pool } = this.exchange.outbound;
    endpoint.inFlight -= 1;
    breaker.requests -= 1;
    const now = Date.now();
    // From the moment it had a connection, as tower's peak-EWMA measures: a fresh TLS handshake (a replica
    // that just came back) is not what the endpoint costs per request, and counting it starved such a replica.
    endpoint.recordLatency(now - (this.connectedAt ?? this.startedAt), now);
    outliers?.record(endpoint, outcome, pool, now);
  }

  onCallResponse(_call: UpstreamCall, head: ResponseHead, untilClose: boolean): boolean {
    this.finish(head.status);
    return this.exchange.onResponse(this, head, untilClose);
  }

  onCallError(_call: UpstreamCall, connected: boolean): void {
    this.finish("gateway-error");
    this.exchange.onError(this, this.timedOut ? "timeout" : connected ? "reset" : "connect-failure");
  }

  onTimeout(): void {
    this.timedOut = true;
    this.call.abort();
    this.finish("gateway-error");
    this.exchange.onError(this, "timeout");
  }
}

// Timer callbacks take their exchange as an argument: no closure per request.
function onDeadline(exchange: OutboundExchange): void {
  exchange.onDeadline();
}

function sendAttempt(exchange: OutboundExchange): void {
  exchange.sendAttempt();
}

function onPerTryTimeout(attempt: Attempt): void {
  attempt.onTimeout();
}
