import type { SpanRecord, SpanRetention, SpanSearch } from "./span-types.ts";

/** What the span worker can be asked; every call gets one reply, in order after earlier messages. */
export type SpanCall =
  | { op: "flush" }
  | { op: "search"; search: SpanSearch }
  | { op: "getTrace"; traceId: string }
  | { op: "prune"; retention: SpanRetention }
  | { op: "count" };

/** `close` closes the database and ends the worker once the messages before it are done. */
export type ToSpanWorker =
  | { type: "write"; spans: SpanRecord[] }
  | { type: "call"; id: number; call: SpanCall }
  | { type: "close" };

export type FromSpanWorker =
  | { type: "ready" }
  | { type: "written"; count: number }
  | { type: "writeFailed"; count: number; message: string }
  | { type: "result"; id: number; result: unknown }
  | { type: "failed"; id: number; message: string };

export interface SpanWorkerData {
  file: string;
}
