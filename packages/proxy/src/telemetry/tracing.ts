import { randomFillSync } from "node:crypto";
import { classifyResponse } from "@loom/spec";
import {
  type Attributes,
  isSpanContextValid,
  ROOT_CONTEXT,
  type Span,
  type SpanContext,
  type SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from "@opentelemetry/api";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  AlwaysOnSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  type SpanExporter,
} from "@opentelemetry/sdk-trace-base";

/** A collector that refuses every batch would otherwise fill the log: one line per this long at most. */
const EXPORT_FAILURE_REPORT_EVERY_MS = 60_000;

/**
 * The exporter, saying when a batch is lost (a 401 for a revoked token, a collector that is down): the SDK
 * reports export errors only to its diag logger, which is silent unless set, so spans vanished unnoticed.
 */
function reportingFailures(exporter: SpanExporter, url: string, warn: (line: string) => void): SpanExporter {
  let lastReportAt = Number.NEGATIVE_INFINITY;
  let lostSinceReport = 0;
  return {
    export(spans, done) {
      exporter.export(spans, (result) => {
        if (result.error) {
          lostSinceReport += spans.length;
          if (Date.now() - lastReportAt >= EXPORT_FAILURE_REPORT_EVERY_MS) {
            lastReportAt = Date.now();
            warn(`loom-proxy: ${lostSinceReport} spans not exported to ${url}: ${result.error.message}`);
            lostSinceReport = 0;
          }
        }
        done(result);
      });
    },
    shutdown: () => exporter.shutdown(),
    forceFlush: () => exporter.forceFlush?.() ?? Promise.resolve(),
  };
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/**
 * One span per hop with W3C trace context. The two-line traceparent codec is written here instead of
 * pulling @opentelemetry/core's propagator into the request path.
 */
export class Tracing {
  private readonly provider: BasicTracerProvider;
  private readonly tracer: Tracer;
  /** Root sampling rate from the mesh config, which changes with each snapshot. */
  private samplingRate = 0;

  constructor(
    serviceName: string,
    otlpUrl: string | undefined,
    batchDelayMs: number,
    headers?: () => Promise<Record<string, string>>,
    warn: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
  ) {
    const spanProcessors = otlpUrl
      ? [
          new BatchSpanProcessor(
            reportingFailures(new OTLPTraceExporter({ url: otlpUrl, headers }), otlpUrl, warn),
            { scheduledDelayMillis: batchDelayMs },
          ),
        ]
      : [];
    this.provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ "service.name": serviceName }),
      // Root spans reach the SDK only once startSpan sampled them; children follow their parent's flag.
      sampler: new ParentBasedSampler({ root: new AlwaysOnSampler() }),
      spanProcessors,
    });
    this.tracer = this.provider.getTracer("loom-proxy");
  }

  setSamplingRate(rate: number): void {
    this.samplingRate = rate;
  }

  /**
   * Starts a span as the child of the incoming traceparent, or as a new trace's root, sampled at the mesh's
   * rate, when there is none. An unsampled span (most of them) is only a context to pass on, made without
   * the SDK: the sampling decision is taken here rather than by an SDK sampler for that reason.
   */
  startSpan(
    name: string,
    kind: SpanKind,
    incoming: string | string[] | undefined,
    attributes: Attributes,
  ): Span {
    const parent = remoteParent(incoming);
    const sampled = parent ? (parent.traceFlags & 1) === 1 : Math.random() < this.samplingRate;
    if (!sampled) {
      return trace.wrapSpanContext({
        traceId: parent?.traceId ?? randomHex(16),
        spanId: randomHex(8),
        traceFlags: 0,
      });
    }
    const context = parent ? trace.setSpanContext(ROOT_CONTEXT, parent) : ROOT_CONTEXT;
    return this.tracer.startSpan(name, { kind, attributes }, context);
  }

  async shutdown(): Promise<void> {
    await this.provider.shutdown();
  }
}

function remoteParent(incoming: string | string[] | undefined): SpanContext | undefined {
  if (typeof incoming !== "string") return undefined;
  const match = TRACEPARENT.exec(incoming);
  if (!match) return undefined;
  const parent = {
    traceId: match[1] as string,
    spanId: match[2] as string,
    traceFlags: Number.parseInt(match[3] as string, 16) & 1,
    isRemote: true,
  };
  return isSpanContextValid(parent) ? parent : undefined;
}

/** Random bytes drawn from a pool refilled 4 KiB at a time, as lowercase hex (trace and span ids). */
const randomPool = Buffer.allocUnsafe(4096);
let randomOffset = randomPool.length;

function randomHex(bytes: number): string {
  if (randomOffset + bytes > randomPool.length) {
    randomFillSync(randomPool);
    randomOffset = 0;
  }
  randomOffset += bytes;
  return randomPool.toString("hex", randomOffset - bytes, randomOffset);
}

/** The traceparent header value that makes `span` the parent of the next hop. */
export function traceparentOf(span: Span): string {
  const context = span.spanContext();
  return `00-${context.traceId}-${context.spanId}-0${context.traceFlags & 1}`;
}

export function endSpan(span: Span, status: number | undefined, error?: string, grpcStatus?: number): void {
  if (span.isRecording()) {
    if (status !== undefined) span.setAttribute("http.response.status_code", status);
    if (grpcStatus !== undefined) span.setAttribute("rpc.grpc.status_code", grpcStatus);
    if (error !== undefined || classifyResponse(status, grpcStatus) === "failure") {
      const message = error ?? (grpcStatus ? `grpc-status ${grpcStatus}` : undefined);
      span.setStatus({ code: SpanStatusCode.ERROR, message });
    }
  }
  span.end();
}
