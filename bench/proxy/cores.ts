import { execFileSync } from "node:child_process";

/**
 * Two cores: the load generators (and this script) run on LOAD_CORE, everything that serves — the app and
 * the proxy or proxies under test — on SERVER_CORE, so a proxy competes with its app for one core the way
 * a sidecar shares a pod's CPU, and load generation never steals from it.
 */
export const LOAD_CORE = "0";
export const SERVER_CORE = "1";

/** Pins this process, all its threads, to the load core; children inherit it unless started pinned. */
export function pinSelfToLoadCore(): void {
  execFileSync("taskset", ["-a", "-p", "-c", LOAD_CORE, String(process.pid)], { stdio: "ignore" });
}

/** Command and args that run `command` pinned to `core`; taskset execs it, so the pid is the command's. */
export function pinned(core: string, command: string, args: readonly string[]): [string, string[]] {
  return ["taskset", ["-c", core, command, ...args]];
}
