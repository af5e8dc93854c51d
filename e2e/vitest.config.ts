import path from "node:path";
import { defineConfig } from "vitest/config";

/** Browser tests against a real loom-cp, real proxies and the built console; run by `npm run test:e2e`. */
export default defineConfig({
  root: path.resolve(import.meta.dirname, ".."),
  test: {
    include: ["e2e/**/*.test.ts"],
    globalSetup: ["e2e/support/build-console.ts"],
    // One Chromium, one console and one control plane at a time: two cores are shared with everything else.
    fileParallelism: false,
    maxWorkers: 1,
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
});
