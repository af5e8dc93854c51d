import type { RequestDirection } from "@loom/spec";
import type { Span } from "@opentelemetry/api";
import type { ProxyContext } from "../context.ts";
import { writeAccessLog } from "./access-log.ts";
import { endSpan } from "./tracing.ts";

/** Metrics, span and access-log line of one request, recorded in one place for both directions. */
export class RequestTelemetry {
  private readonly startedAt = performance.now();
  private status: number | undefined;
  private recorded = false;
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
    this.record();
  }

  /** The exchange is over, completely or because a side went away. */
  finished(error?: string): void {
    this.record();
    endSpan(this.span, this.status, error);
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
      this.tls,
      (performance.now() - this.startedAt) / 1000,
    );
  }
}
