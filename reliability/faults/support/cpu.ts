import { readFileSync } from "node:fs";

/** Linux reports process times in clock ticks of 1/100 s (USER_HZ) on every platform Node runs on here. */
const TICKS_PER_SECOND = 100;

/** CPU seconds (user + system) a process has used so far, from /proc; 0 once it is gone. */
function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command (which may hold spaces) start after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** Measures the cores a set of processes uses between start() and the returned function's call. */
export function startCpuMeter(pids: readonly number[]): () => number {
  const startedAt = Date.now();
  const before = pids.map(cpuSeconds);
  return () => {
    const used = pids.reduce(
      (sum, pid, index) => sum + Math.max(0, cpuSeconds(pid) - (before[index] ?? 0)),
      0,
    );
    return Math.round((used / ((Date.now() - startedAt) / 1000)) * 100) / 100;
  };
}
