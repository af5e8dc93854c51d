import {
  type Attributes,
  type Context,
  ROOT_CONTEXT,
  type Span,
  type SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from "@opentelemetry/api";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  type Sampler,
  type SamplingResult,
  TraceIdRatioBasedSampler,
} from "@opentelemetry/sdk-trace-base";

/** Root sampling at the mesh's configured rate, which changes with each snapshot. */
class MeshRatioSampler implements Sampler {
  private delegate = new TraceIdRatioBasedSampler(0);

  setRate(rate: number): void {
    this.delegate = new TraceIdRatioBasedSampler(rate);
  }

  shouldSample(context: Context, traceId: string): SamplingResult {
    return this.delegate.shouldSample(context, traceId);
  }

  toString(): string {
    return `MeshRatioSampler{${this.delegate.toString()}}`;
  }
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/**
 * One span per hop with W3C trace context. The two-line traceparent codec is written here instead of
 * pulling @opentelemetry/core's propagator into the request path.
 */
export class Tracing {
  private readonly provider: BasicTracerProvider;
  private readonly tracer: Tracer;
  private readonly sampler = new MeshRatioSampler();

  constructor(serviceName: string, otlpUrl: string | undefined, batchDelayMs: number) {
    const spanProcessors = otlpUrl
      ? [
          new BatchSpanProcessor(new OTLPTraceExporter({ url: otlpUrl }), {
            scheduledDelayMillis: batchDelayMs,
          }),
        ]
      : [];
    this.provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ "service.name": serviceName }),
      sampler: new ParentBasedSampler({ root: this.sampler }),
      spanProcessors,
    });
    this.tracer = this.provider.getTracer("loom-proxy");
  }

  setSamplingRate(rate: number): void {
    this.sampler.setRate(rate);
  }

  /** Starts a span as the child of the incoming traceparent, or as a new trace's root when there is none. */
  startSpan(
    name: string,
    kind: SpanKind,
    incoming: string | string[] | undefined,
    attributes: Attributes,
  ): Span {
    return this.tracer.startSpan(name, { kind, attributes }, parentContext(incoming));
  }

  async shutdown(): Promise<void> {
    await this.provider.shutdown();
  }
}

function parentContext(incoming: string | string[] | undefined): Context {
  if (typeof incoming !== "string") return ROOT_CONTEXT;
  const match = TRACEPARENT.exec(incoming);
  if (!match) return ROOT_CONTEXT;
  return trace.setSpanContext(ROOT_CONTEXT, {
    traceId: match[1] as string,
    spanId: match[2] as string,
    traceFlags: Number.parseInt(match[3] as string, 16) & 1,
    isRemote: true,
  });
}

/** The traceparent header value that makes `span` the parent of the next hop. */
export function traceparentOf(span: Span): string {
  const context = span.spanContext();
  return `00-${context.traceId}-${context.spanId}-0${context.traceFlags & 1}`;
}

export function endSpan(span: Span, status: number | undefined, error?: string): void {
  if (span.isRecording()) {
    if (status !== undefined) span.setAttribute("http.response.status_code", status);
    if (error !== undefined || status === undefined || status >= 500) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: error });
    }
  }
  span.end();
}
