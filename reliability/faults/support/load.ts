import http from "node:http";
import { fixedRateLoad, type LoadResult } from "@loom/test-harness";

/** Issue #7's steady load through the chain. */
export const CHAIN_RPS = 200;

/** A stall of the chain shows as latency, not as requests the generator declined to send. */
const MAX_IN_FLIGHT = 4_000;
const REQUEST_TIMEOUT_MS = 10_000;

export interface SteadyLoadResult extends LoadResult {
  /** CPU the generator used, in cores (CPU seconds / wall seconds): it shares the two cores with the mesh. */
  loadGeneratorCores: number;
  /** Seconds since the start in which some request took over 500 ms, with that second's slowest, in ms. */
  slowSeconds: Record<number, number>;
  /** The bodies of failed answers (who refused and why), with how often each came. */
  failureBodies: Record<string, number>;
  /** Seconds since the start in which failed answers were sent, with how many: the fault's window, or not. */
  failedSeconds: Record<number, number>;
}

export interface SteadyLoad {
  startedAt: number;
  /** Resolves when the schedule has ended and every request was answered or timed out. */
  result: Promise<SteadyLoadResult>;
}

/** Starts an open-loop load of `rps` GETs of `url` for `durationMs`, from this process. */
export function startSteadyLoad(url: string, durationMs: number, rps = CHAIN_RPS): SteadyLoad {
  const agent = new http.Agent({ keepAlive: true, maxSockets: MAX_IN_FLIGHT });
  const startedAt = Date.now();
  const slowSeconds: Record<number, number> = {};
  const failureBodies: Record<string, number> = {};
  const failedSeconds: Record<number, number> = {};
  const request = (signal: AbortSignal) =>
    new Promise<number>((resolve, reject) => {
      const sentAt = Date.now();
      const call = http.get(url, { agent, signal }, (response) => {
        const status = response.statusCode ?? 0;
        let body = "";
        if (status >= 400) response.on("data", (chunk: Buffer) => (body += chunk.toString()));
        else response.resume();
        response.on("error", reject);
        response.on("end", () => {
          const second = Math.floor((sentAt - startedAt) / 1000);
          if (status >= 400) {
            const key = `${status} ${body.trim().slice(0, 120)}`;
            failureBodies[key] = (failureBodies[key] ?? 0) + 1;
            failedSeconds[second] = (failedSeconds[second] ?? 0) + 1;
          }
          const tookMs = Date.now() - sentAt;
          if (tookMs > 500) slowSeconds[second] = Math.max(slowSeconds[second] ?? 0, tookMs);
          resolve(status);
        });
      });
      call.on("error", reject);
    });
  const cpuBefore = process.cpuUsage();
  const result = fixedRateLoad({
    request,
    rps,
    durationMs,
    timeoutMs: REQUEST_TIMEOUT_MS,
    concurrencyLimit: MAX_IN_FLIGHT,
  })
    .then((load) => {
      const cpu = process.cpuUsage(cpuBefore);
      const cores = (cpu.user + cpu.system) / 1000 / (Date.now() - startedAt);
      return {
        ...load,
        loadGeneratorCores: Math.round(cores * 100) / 100,
        slowSeconds,
        failureBodies,
        failedSeconds,
      };
    })
    .finally(() => agent.destroy());
  return { startedAt, result };
}

/**
 * Brings a cold chain (unoptimised code, no pooled connections yet) up to the steady rate in steps, so the
 * measured window starts from the steady state the fault is meant to disturb. Returns its failures, which the
 * tests report next to their counts.
 */
export async function warmUp(url: string, rps = CHAIN_RPS): Promise<number> {
  let failures = 0;
  for (const step of [rps / 4, rps / 2, rps]) {
    const load = await fixedRateLoad({ url, rps: step, durationMs: 2_000, timeoutMs: REQUEST_TIMEOUT_MS });
    failures += unsuccessful(load);
  }
  return failures;
}

/** Requests that did not succeed: answered with an error status, unanswered, or never sent (dropped). */
export function unsuccessful(load: LoadResult): number {
  return load.failed + load.dropped;
}

export function describeLoad(load: SteadyLoadResult): string {
  return (
    `sent ${load.sent}, ok ${load.succeeded}, failed ${load.failed}, dropped ${load.dropped}, ` +
    `by status ${JSON.stringify(load.byStatus)}, errors ${JSON.stringify(load.errors)}, ` +
    `p99 ${Math.round(load.latenciesMs.p99)} ms, max ${Math.round(load.latenciesMs.max)} ms, ` +
    `failed answers ${JSON.stringify(load.failureBodies)} in seconds ${JSON.stringify(load.failedSeconds)}, ` +
    `seconds with a request over 500 ms ${JSON.stringify(load.slowSeconds)}`
  );
}
