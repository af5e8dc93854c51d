import http2, { type ClientHttp2Stream, type IncomingHttpHeaders, type ServerHttp2Stream } from "node:http2";
import { grpcStatusAsHttp, SPAN_ATTRIBUTES } from "@loom/spec";
import { SpanKind } from "@opentelemetry/api";
import type { OutboundRuntime } from "../config.ts";
import type { ProxyContext } from "../context.ts";
import type { UpstreamOutcome } from "../filters/outlier-detection.ts";
import type { Rejection } from "../filters/rejection.ts";
import { type AttemptError, type RetryPolicy, spendRetry } from "../filters/retry.ts";
import type { Backend, CompiledRule } from "../filters/traffic-route.ts";
import { grpcStatusOfUnfinishedCall, isGrpc, parseGrpcStatus } from "../http/grpc.ts";
import {
  relayedResponseHeaders,
  relayedTrailers,
  respondItself,
  upstreamRequestHeaders,
} from "../http/http2-forward.ts";
import { http2Session } from "../http/http2-pool.ts";
import type { EndpointState } from "../lb/endpoint.ts";
import { pickEndpoint } from "../lb/p2c-ewma.ts";
import { RequestTelemetry } from "../telemetry/request-telemetry.ts";
import { traceparentOf } from "../telemetry/tracing.ts";
import { finishStream, type StreamHandler } from "./http2.ts";
import { FAILURE_REPLIES } from "./outbound-http.ts";

const { NGHTTP2_CANCEL, NGHTTP2_FLAG_END_STREAM } = http2.constants;

/** Request bodies up to this size are kept so that a retry can resend them; a larger one streams once. */
export const MAX_REPLAY_BODY_BYTES = 64 * 1024;

/**
 * App → upstream over HTTP/2 (gRPC included): route match → split → timeout → retry (budget) → circuit
 * breaker → P2C → endpoint session (mTLS when the mesh says so).
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
      [SPAN_ATTRIBUTES.destination]: destination,
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
    telemetry.grpc = isGrpc(headers);
    stream.once("close", () => finishStream(telemetry, stream));
    if (!outbound) {
      respondItself(stream, { status: 503, body: "no upstream configured on this port\n" }, telemetry);
      return;
    }
    new Http2Exchange(context, outbound, stream, headers, telemetry).start();
  };
}

/**
 * One stream on its way upstream. The request body streams to the attempt in flight and, while it fits, is
 * kept so that a retry can resend it. A response is retried only while nothing of it has reached the
 * caller; for gRPC with grpc-* retry conditions, response headers are held back until the first message
 * or the trailers, so a status in the trailers can still be retried.
 */
class Http2Exchange {
  private rule: CompiledRule | undefined;
  private backend: Backend | undefined;
  private readonly grpc: boolean;
  private attempts = 0;
  /** The attempt the request body goes to, undefined while a retry waits for its backoff. */
  private current: Http2Attempt | undefined;
  /** Whether a response, or the proxy's own answer, is going to the caller. */
  private committed = false;
  /** The request body so far; null once it outgrew the cap, or when nothing may resend it. */
  private body: Buffer[] | null = null;
  private bodyBytes = 0;
  private bodyEnded = false;
  /** The request timeout, which runs until response headers; undefined while none runs. */
  private deadline: NodeJS.Timeout | undefined;
  private deadlineAt: number | undefined;
  private budgetExhausted = false;
  private readonly upstreamHeaders: http2.OutgoingHttpHeaders;

  constructor(
    private readonly context: ProxyContext,
    readonly outbound: OutboundRuntime,
    private readonly downstream: ServerHttp2Stream,
    headers: IncomingHttpHeaders,
    private readonly telemetry: RequestTelemetry,
  ) {
    this.grpc = telemetry.grpc;
    this.upstreamHeaders = upstreamRequestHeaders(headers, traceparentOf(telemetry.span));
  }

  start(): void {
    const { downstream, outbound, telemetry } = this;
    telemetry.route = outbound.routes.name;
    const headers = this.upstreamHeaders as IncomingHttpHeaders;
    const rule = outbound.routes.match(String(headers[":method"]), String(headers[":path"]), headers);
    if (!rule) {
      this.answer({ status: 404, body: `no route of ${outbound.routes.name} matches\n` });
      return;
    }
    this.rule = rule;
    this.backend = rule.pickBackend();
    outbound.budget.recordRequest();
    if (rule.retry) this.body = [];
    downstream.once("close", () => this.downstreamClosed());
    downstream.on("wantTrailers", () => downstream.sendTrailers(relayedTrailers(this.current?.trailers)));
    downstream.on("data", (chunk: Buffer) => this.requestData(chunk));
    downstream.once("end", () => this.requestEnded());
    this.sendAttempt();
  }

