import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

const CLOCK_TICKS_PER_SECOND = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }));

/** A process and its direct children (nginx's workers). */
function family(pid: number): number[] {
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim();
  return [pid, ...(children ? children.split(" ").map(Number) : [])];
}

/** Resident memory of `pids` and their direct children, in MB (VmRSS). */
export function rssMb(pids: readonly number[]): number {
  let kilobytes = 0;
  for (const pid of pids.flatMap(family)) {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    kilobytes += Number(match?.[1] ?? 0);
  }
  return kilobytes / 1024;
}

/** CPU time (user + system) used so far by `pids` and their direct children, in ms. */
export function cpuMs(pids: readonly number[]): number {
  let ticks = 0;
  for (const pid of pids.flatMap(family)) {
    // Fields after the command name, which may contain spaces: utime and stime are the 12th and 13th.
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
    ticks += Number(fields[11]) + Number(fields[12]);
  }
  return (ticks * 1000) / CLOCK_TICKS_PER_SECOND;
}

/**
 * Runs `work` and reports the highest RSS of `pids` seen meanwhile and the CPU they used: CPU per request
 * stays meaningful when other processes share the machine, where throughput does not.
 */
export async function observe<T>(
  pids: readonly number[],
  work: () => Promise<T>,
): Promise<{ result: T; peakRssMb: number; cpuMs: number }> {
  let peakRssMb = 0;
  const sample = () => {
    peakRssMb = Math.max(peakRssMb, rssMb(pids));
  };
  sample();
  const cpuBefore = cpuMs(pids);
  const sampler = setInterval(sample, 200);
  try {
    const result = await work();
    sample();
    return { result, peakRssMb, cpuMs: cpuMs(pids) - cpuBefore };
  } finally {
    clearInterval(sampler);
  }
}

/** Busy time (all but idle and iowait) of one CPU core since boot, in ms, from /proc/stat. */
export function coreBusyMs(core: string): number {
  const line = readFileSync("/proc/stat", "utf8")
    .split("\n")
    .find((candidate) => candidate.startsWith(`cpu${core} `));
  if (!line) throw new Error(`/proc/stat has no line for cpu${core}`);
  const ticks = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
  const total = ticks.reduce((sum, value) => sum + value, 0);
  return ((total - idle) * 1000) / CLOCK_TICKS_PER_SECOND;
}
