import type { RequestDirection } from "@loom/spec";

export interface AccessLogEntry {
  direction: RequestDirection;
  method: string;
  path: string;
  status: number | undefined;
  /** The gRPC status of a gRPC call. */
  grpcStatus?: number | undefined;
  durationMs: number;
  source: string;
  destination: string;
  endpoint?: string;
  traceId?: string;
}

/** One JSON line per request on stdout, where a log shipper picks it up. */
export function writeAccessLog(entry: AccessLogEntry): void {
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), ...entry })}\n`);
}
