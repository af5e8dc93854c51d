import type { RouterOutputs } from "@/lib/trpc";

type TapEvent = RouterOutputs["tap"]["stream"] extends AsyncIterable<infer Event> ? Event : never;
export type TapRequestData = Extract<TapEvent, { event: "request" }>["data"];

/** One request the tap saw, as the table shows it. */
export interface TapRow {
  /** Arrival order in this page, for React keys. */
  seq: number;
  /** The proxy that reported it. */
  proxy: string;
  time: string;
  direction: string;
  method: string;
  path: string;
  /** Absent when no response was sent (the caller went away, the upstream broke). */
  status: number | undefined;
  /** The gRPC status of a gRPC call (0 is OK); absent for plain HTTP. */
  grpcStatus: number | undefined;
  latencyMs: number;
  source: string;
  destination: string;
}

/** Rows kept on the page: the newest ones, so a busy service never grows the page without bound. */
export const MAX_TAP_ROWS = 200;

/**
 * The control plane relays the proxy's JSON as an untyped record; read each field by its type so a proxy of
 * another version shows what it sends instead of breaking the table.
 */
export function toTapRow(data: TapRequestData, proxy: string, seq: number): TapRow {
  const text = (field: string) => (typeof data[field] === "string" ? (data[field] as string) : "");
  const number = (field: string) => (typeof data[field] === "number" ? (data[field] as number) : undefined);
  return {
    seq,
    proxy,
    time: text("time"),
    direction: text("direction"),
    method: text("method"),
    path: text("path"),
    status: number("status"),
    grpcStatus: number("grpcStatus"),
    latencyMs: number("latencyMs") ?? 0,
    source: text("source"),
    destination: text("destination"),
  };
}

/** Newest first, at most MAX_TAP_ROWS. */
export function keepNewest(current: readonly TapRow[], arrived: readonly TapRow[]): TapRow[] {
  return [...arrived.slice().reverse(), ...current].slice(0, MAX_TAP_ROWS);
}