  private requestData(chunk: Buffer): void {
    if (this.body) {
      this.bodyBytes += chunk.length;
      if (this.bodyBytes > MAX_REPLAY_BODY_BYTES) this.body = null;
      else this.body.push(chunk);
    }
    const upstream = this.current?.stream;
    if (upstream && !upstream.destroyed && !upstream.write(chunk)) {
      this.downstream.pause();
      upstream.once("drain", () => this.downstream.resume());
    }
  }

  private requestEnded(): void {
    this.bodyEnded = true;
    const upstream = this.current?.stream;
    if (upstream && !upstream.destroyed) upstream.end();
  }

  sendAttempt(): void {
    if (this.committed) return;
    // Armed for the first try, and again for a retry after held response headers had stopped it: the
    // request timeout covers the retries too.
    this.deadlineAt ??= Date.now() + (this.rule as CompiledRule).deadlines.requestMs;
    this.deadline ??= setTimeout(() => this.onDeadline(), Math.max(0, this.deadlineAt - Date.now()));
    const { outbound } = this;
    const overflow = outbound.breaker.admit();
    if (overflow) {
      this.answer(overflow);
      return;
    }
    const backend = this.backend as Backend;
    const endpoint = pickEndpoint(backend.endpoints, Date.now());
    if (!endpoint) {
      this.answer({ status: 503, body: `no endpoints available for ${backend.service}\n` });
      return;
    }
    this.attempts += 1;
    const attempt = new Http2Attempt(this, endpoint);
    this.current = attempt;
    // A retry resends the whole body, which mayRetry made sure had ended; the first attempt streams it.
    const resend = this.attempts > 1 ? Buffer.concat(this.body as Buffer[]) : undefined;
    attempt.send(this.upstreamHeaders, resend, this.retry?.perTryTimeoutMs);
  }

  private get retry(): RetryPolicy | undefined {
    return this.rule?.retry;
  }

  /** Response headers of the attempt in flight. */
  onResponse(attempt: Http2Attempt, headers: IncomingHttpHeaders, endStream: boolean): void {
    if (this.committed || attempt !== this.current) {
      attempt.discard(undefined);
      return;
    }
    const status = attempt.status;
    const grpcStatus = this.grpc ? parseGrpcStatus(headers["grpc-status"]) : undefined;
    if (this.retriable(status, grpcStatus)) {
      this.retryAfter(attempt, outcomeOf(status, grpcStatus));
      return;
    }
    if (this.grpc && !endStream && this.mightRetryGrpcStatus()) {
      // Headers came, so the request timeout is met, even if the caller sees them only with the first message.
      this.stopDeadline();
      attempt.hold();
    } else this.commit(attempt, endStream ? "ended" : "streaming");
  }

  /** A held attempt's trailers arrived before any message: its grpc-status may still be retried. */
  onHeldTrailers(attempt: Http2Attempt): void {
    if (this.committed || attempt !== this.current) return;
    const grpcStatus = parseGrpcStatus(attempt.trailers?.["grpc-status"]);
    if (this.retriable(attempt.status, grpcStatus)) {
      this.retryAfter(attempt, outcomeOf(attempt.status, grpcStatus));
      return;
    }
    this.commit(attempt, "finished");
  }

  /**
   * The response goes to the caller: from here on, the exchange is this attempt's. `upstream`: the response
   * ended with its headers, has its body still to stream (after `firstChunk`, if held for it), or has
   * finished (headers, then trailers or an end, no message).
   */
  commit(attempt: Http2Attempt, upstream: "ended" | "streaming" | "finished", firstChunk?: Buffer): void {
    this.settle();
    attempt.committed = true;
    this.body = null;
    const { telemetry, downstream } = this;
    const { endpoint, headers } = attempt;
    telemetry.destinationVersion = endpoint.version;
    telemetry.endpoint = endpoint.label;
    telemetry.sawGrpcStatus(headers?.["grpc-status"] ?? attempt.trailers?.["grpc-status"]);
    telemetry.responded(attempt.status);
    if (downstream.destroyed) {
      attempt.discard(undefined);
      return;
    }
    const relayed = relayedResponseHeaders(headers as IncomingHttpHeaders);
    if (this.attempts > 1) relayed["x-loom-attempts"] = String(this.attempts);
    if (this.budgetExhausted) relayed["x-loom-retry-budget"] = "exhausted";
    const stream = attempt.stream as ClientHttp2Stream;
    const endStream = upstream === "ended";
    downstream.respond(relayed, { endStream, waitForTrailers: !endStream });
    if (upstream === "streaming") {
      if (firstChunk) downstream.write(firstChunk);
      stream.pipe(downstream);
    } else {
      if (upstream === "finished") downstream.end();
      // Read the end, so that the upstream stream closes.
      stream.resume();
    }
  }

