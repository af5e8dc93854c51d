import { spawn } from "node:child_process";
import { Socket } from "node:net";
import { isMainThread } from "node:worker_threads";
import { signalGroup } from "./process-group.ts";

/**
 * Makes sure no process group started by the harness outlives the process that started it, however that
 * process ends: on `exit` and SIGINT/SIGTERM we SIGKILL the groups ourselves; for deaths we cannot observe
 * (SIGKILL, OOM killer) a detached bash "reaper" holds a pipe from us and SIGKILLs the groups still listed
 * when the pipe closes, which the kernel does whenever we die.
 */

// Reads "+ PGID" / "- PGID" lines; at end of input kills every group still listed.
const REAPER_SCRIPT = `
declare -A groups
while read -r op pgid; do
  if [ "$op" = "+" ]; then groups[$pgid]=1; else unset "groups[$pgid]"; fi
done
for pgid in "\${!groups[@]}"; do kill -KILL -- "-$pgid" 2>/dev/null; done
`;

const liveGroups = new Set<number>();
let reaperInput: Socket | undefined;
let installed = false;

export function guardGroup(pgid: number): void {
  install();
  liveGroups.add(pgid);
  reaperInput?.write(`+ ${pgid}\n`);
}

/** Call once the group is known to be gone, so a later reuse of the number is never killed. */
export function releaseGroup(pgid: number): void {
  liveGroups.delete(pgid);
  reaperInput?.write(`- ${pgid}\n`);
}

function killLiveGroups(): void {
  for (const pgid of liveGroups) {
    try {
      signalGroup(pgid, "SIGKILL");
    } catch {
      // Dying anyway: keep going through the other groups.
    }
  }
}

function install(): void {
  if (installed) return;
  installed = true;
  reaperInput = startReaper();
  process.on("exit", killLiveGroups);
  // Signal events are never delivered to worker threads; the main thread's handler covers them.
  if (!isMainThread) return;
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      killLiveGroups();
      // Adding a listener disables the default "terminate"; restore it unless someone else handles the signal.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    });
  }
}

function startReaper(): Socket | undefined {
  // Detached: a Ctrl-C to the terminal's process group must not take the reaper down with the runner.
  const reaper = spawn("bash", ["-c", REAPER_SCRIPT], {
    detached: true,
    stdio: ["pipe", "ignore", "ignore"],
  });
  // The reaper is a backstop: if bash is missing, the exit and signal handlers still work.
  reaper.on("error", () => {});
  reaper.unref();
  const input = reaper.stdin;
  if (!(input instanceof Socket)) return undefined;
  input.on("error", () => {});
  // Neither the reaper nor its pipe may keep the runner's event loop alive.
  input.unref();
  return input;
}
