import http from "node:http";
import { performance } from "node:perf_hooks";

interface LoadSchedule {
  /** Requests started per second, on a fixed schedule whatever the responses do (open loop). */
  rps: number;
  durationMs: number;
  /** Most requests in flight at once; a scheduled request that would exceed it is dropped, not delayed. */
  concurrencyLimit?: number;
  /** A request still unanswered after this counts as failed with error "TIMEOUT". */
  timeoutMs?: number;
}

export interface HttpLoadTarget {
  url: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
}

export interface CustomLoadTarget {
  /** Sends one request and resolves with its status; should give up when `signal` aborts (the timeout). */
  request: (signal: AbortSignal) => Promise<number>;
}

export type FixedRateLoadOptions = LoadSchedule & (HttpLoadTarget | CustomLoadTarget);

export interface LoadResult {
  /** Requests the schedule called for: floor(rps × duration). */
  scheduled: number;
  /** Requests started; sent + dropped === scheduled. */
  sent: number;
  /** Scheduled requests skipped because concurrencyLimit requests were already in flight. */
  dropped: number;
  /** Answered with 2xx or 3xx; succeeded + failed === sent. */
  succeeded: number;
  /** Answered with another status, or no answer (connection refused, reset, timeout). */
  failed: number;
  /** Answers by status code, e.g. { "200": 90, "500": 10 }. */
  byStatus: Record<string, number>;
  /** Requests without an answer, by error code (ECONNREFUSED, ECONNRESET, TIMEOUT, ...). */
  errors: Record<string, number>;
  /** From each request's scheduled start to the end of its response, over answered requests (NaN if none). */
  latenciesMs: { p50: number; p95: number; p99: number; max: number };
  /** Wall time from the first scheduled request until the last one finished. */
  elapsedMs: number;
}

const TIMEOUT_CODE = "TIMEOUT";

/**
 * Sends requests at a fixed rate for a fixed time and counts what came back. Latency is measured from the
 * scheduled start, not the actual one, so a generator that falls behind shows up as latency instead of
 * being hidden (coordinated omission).
 */
export async function fixedRateLoad(options: FixedRateLoadOptions): Promise<LoadResult> {
  const { rps, durationMs, concurrencyLimit = 256, timeoutMs = 5_000 } = options;
  if (!(rps > 0) || !(durationMs > 0)) throw new Error(`rps and durationMs must be positive`);
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrencyLimit });
  const send = "url" in options ? httpSender(options, agent) : options.request;
  const scheduled = Math.floor((durationMs * rps) / 1000);
  const intervalMs = 1000 / rps;
  const result: LoadResult = {
    scheduled,
    sent: 0,
    dropped: 0,
    succeeded: 0,
    failed: 0,
    byStatus: {},
    errors: {},
    latenciesMs: { p50: Number.NaN, p95: Number.NaN, p99: Number.NaN, max: Number.NaN },
    elapsedMs: 0,
  };
  const latencies: number[] = [];
  const inFlight = new Set<Promise<void>>();

  const startRequest = (scheduledAt: number) => {
    if (inFlight.size >= concurrencyLimit) {
      result.dropped++;
      return;
    }
    result.sent++;
    const signal = AbortSignal.timeout(timeoutMs);
    // Through then() so a request function that throws synchronously is counted like one that rejects.
    const request = Promise.resolve(signal)
      .then(send)
      .then(
        (status) => {
          latencies.push(performance.now() - scheduledAt);
          increment(result.byStatus, String(status));
          if (status >= 200 && status < 400) result.succeeded++;
          else result.failed++;
        },
        (error: unknown) => {
          result.failed++;
          increment(result.errors, signal.aborted ? TIMEOUT_CODE : errorCode(error));
        },
      );
    inFlight.add(request);
    request.finally(() => inFlight.delete(request));
  };

  const start = performance.now();
  let next = 0;
  try {
    while (next < scheduled) {
      const now = performance.now();
      // Timers fire late under load; catch up on every request whose time has come to keep the rate.
      while (next < scheduled && start + next * intervalMs <= now) {
        startRequest(start + next * intervalMs);
        next++;
      }
      if (next < scheduled) await delay(start + next * intervalMs - performance.now());
    }
    while (inFlight.size > 0) await Promise.all(inFlight);
  } finally {
    agent.destroy();
  }
  result.elapsedMs = performance.now() - start;
  if (latencies.length > 0) {
    latencies.sort((a, b) => a - b);
    result.latenciesMs = {
      p50: percentile(latencies, 0.5),
      p95: percentile(latencies, 0.95),
      p99: percentile(latencies, 0.99),
      max: latencies[latencies.length - 1] ?? Number.NaN,
    };
  }
  return result;
}

function httpSender(target: HttpLoadTarget, agent: http.Agent): (signal: AbortSignal) => Promise<number> {
  const url = new URL(target.url);
  if (url.protocol !== "http:")
    throw new Error(`fixedRateLoad url must be http:, use request for ${url.protocol}`);
  const headers: Record<string, string | number> = { ...target.headers };
  if (
    target.body !== undefined &&
    !Object.keys(headers).some((name) => name.toLowerCase() === "content-length")
  ) {
    headers["content-length"] = Buffer.byteLength(target.body);
  }
  return (signal) =>
    new Promise((resolve, reject) => {
      const request = http.request(
        url,
        { method: target.method ?? "GET", headers, agent, signal },
        (response) => {
          response.on("error", reject);
          response.on("end", () => resolve(response.statusCode ?? 0));
          response.resume();
        },
      );
      request.on("error", reject);
      request.end(target.body);
    });
}

function errorCode(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code === "string") return code;
  return error instanceof Error ? error.name : "UNKNOWN";
}

function increment(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

/** Nearest-rank percentile of ascending `sorted`. */
function percentile(sorted: readonly number[], quantile: number): number {
  return sorted[Math.max(0, Math.ceil(quantile * sorted.length) - 1)] ?? Number.NaN;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
