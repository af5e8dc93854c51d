import { existsSync } from "node:fs";
import path from "node:path";
import type { Child, Supervisor } from "./supervisor.ts";
import { waitForHttp } from "./wait.ts";

const REPO_ROOT = path.resolve(import.meta.dirname, "../../..");
export const CONSOLE_DIR = path.join(REPO_ROOT, "apps/console");
const NEXT_BIN = path.join(REPO_ROOT, "node_modules/next/dist/bin/next");

/**
 * A production build leaves BUILD_ID; `next dev` leaves a .next without one, which `next start` cannot serve.
 * LOOM_CONSOLE_DIST_DIR (read by the console's next.config too) names another build directory, e.g. the e2e one.
 */
export function consoleIsBuilt(env: NodeJS.ProcessEnv = process.env): boolean {
  return existsSync(path.join(CONSOLE_DIR, env.LOOM_CONSOLE_DIST_DIR || ".next", "BUILD_ID"));
}

/** `next build` of the console; every line of its output goes to `onLine` as progress. */
export async function buildConsole(
  supervisor: Supervisor,
  options: { logFile: string; env: NodeJS.ProcessEnv; onLine: (line: string) => void },
): Promise<void> {
  const build = supervisor.start({
    name: "console-build",
    command: process.execPath,
    args: [NEXT_BIN, "build"],
    cwd: CONSOLE_DIR,
    env: { ...options.env, NEXT_TELEMETRY_DISABLED: "1" },
    logFile: options.logFile,
    onLine: options.onLine,
  });
  const how = await build.exited;
  if (how !== "code 0") throw new Error(`the console build failed (${how}); see ${options.logFile}`);
}

/** `next start`, reaching the control plane's API through its /api/trpc route. */
export async function startConsole(
  supervisor: Supervisor,
  options: { port: number; apiUrl: string; logFile: string; env: NodeJS.ProcessEnv },
): Promise<{ child: Child; url: string }> {
  const url = `http://127.0.0.1:${options.port}`;
  const child = supervisor.start({
    name: "console",
    command: process.execPath,
    args: [NEXT_BIN, "start", "--hostname", "127.0.0.1", "--port", String(options.port)],
    cwd: CONSOLE_DIR,
    env: { ...options.env, LOOM_CP_URL: options.apiUrl, NEXT_TELEMETRY_DISABLED: "1" },
    logFile: options.logFile,
  });
  await waitForHttp(`${url}/sign-in`, child, 120_000);
  return { child, url };
}
