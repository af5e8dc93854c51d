import path from "node:path";

export const REPO_ROOT = path.resolve(import.meta.dirname, "../..");
export const CONSOLE_DIR = path.join(REPO_ROOT, "apps/console");
export const NEXT_BIN = path.join(REPO_ROOT, "node_modules/next/dist/bin/next");
export const LOOM_CP_BIN = path.join(REPO_ROOT, "apps/control-plane/bin/loom-cp.js");
export const LOOM_PROXY_BIN = path.join(REPO_ROOT, "packages/proxy/bin/loom-proxy.js");
export const SCREENSHOT_DIR = path.join(REPO_ROOT, ".artifacts/screenshots");

/** Where e2e builds and serves the console (next.config reads it): not .next, which the demo may be serving. */
export const CONSOLE_ENV = { LOOM_CONSOLE_DIST_DIR: ".next-e2e", NEXT_TELEMETRY_DISABLED: "1" };
