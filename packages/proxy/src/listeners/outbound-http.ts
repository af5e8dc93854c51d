import http, { type ClientRequest, type IncomingMessage, type ServerResponse } from "node:http";
import { SpanKind } from "@opentelemetry/api";
import type { OutboundRuntime } from "../config.ts";
import type { ProxyContext } from "../context.ts";
import type { Rejection } from "../filters/rejection.ts";
import type { AttemptError } from "../filters/retry.ts";
import type { Backend, CompiledRule } from "../filters/traffic-route.ts";
import { endToEndHeaders, hasRequestBody } from "../http/headers.ts";
import { failureKind } from "../http/pool.ts";
import { reply } from "../http/reply.ts";
import type { EndpointState } from "../lb/endpoint.ts";
import { pickEndpoint } from "../lb/p2c-ewma.ts";
import { RequestTelemetry } from "../telemetry/request-telemetry.ts";
import { traceparentOf } from "../telemetry/tracing.ts";

/** Bodies up to this size are buffered so that retries and mirrors can resend them; larger ones stream once. */
const MAX_REPLAY_BODY_BYTES = 64 * 1024;
const EMPTY = Buffer.alloc(0);
const ignore = () => {};

const FAILURE_REPLIES: Record<AttemptError, Rejection> = {
  "connect-failure": { status: 503, body: "upstream connect error\n" },
  reset: { status: 502, body: "upstream connection reset\n" },
  timeout: { status: 504, body: "upstream request timeout\n" },
};

/**
 * App → upstream service over HTTP/1.1: route match → split / mirror / header rules → timeout → retry
 * (budget) → circuit breaker → P2C load balancing → endpoint pool (mTLS when the mesh says so).
 */
export function outboundHttpHandler(context: ProxyContext, port: number) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const outbound = context.config.outbounds.get(port);
    if (!outbound) {
      req.resume();
      reply(res, { status: 503, body: "no upstream configured on this port\n" });
      return;
    }
    new OutboundExchange(context, outbound, req, res).start();
  };
}

/** One request on its way upstream; it keeps the config it started with to the end. */
class OutboundExchange {
  private readonly telemetry: RequestTelemetry;
  private rule: CompiledRule | undefined;
  private backend: Backend | undefined;
  /** What every attempt sends upstream. */
  headers: string[] = [];
  /** undefined until known; null when the body streams and so cannot be replayed. */
  body: Buffer | null | undefined;
  private attempts = 0;
  /** The attempt's request in flight, to abort on deadline or when the caller leaves. */
  current: ClientRequest | undefined;
  private deadline: NodeJS.Timeout | undefined;
  private settled = false;
  private budgetExhausted = false;

