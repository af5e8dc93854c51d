import { statSync } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import path from "node:path";
import buildConsole from "../../../e2e/support/build-console.ts";
import { CONSOLE_BUILD_ID, CONSOLE_DIR, REPO_ROOT } from "../../../e2e/support/paths.ts";

/** Newest modification time of the files under `dir` (skipping build output and dependencies). */
async function newestMtimeMs(dir: string): Promise<number> {
  let newest = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.name === "node_modules" || entry.name.startsWith(".next")) continue;
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? await newestMtimeMs(full) : (await stat(full)).mtimeMs);
  }
  return newest;
}

/**
 * The security suites drive the production build of the console the e2e suites serve (LOOM_CONSOLE_DIST_DIR,
 * .next-e2e by default), but own no globalSetup: a build newer than every console and spec source is reused,
 * anything else is rebuilt here (LOOM_E2E_SKIP_BUILD=1 reuses whatever build exists, as in e2e).
 */
export async function ensureConsoleBuild(): Promise<void> {
  let builtAt = 0;
  try {
    builtAt = statSync(CONSOLE_BUILD_ID).mtimeMs;
  } catch {
    // No build yet.
  }
  if (builtAt > 0 && process.env.LOOM_E2E_SKIP_BUILD === "1") return;
  const sources = Math.max(
    await newestMtimeMs(path.join(CONSOLE_DIR, "src")),
    await newestMtimeMs(path.join(REPO_ROOT, "packages/spec/src")),
  );
  if (builtAt > sources) {
    console.log("security: the console build is newer than its sources, reusing it");
    return;
  }
  const previous = process.env.LOOM_E2E_SKIP_BUILD;
  delete process.env.LOOM_E2E_SKIP_BUILD;
  try {
    await buildConsole();
  } finally {
    if (previous !== undefined) process.env.LOOM_E2E_SKIP_BUILD = previous;
  }
}
