import path from "node:path";

export const REPO_ROOT = path.resolve(import.meta.dirname, "../..");
export const CONSOLE_DIR = path.join(REPO_ROOT, "apps/console");
export const NEXT_BIN = path.join(REPO_ROOT, "node_modules/next/dist/bin/next");
export const LOOM_CP_BIN = path.join(REPO_ROOT, "apps/control-plane/bin/loom-cp.js");
export const LOOM_PROXY_BIN = path.join(REPO_ROOT, "packages/proxy/bin/loom-proxy.js");
export const SCREENSHOT_DIR = path.join(REPO_ROOT, ".artifacts/screenshots");

/**
 * Where e2e builds and serves the console (next.config reads LOOM_CONSOLE_DIST_DIR): not .next, which the demo
 * may be serving. Set LOOM_CONSOLE_DIST_DIR (e.g. .next-e2e-mine) to keep two suites' builds apart too.
 */
const CONSOLE_DIST_DIR = process.env.LOOM_CONSOLE_DIST_DIR || ".next-e2e";
export const CONSOLE_ENV = { LOOM_CONSOLE_DIST_DIR: CONSOLE_DIST_DIR, NEXT_TELEMETRY_DISABLED: "1" };
/** Written last by `next build`: its presence means the build in CONSOLE_DIST_DIR is complete. */
export const CONSOLE_BUILD_ID = path.join(CONSOLE_DIR, CONSOLE_DIST_DIR, "BUILD_ID");