  constructor(
    private readonly context: ProxyContext,
    readonly outbound: OutboundRuntime,
    readonly req: IncomingMessage,
    private readonly res: ServerResponse,
  ) {
    const method = req.method ?? "GET";
    const url = req.url ?? "/";
    const destination = outbound.snapshot.service;
    const span = context.tracing.startSpan(
      `${method} ${destination}`,
      SpanKind.CLIENT,
      req.headers.traceparent,
      {
        "http.request.method": method,
        "url.path": url,
        "loom.destination": destination,
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
      url,
    );
    this.telemetry.route = outbound.routes.name;
  }

  start(): void {
    const { req, res, outbound } = this;
    req.on("error", ignore);
    res.once("close", this.onClientClose);
    const rule = outbound.routes.match(req.method ?? "GET", req.url ?? "/", req.headers);
    if (!rule) {
      this.fail({ status: 404, body: `no route of ${outbound.routes.name} matches\n` });
      return;
    }
    this.rule = rule;
    this.backend = rule.pickBackend();
    const forwarded = endToEndHeaders(req.rawHeaders);
    this.headers = rule.requestHeaders ? rule.requestHeaders.apply(forwarded) : forwarded;
    this.headers.push("traceparent", traceparentOf(this.telemetry.span));
    outbound.budget.recordRequest();
    this.deadline = setTimeout(this.onDeadline, rule.deadlines.requestMs);

    const wantsReplay = rule.retry !== undefined || rule.mirrors.length > 0;
    if (!hasRequestBody(req.headers)) {
      this.body = EMPTY;
      this.sendMirrors();
      this.sendAttempt();
    } else if (wantsReplay && Number(req.headers["content-length"]) <= MAX_REPLAY_BODY_BYTES) {
      this.bufferBody();
    } else {
      this.body = null;
      this.sendAttempt();
    }
  }

  private bufferBody(): void {
    const chunks: Buffer[] = [];
    this.req.on("data", (chunk: Buffer) => chunks.push(chunk));
    this.req.once("end", () => {
      this.body = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
      this.sendMirrors();
      this.sendAttempt();
    });
  }

  /** Shadow copies: fire and forget; their responses are discarded and never delay the caller. */
  private sendMirrors(): void {
    const rule = this.rule as CompiledRule;
    for (const mirror of rule.mirrors) {
      if (Math.random() * 100 >= mirror.percent) continue;
      const endpoint = pickEndpoint(mirror.backend.endpoints, Date.now());
      if (!endpoint) continue;
      const request = http.request({
        host: endpoint.endpoint.address,
        port: endpoint.endpoint.port,
        method: this.req.method,
        path: this.req.url,
        headers: this.headers,
        agent: endpoint.agent,
        timeout: rule.deadlines.requestMs,
      });
      request.once("response", (response) => response.resume());
      request.once("timeout", () => request.destroy());
      request.once("error", ignore);
      request.end(this.body);
    }
  }

  private readonly sendAttempt = (): void => {
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
  };

  /** Called by an attempt that got response headers. */
  onResponse(attempt: Attempt, response: IncomingMessage): void {
    const status = response.statusCode ?? 502;
    if (this.settled) {
      response.resume();
      return;
    }
    const retry = (this.rule as CompiledRule).retry;
    if (retry?.retriableStatus(status) && this.mayRetry(retry.attempts)) {
      response.resume();
      this.scheduleRetry();
      return;
    }
    this.settle();
    const { telemetry, res } = this;
    telemetry.destinationVersion = attempt.endpoint.version;
    telemetry.endpoint = attempt.endpoint.label;
    telemetry.responded(status);
    const forwarded = endToEndHeaders(response.rawHeaders);
    const modifier = (this.rule as CompiledRule).responseHeaders;
    const headers = modifier ? modifier.apply(forwarded) : forwarded;
    if (this.attempts > 1) headers.push("x-loom-attempts", String(this.attempts));
    if (this.budgetExhausted) headers.push("x-loom-retry-budget", "exhausted");
    if (this.context.draining) headers.push("Connection", "close");
    res.writeHead(status, response.statusMessage, headers);
    response.once("error", () => res.destroy());
    response.pipe(res);
  }

  /** Called by an attempt that failed without a response. */
  onError(attempt: Attempt, error: AttemptError): void {
    if (this.settled) return;
    if (error === "reset" && attempt.reusedSocket && this.body !== null && !attempt.isStaleRetry) {
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
    const destination = this.outbound.snapshot.service;
    if (this.outbound.budget.tryRetry()) {
      this.context.metrics.retries.labels(destination, "sent").inc();
      return true;
    }
    this.budgetExhausted = true;
    this.context.metrics.retries.labels(destination, "budget_exhausted").inc();
    return false;
  }

  private scheduleRetry(): void {
    const retry = (this.rule as CompiledRule).retry;
    setTimeout(this.sendAttempt, retry ? retry.backoffMs(this.attempts) : 0);
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
    this.req.resume();
    reply(this.res, rejection);
  }

  private settle(): void {
    this.settled = true;
    clearTimeout(this.deadline);
  }

  private readonly onDeadline = (): void => {
    if (this.settled) return;
    this.current?.destroy();
    this.fail(FAILURE_REPLIES.timeout);
  };

  private readonly onClientClose = (): void => {
    const finished = this.res.writableFinished;
    if (!finished) {
      this.settle();
      this.current?.destroy();
    }
    this.telemetry.finished(finished ? undefined : "caller went away");
  };
}

/** One try against one endpoint; keeps the endpoint's and the breaker's counters straight whatever happens. */
class Attempt {
  private request: ClientRequest | undefined;
  private pending = true;
  private done = false;
  private timer: NodeJS.Timeout | undefined;
  private timedOut = false;

  constructor(
    private readonly exchange: OutboundExchange,
    readonly endpoint: EndpointState,
    private readonly startedAt: number,
    readonly isStaleRetry = false,
  ) {}

  get reusedSocket(): boolean {
    return this.request?.reusedSocket ?? false;
  }

  send(): void {
    const { exchange, endpoint } = this;
    const { breaker } = exchange.outbound;
    const { req } = exchange;
    endpoint.inFlight += 1;
    breaker.requests += 1;
    breaker.pending += 1;
    const request = http.request({
      host: endpoint.endpoint.address,
      port: endpoint.endpoint.port,
      method: req.method,
      path: req.url,
      headers: exchange.headers,
      agent: endpoint.agent,
    });
    this.request = request;
    exchange.current = request;
    request.once("socket", this.onSocket);
    request.once("response", this.onResponse);
    request.once("error", this.onError);
    const perTryTimeoutMs = exchange.perTryTimeoutMs;
    if (perTryTimeoutMs !== undefined) this.timer = setTimeout(this.onTimeout, perTryTimeoutMs);
    const { body } = exchange;
    if (body) request.end(body);
    else req.pipe(request);
  }

  private readonly onSocket = (): void => {
    if (!this.pending) return;
    this.pending = false;
    this.exchange.outbound.breaker.pending -= 1;
  };

  private finish(outcome: number | "gateway-error"): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.timer);
    this.onSocket();
    const { endpoint } = this;
    const { breaker, outliers, pool } = this.exchange.outbound;
    endpoint.inFlight -= 1;
    breaker.requests -= 1;
    const now = Date.now();
    endpoint.recordLatency(now - this.startedAt, now);
    outliers?.record(endpoint, outcome, pool, now);
  }

  private readonly onResponse = (response: IncomingMessage): void => {
    this.finish(response.statusCode ?? 502);
    this.exchange.onResponse(this, response);
  };

  private readonly onError = (): void => {
    this.finish("gateway-error");
    this.exchange.onError(this, this.timedOut ? "timeout" : failureKind(this.request?.socket));
  };

  private readonly onTimeout = (): void => {
    this.timedOut = true;
    this.request?.destroy();
  };
}
