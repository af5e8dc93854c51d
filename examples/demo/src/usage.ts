import { readdirSync, readFileSync } from "node:fs";

/** Linux reports CPU time in /proc in units of USER_HZ, which is 100 on every architecture. */
const TICKS_PER_SECOND = 100;

export interface Usage {
  processes: number;
  rssMb: number;
  /** CPU used since the previous sample, in cores (1 = one core busy all the time). */
  cores: number;
}

/** Memory and CPU of the launcher and every process in the groups it started, read from /proc. */
export class UsageMeter {
  #previous: { at: number; ticksByPid: Map<number, number> } | undefined;

  sample(groups: readonly number[]): Usage {
    let rssKb = 0;
    const ticksByPid = new Map<number, number>();
    for (const entry of readdirSync("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
        const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        if (Number(entry) !== process.pid && !groups.includes(Number(fields[2]))) continue;
        if (fields[0] === "Z") continue;
        const status = readFileSync(`/proc/${entry}/status`, "utf8");
        rssKb += Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 0);
        // utime and stime, the 14th and 15th fields of stat.
        ticksByPid.set(Number(entry), Number(fields[11]) + Number(fields[12]));
      } catch {
        // Exited while we looked.
      }
    }
    const now = performance.now();
    const previous = this.#previous;
    let ticks = 0;
    // Per process, so one that exited since (a finished build) does not subtract its whole life's CPU.
    for (const [pid, total] of ticksByPid) ticks += total - (previous?.ticksByPid.get(pid) ?? 0);
    const cores = previous ? ticks / TICKS_PER_SECOND / ((now - previous.at) / 1_000) : 0;
    this.#previous = { at: now, ticksByPid };
    return { processes: ticksByPid.size, rssMb: rssKb / 1024, cores };
  }
}