  /** Trailers of the committed attempt: the call's grpc-status. */
  onCommittedTrailers(trailers: IncomingHttpHeaders): void {
    this.telemetry.sawGrpcStatus(trailers["grpc-status"]);
  }

  /** The committed attempt's stream closed: a reset goes on to the caller. */
  onCommittedClose(resetCode: number): void {
    const { downstream } = this;
    if (resetCode !== 0 && !downstream.destroyed && downstream.headersSent) downstream.close(resetCode);
  }

  /** The attempt in flight failed without a response. */
  onAttemptError(attempt: Http2Attempt, error: AttemptError): void {
    if (this.committed || attempt !== this.current) return;
    if (this.retry?.retriableError(error) && this.mayRetry()) {
      this.scheduleRetry();
      return;
    }
    this.answer(FAILURE_REPLIES[error]);
  }

  private retriable(status: number, grpcStatus: number | undefined): boolean {
    const { retry } = this;
    if (!retry) return false;
    const retriable =
      retry.retriableStatus(status) || (grpcStatus !== undefined && retry.retriableGrpcStatus(grpcStatus));
    return retriable && this.mayRetry();
  }

  /** Whether a grpc-status still to come could be retried (without spending the budget yet). */
  private mightRetryGrpcStatus(): boolean {
    const { retry } = this;
    return (
      retry !== undefined &&
      retry.grpcStatuses.size > 0 &&
      this.attempts < retry.attempts &&
      this.body !== null &&
      this.bodyEnded
    );
  }

  /** Only a request whose whole body is kept can be resent; the budget has the last word. */
  private mayRetry(): boolean {
    const { retry } = this;
    if (!retry || this.attempts >= retry.attempts || this.body === null || !this.bodyEnded) return false;
    if (spendRetry(this.outbound.budget, this.context.metrics, this.outbound.snapshot.service)) return true;
    this.budgetExhausted = true;
    return false;
  }

  private retryAfter(attempt: Http2Attempt, outcome: UpstreamOutcome): void {
    attempt.discard(outcome);
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    this.current = undefined;
    // A body paused for the discarded attempt has ended already (mayRetry): nothing left to resume.
    setTimeout(() => this.sendAttempt(), this.retry?.backoffMs(this.attempts) ?? 0);
  }

  /** The proxy answers the caller itself (no route, no endpoint, every try failed, deadline). */
  private answer(rejection: Rejection): void {
    if (this.committed) return;
    this.settle();
    this.current?.discard(undefined);
    if (this.budgetExhausted) {
      rejection = {
        ...rejection,
        headers: [...(rejection.headers ?? []), "x-loom-retry-budget", "exhausted"],
      };
    }
    // The rest of the request body has nowhere to go.
    this.downstream.resume();
    respondItself(this.downstream, rejection, this.telemetry);
  }

  private settle(): void {
    this.committed = true;
    this.stopDeadline();
  }

  private stopDeadline(): void {
    clearTimeout(this.deadline);
    this.deadline = undefined;
  }

  private onDeadline(): void {
    if (this.committed) return;
    this.current?.discard("gateway-error");
    this.answer(FAILURE_REPLIES.timeout);
  }

  private downstreamClosed(): void {
    const { current } = this;
    if (this.committed) {
      // The response's own outcome is counted when its upstream stream closes.
      current?.cancel();
      return;
    }
    // The caller went away before any response: no failure of the endpoint's.
    this.settle();
    current?.discard(undefined);
  }
}

