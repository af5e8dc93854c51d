import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";
import { freePort, type ProcessHandle, startProcess, waitForLine } from "../src/index.ts";

export const SERVICE_SCRIPT = fileURLToPath(new URL("fixtures/service.mjs", import.meta.url));

/**
 * Whether a process with this pid still runs, by kill(pid, 0) and /proc. A zombie (exited, waiting for
 * init to reap it, which init here does only every second or two) holds nothing and counts as gone.
 */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
    expect(existsSync(`/proc/${pid}`), `/proc/${pid} exists although kill(${pid}, 0) says ESRCH`).toBe(false);
    return false;
  }
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
}

export interface RunningService {
  handle: ProcessHandle;
  port: number;
  grandchildPid: number;
}

export async function startService(
  name: string,
  env: Record<string, string | undefined> = {},
): Promise<RunningService> {
  const port = await freePort();
  const handle = await startProcess({
    name,
    command: process.execPath,
    args: [SERVICE_SCRIPT],
    env: { PORT: String(port), ...env },
    ready: { url: `http://127.0.0.1:${port}/` },
  });
  const [, grandchildPid] = await waitForLine(handle, /grandchild (\d+)/);
  return { handle, port, grandchildPid: Number(grandchildPid) };
}

export async function askService(port: number): Promise<{ pid: number; loomTestMode: string | null }> {
  const response = await fetch(`http://127.0.0.1:${port}/`);
  return (await response.json()) as { pid: number; loomTestMode: string | null };
}
