/** OTLP status codes. */
export const spanStatus = { unset: 0, ok: 1, error: 2 } as const;

export interface SpanRecord {
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  service: string;
  /** The operation. */
  name: string;
  /** OTLP SpanKind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer (0 unspecified). */
  kind: number;
  /** Decimal nanoseconds since the epoch, as OTLP JSON carries it; stored to the microsecond. */
  startTimeUnixNano: string;
  durationMs: number;
  statusCode: number;
  statusMessage?: string;
  attributes: Record<string, unknown>;
  events: unknown[];
}

export interface SpanSearch {
  service?: string;
  /** With `service`: the calls from this caller to it (an edge of the graph), as either side's proxy saw them. */
  caller?: string;
  operation?: string;
  /** "error": traces with a failed span that matches the other filters; "ok": with a span that did not fail. */
  status?: "ok" | "error";
  minDurationMs?: number;
  from?: Date;
  to?: Date;
  /** At most this many traces, newest first (default 20, at most 1000). */
  limit?: number;
}

export interface TraceSummary {
  traceId: string;
  rootService: string;
  rootName: string;
  startTimeUnixNano: string;
  durationMs: number;
  spanCount: number;
  errorCount: number;
  services: string[];
}

export interface SpanRetention {
  /** Delete spans that started longer ago than this. */
  maxAgeMs?: number;
  /** Then delete the oldest spans beyond this many. */
  maxSpans?: number;
}
