import { SPAN_ATTRIBUTES } from "@loom/spec";
import type Database from "better-sqlite3";
import {
  type SpanRecord,
  type SpanRetention,
  type SpanSearch,
  spanStatus,
  type TraceSummary,
} from "./span-types.ts";

interface SpanRow {
  trace_id: string;
  span_id: string;
  parent_span_id: string | null;
  service: string;
  name: string;
  kind: number;
  start_us: number;
  duration_ms: number;
  status_code: number;
  status_message: string | null;
  attributes: string;
  events: string;
}

const defaultSearchLimit = 20;
const maxSearchLimit = 1000;

function toMicros(unixNano: string): number {
  return Number(BigInt(unixNano) / 1000n);
}

function toUnixNano(micros: number): string {
  return (BigInt(micros) * 1000n).toString();
}

function toSpan(row: SpanRow): SpanRecord {
  return {
    traceId: row.trace_id,
    spanId: row.span_id,
    parentSpanId: row.parent_span_id,
    service: row.service,
    name: row.name,
    kind: row.kind,
    startTimeUnixNano: toUnixNano(row.start_us),
    durationMs: row.duration_ms,
    statusCode: row.status_code,
    ...(row.status_message !== null && { statusMessage: row.status_message }),
    attributes: JSON.parse(row.attributes) as Record<string, unknown>,
    events: JSON.parse(row.events) as unknown[],
  };
}

/** Inserts one batch in one transaction; a span already stored (an exporter's retry) is skipped. */
export function insertSpans(db: Database.Database, spans: SpanRecord[]): void {
  const insert = db.prepare(
    `INSERT OR IGNORE INTO spans (trace_id, span_id, parent_span_id, service, name, kind, start_us, duration_ms,
       status_code, status_message, attributes, events)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  db.transaction((batch: SpanRecord[]) => {
    for (const span of batch) {
      insert.run(
        span.traceId,
        span.spanId,
        span.parentSpanId,
        span.service,
        span.name,
        span.kind,
        toMicros(span.startTimeUnixNano),
        span.durationMs,
        span.statusCode,
        span.statusMessage ?? null,
        JSON.stringify(span.attributes),
        JSON.stringify(span.events),
      );
    }
  })(spans);
}

function matchingSpanConditions(search: SpanSearch): { where: string; params: (string | number)[] } {
  const conditions: string[] = [];
  const params: (string | number)[] = [];
  const add = (condition: string, ...values: (string | number)[]) => {
    conditions.push(condition);
    params.push(...values);
  };
  if (search.caller !== undefined && search.service !== undefined)
    // A call along the edge: the callee's server span naming its caller, or the caller's client span naming its
    // callee (a plaintext caller's identity is unknown to the callee). Both read the JSON only for the spans of
    // the two services.
    add(
      `((service = ? AND json_extract(attributes, '$."${SPAN_ATTRIBUTES.source}"') = ?)
        OR (service = ? AND json_extract(attributes, '$."${SPAN_ATTRIBUTES.destination}"') = ?))`,
      search.service,
      search.caller,
      search.caller,
      search.service,
    );
  else if (search.service !== undefined) add("service = ?", search.service);
  if (search.operation !== undefined) add("name = ?", search.operation);
  if (search.status === "error") add("status_code = ?", spanStatus.error);
  if (search.status === "ok") add("status_code <> ?", spanStatus.error);
  if (search.minDurationMs !== undefined) add("duration_ms >= ?", search.minDurationMs);
  if (search.from !== undefined) add("start_us >= ?", search.from.getTime() * 1000);
  if (search.to !== undefined) add("start_us <= ?", search.to.getTime() * 1000);
  return { where: conditions.length > 0 ? `WHERE ${conditions.join(" AND ")}` : "", params };
}

/**
 * Traces with at least one span matching every given filter, newest first (by their newest matching span).
 * The matching spans are read newest first along an index (service, operation or status with start time)
 * and reading stops at the `limit`-th distinct trace: a GROUP BY over every match read all of a service's
 * spans, and an operation without an index all spans, before it could pick twenty.
 */
export function searchTraces(db: Database.Database, search: SpanSearch): TraceSummary[] {
  const limit = Math.min(Math.max(1, search.limit ?? defaultSearchLimit), maxSearchLimit);
  const { where, params } = matchingSpanConditions(search);
  const traceIds = new Set<string>();
  const matching = db
    .prepare<(string | number)[], { trace_id: string }>(
      `SELECT trace_id FROM spans ${where} ORDER BY start_us DESC`,
    )
    .iterate(...params);
  for (const { trace_id } of matching) {
    traceIds.add(trace_id);
    if (traceIds.size >= limit) break;
  }
  if (traceIds.size === 0) return [];
  const rows = db
    .prepare<
      [string],
      {
        trace_id: string;
        start_us: number;
        end_us: number;
        span_count: number;
        error_count: number;
        services: string;
        root_service: string;
        root_name: string;
      }
    >(
      `WITH matched(trace_id) AS (SELECT value FROM json_each(?))
       SELECT s.trace_id,
              MIN(s.start_us) AS start_us,
              MAX(s.start_us + s.duration_ms * 1000) AS end_us,
              COUNT(*) AS span_count,
              SUM(s.status_code = ${spanStatus.error}) AS error_count,
              json_group_array(DISTINCT s.service) AS services,
              root.service AS root_service,
              root.name AS root_name
       FROM matched
       JOIN spans s ON s.trace_id = matched.trace_id
       -- The root is the span without a parent; in a trace missing its root, the earliest span stands in.
       JOIN spans root ON root.rowid = (
         SELECT r.rowid FROM spans r WHERE r.trace_id = matched.trace_id
         ORDER BY r.parent_span_id IS NOT NULL, r.start_us LIMIT 1
       )
       GROUP BY s.trace_id
       ORDER BY start_us DESC`,
    )
    .all(JSON.stringify([...traceIds]));
  return rows.map((row) => ({
    traceId: row.trace_id,
    rootService: row.root_service,
    rootName: row.root_name,
    startTimeUnixNano: toUnixNano(row.start_us),
    durationMs: (row.end_us - row.start_us) / 1000,
    spanCount: row.span_count,
    errorCount: row.error_count,
    services: (JSON.parse(row.services) as string[]).sort(),
  }));
}

/** All spans of one trace in start order; empty when the trace is unknown or pruned. */
export function getTrace(db: Database.Database, traceId: string): SpanRecord[] {
  return db
    .prepare<[string], SpanRow>("SELECT * FROM spans WHERE trace_id = ? ORDER BY start_us, span_id")
    .all(traceId)
    .map(toSpan);
}

export function countSpans(db: Database.Database): number {
  return db.prepare<[], { count: number }>("SELECT COUNT(*) AS count FROM spans").get()?.count ?? 0;
}

/** Applies the retention limits and returns how many spans were deleted. */
export function pruneSpans(db: Database.Database, retention: SpanRetention, now = Date.now()): number {
  let deleted = 0;
  if (retention.maxAgeMs !== undefined) {
    deleted += db
      .prepare("DELETE FROM spans WHERE start_us < ?")
      .run((now - retention.maxAgeMs) * 1000).changes;
  }
  if (retention.maxSpans !== undefined) {
    const excess = countSpans(db) - retention.maxSpans;
    if (excess > 0) {
      deleted += db
        .prepare("DELETE FROM spans WHERE rowid IN (SELECT rowid FROM spans ORDER BY start_us LIMIT ?)")
        .run(excess).changes;
    }
  }
  return deleted;
}