/** One try against one endpoint; keeps the endpoint's and the breaker's counters straight whatever happens. */
class Http2Attempt {
  stream: ClientHttp2Stream | undefined;
  headers: IncomingHttpHeaders | undefined;
  trailers: IncomingHttpHeaders | undefined;
  status = 0;
  private readonly startedAt = Date.now();
  private held = false;
  committed = false;
  private discarded = false;
  private accounted = false;
  private perTryTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly exchange: Http2Exchange,
    readonly endpoint: EndpointState,
  ) {}

  send(
    headers: http2.OutgoingHttpHeaders,
    body: Buffer | undefined,
    perTryTimeoutMs: number | undefined,
  ): void {
    const { endpoint } = this;
    const { breaker } = this.exchange.outbound;
    endpoint.inFlight += 1;
    breaker.requests += 1;
    let stream: ClientHttp2Stream;
    try {
      stream = http2Session(endpoint.dialOptions).request(headers);
    } catch {
      // A session closing under us: nothing was sent.
      this.account("gateway-error");
      setImmediate(() => this.exchange.onAttemptError(this, "connect-failure"));
      return;
    }
    this.stream = stream;
    if (body !== undefined) stream.end(body);
    if (perTryTimeoutMs !== undefined) this.perTryTimer = setTimeout(() => this.onTimeout(), perTryTimeoutMs);
    stream.on("error", () => {});
    stream.once("response", (responseHeaders, flags) => {
      clearTimeout(this.perTryTimer);
      this.headers = responseHeaders;
      this.status = Number(responseHeaders[":status"] ?? 502);
      const now = Date.now();
      endpoint.recordLatency(now - this.startedAt, now);
      if (this.discarded) return;
      this.exchange.onResponse(this, responseHeaders, (flags & NGHTTP2_FLAG_END_STREAM) !== 0);
    });
    stream.on("trailers", (trailers) => {
      this.trailers = trailers;
      if (this.discarded) return;
      if (this.committed) this.exchange.onCommittedTrailers(trailers);
      else if (this.held) this.exchange.onHeldTrailers(this);
    });
    stream.once("close", () => this.closed(stream));
  }

  /** Response headers stay here until the first message (which commits) or the trailers (which may retry). */
  hold(): void {
    this.held = true;
    const stream = this.stream as ClientHttp2Stream;
    stream.once("data", (chunk: Buffer) => {
      if (!this.discarded && !this.committed) this.exchange.commit(this, "streaming", chunk);
    });
  }

  /**
   * This try's response is not used (retried, the caller left, the deadline passed). `outcome`: what outlier
   * detection should count, or undefined when the endpoint is not to blame.
   */
  discard(outcome: UpstreamOutcome | undefined): void {
    if (this.discarded) return;
    this.discarded = true;
    clearTimeout(this.perTryTimer);
    this.cancel();
    this.account(outcome);
  }

  cancel(): void {
    const { stream } = this;
    if (stream && !stream.closed) stream.close(NGHTTP2_CANCEL);
  }

  private onTimeout(): void {
    if (this.discarded || this.committed) return;
    this.discard("gateway-error");
    this.exchange.onAttemptError(this, "timeout");
  }

  private closed(stream: ClientHttp2Stream): void {
    clearTimeout(this.perTryTimer);
    const resetCode = stream.rstCode ?? 0;
    if (this.discarded) return;
    if (this.committed) {
      this.account(this.finalOutcome(resetCode));
      this.exchange.onCommittedClose(resetCode);
      return;
    }
    if (this.held && resetCode === 0) {
      // Headers and an end, with neither message nor trailers: the caller gets just that.
      this.exchange.commit(this, "finished");
      this.account(this.finalOutcome(0));
      return;
    }
    this.account("gateway-error");
    // No id: the stream never left (the connection failed), so it is safe to send again.
    this.exchange.onAttemptError(this, stream.id === undefined ? "connect-failure" : "reset");
  }

  /** The committed response's outcome for outlier detection: its grpc-status as HTTP, for gRPC. */
  private finalOutcome(resetCode: number): UpstreamOutcome {
    const headers = this.headers as IncomingHttpHeaders;
    if (!isGrpc(headers) || this.status !== 200) return this.status;
    const grpcStatus =
      parseGrpcStatus(headers["grpc-status"] ?? this.trailers?.["grpc-status"]) ??
      grpcStatusOfUnfinishedCall(resetCode);
    return grpcStatusAsHttp(grpcStatus);
  }

  /** Endpoint and breaker counters, and outlier detection, once per try. */
  private account(outcome: UpstreamOutcome | undefined): void {
    if (this.accounted) return;
    this.accounted = true;
    const { endpoint } = this;
    const { breaker, outliers, pool } = this.exchange.outbound;
    endpoint.inFlight -= 1;
    breaker.requests -= 1;
    const now = Date.now();
    if (this.headers === undefined) endpoint.recordLatency(now - this.startedAt, now);
    if (outcome !== undefined) outliers?.record(endpoint, outcome, pool, now);
  }
}

/** What outlier detection counts for a response: a gRPC call's status as its HTTP equivalent. */
function outcomeOf(status: number, grpcStatus: number | undefined): UpstreamOutcome {
  return grpcStatus === undefined ? status : grpcStatusAsHttp(grpcStatus);
}
