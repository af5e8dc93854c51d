import { freePort, type ProcessHandle, startProcess } from "@loom/test-harness";
import { CONSOLE_DIR, CONSOLE_ENV, NEXT_BIN } from "./paths.ts";

export interface RunningConsole {
  process: ProcessHandle;
  url: string;
  startMs: number;
}

/** `next start` of the console built by the global setup, proxying /api/trpc to `controlPlaneUrl`. */
export async function startConsole(controlPlaneUrl: string): Promise<RunningConsole> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const started = performance.now();
  const handle = await startProcess({
    name: "console",
    command: process.execPath,
    args: [NEXT_BIN, "start", "--hostname", "127.0.0.1", "--port", String(port)],
    cwd: CONSOLE_DIR,
    env: { ...CONSOLE_ENV, LOOM_CP_URL: controlPlaneUrl },
    ready: { url: `${url}/sign-in` },
    readyTimeoutMs: 60_000,
  });
  const startMs = Math.round(performance.now() - started);
  console.log(`e2e: next start answered after ${startMs} ms`);
  return { process: handle, url, startMs };
}
