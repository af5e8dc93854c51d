import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { LOAD_CORE, pinned } from "./cores.ts";

const run = promisify(execFile);

export interface Saturation {
  rps: number;
}

/** Closed-loop saturation with wrk on the load core; any error or non-2xx answer fails the bench. */
export async function wrk(url: string, { seconds, connections }: { seconds: number; connections: number }) {
  const [command, args] = pinned(LOAD_CORE, "wrk", ["-t1", `-c${connections}`, `-d${seconds}s`, url]);
  const { stdout } = await run(command, args);
  const errors = /Socket errors: .*|Non-2xx or 3xx responses: \d+/.exec(stdout);
  if (errors) throw new Error(`wrk against ${url}: ${errors[0]}\n${stdout}`);
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(stdout);
  if (!rps) throw new Error(`cannot read wrk's output:\n${stdout}`);
  return { rps: Number(rps[1]) } satisfies Saturation;
}

export interface FixedRateLatency {
  p50Ms: number;
  p99Ms: number;
}

/**
 * Fixed total rate with hey: `workers` connections, each capped at rate/workers requests per second.
 * hey prints latencies in seconds with four decimals, so figures are to 0.1 ms.
 */
export async function hey(
  url: string,
  { seconds, rps, workers }: { seconds: number; rps: number; workers: number },
): Promise<FixedRateLatency> {
  const perWorker = rps / workers;
  const [command, args] = pinned(LOAD_CORE, "hey", [
    "-z",
    `${seconds}s`,
    "-c",
    String(workers),
    "-q",
    String(perWorker),
    "-cpus",
    "1",
    url,
  ]);
  const { stdout } = await run(command, args, { maxBuffer: 16 * 1024 * 1024 });
  const statuses = /Status code distribution:\n((?:\s+\[\d+\].*\n?)+)/.exec(stdout)?.[1] ?? "";
  if (
    !/^\s+\[200\]/.test(statuses) ||
    statuses.trim().split("\n").length !== 1 ||
    /Error distribution/.test(stdout)
  ) {
    throw new Error(`hey against ${url} saw failures:\n${stdout}`);
  }
  const percentile = (p: number) => {
    const match = new RegExp(`\\s${p}%% in ([\\d.]+) secs`.replace("%%", "%")).exec(stdout);
    if (!match) throw new Error(`cannot read p${p} from hey's output:\n${stdout}`);
    return Number(match[1]) * 1000;
  };
  return { p50Ms: percentile(50), p99Ms: percentile(99) };
}
