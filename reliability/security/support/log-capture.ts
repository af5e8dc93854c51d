import type { ProcessHandle } from "@loom/test-harness";
import { registeredProcesses } from "../../../packages/test-harness/src/registry.ts";

export interface CapturedLogs {
  /** Every line every harness process printed since capture began (or since it started, if later). */
  lines(): { process: string; line: string }[];
  processNames(): string[];
  stop(): void;
}

/**
 * Follows every process the harness starts, without a cap: a process's own log keeps only its newest output,
 * and a secret printed once at start-up must not scroll out of reach. Each process is picked up within
 * `everyMs` of starting; what it printed before that is still in its bounded log then.
 */
export function captureAllLogs(everyMs = 50): CapturedLogs {
  const followed = new Map<ProcessHandle, { process: string; line: string }[]>();
  const follow = () => {
    for (const handle of registeredProcesses()) {
      if (followed.has(handle)) continue;
      const lines = handle
        .logs()
        .split("\n")
        .filter((line) => line !== "")
        .map((line) => ({ process: handle.name, line }));
      followed.set(handle, lines);
      handle.onLine((line) => lines.push({ process: handle.name, line }));
    }
  };
  follow();
  const timer = setInterval(follow, everyMs);
  return {
    lines: () => [...followed.values()].flat(),
    processNames: () => [...followed.keys()].map((handle) => handle.name),
    stop: () => clearInterval(timer),
  };
}
