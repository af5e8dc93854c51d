import type { RequestDirection } from "@loom/spec";
import type { Span } from "@opentelemetry/api";
import type { ProxyContext } from "../context.ts";
import { grpcStatusOfUnfinishedCall, parseGrpcStatus } from "../http/grpc.ts";
import { writeAccessLog } from "./access-log.ts";
import { endSpan } from "./tracing.ts";

/** Metrics, span and access-log line of one request, recorded in one place for both directions. */
export class RequestTelemetry {
  private readonly startedAt = performance.now();
  private status: number | undefined;
  /** Until response headers; for gRPC the series is only recorded when the call's status is known. */
  private latencySeconds: number | undefined;
  private recorded = false;
  /** A gRPC call: its outcome is its grpc-status, in the trailers (or a trailers-only response). */
  grpc = false;
  grpcStatus: number | undefined;
  destinationVersion: string;
  route = "default";
  endpoint: string | undefined;
  tls: boolean;

  constructor(
    private readonly context: ProxyContext,
    private readonly direction: RequestDirection,
    readonly source: string,
    readonly destination: string,
    destinationVersion: string,
    tls: boolean,
    readonly span: Span,
    private readonly method: string,
    private readonly path: string,
  ) {
    this.destinationVersion = destinationVersion;
    this.tls = tls;
  }

  /** Response headers are on their way: the latency the histogram measures ends here. */
  responded(status: number): void {
    this.status = status;
    this.latencySeconds = (performance.now() - this.startedAt) / 1000;
    if (!this.grpc) this.record();
  }

  /** A grpc-status seen in response headers (trailers-only) or trailers. */
  sawGrpcStatus(value: string | string[] | undefined): void {
    if (this.grpc && value !== undefined) this.grpcStatus = parseGrpcStatus(value);
  }

  /**
   * The exchange is over, completely or because a side went away. `resetCode`: the HTTP/2 RST_STREAM code
   * the caller's stream closed with, if any.
   */
  finished(error?: string, resetCode?: number): void {
    if (this.grpc && this.grpcStatus === undefined && this.status === 200) {
      this.grpcStatus = grpcStatusOfUnfinishedCall(resetCode);
    }
    this.record();
    endSpan(this.span, this.status, error, this.grpcStatus);
    const { accessLog, tap } = this.context;
    if (!accessLog && !tap.active) return;
    const durationMs = Math.round((performance.now() - this.startedAt) * 1000) / 1000;
    if (tap.active) {
      tap.publish({
        time: Date.now(),
        direction: this.direction,
        method: this.method,
        path: this.path,
        status: this.status,
        grpcStatus: this.grpcStatus,
        latencyMs: durationMs,
        source: this.source,
        destination: this.destination,
      });
    }
    if (accessLog) {
      writeAccessLog({
        direction: this.direction,
        method: this.method,
        path: this.path,
        status: this.status,
        grpcStatus: this.grpcStatus,
        durationMs,
        source: this.source,
        destination: this.destination,
        endpoint: this.endpoint,
        traceId: this.span.spanContext().traceId,
      });
    }
  }

  private record(): void {
    if (this.recorded) return;
    this.recorded = true;
    this.context.metrics.observeRequest(
      this.direction,
      this.source,
      this.destination,
      this.destinationVersion,
      this.route,
      this.status,
      this.grpcStatus,
      this.tls,
      this.latencySeconds ?? (performance.now() - this.startedAt) / 1000,
    );
  }
}
