import { spawn } from "node:child_process";
import { once } from "node:events";
import { CONSOLE_DIR, CONSOLE_ENV, NEXT_BIN } from "./paths.ts";

/**
 * vitest globalSetup: one production build of the console for every e2e file (each then runs `next start`).
 * LOOM_E2E_SKIP_BUILD=1 reuses the last build while iterating on tests only.
 */
export default async function buildConsole(): Promise<void> {
  if (process.env.LOOM_E2E_SKIP_BUILD === "1") {
    console.log("e2e: LOOM_E2E_SKIP_BUILD=1, using the existing console build");
    return;
  }
  const started = performance.now();
  const build = spawn(process.execPath, [NEXT_BIN, "build"], {
    cwd: CONSOLE_DIR,
    env: { ...process.env, ...CONSOLE_ENV },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  build.stdout.on("data", (chunk: Buffer) => {
    output += chunk;
  });
  build.stderr.on("data", (chunk: Buffer) => {
    output += chunk;
  });
  const [code] = (await once(build, "exit")) as [number | null];
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  if (code !== 0) throw new Error(`next build failed (exit ${code}) after ${seconds} s:\n${output}`);
  console.log(`e2e: next build took ${seconds} s`);
}
