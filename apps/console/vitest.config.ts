import path from "node:path";
import { defineConfig } from "vitest/config";

/**
 * Component and unit tests of the console, in a DOM (happy-dom); run by `npm run test:console` at the root.
 * They live in tests/, not test/: the root unit config collects every app's test/ folder, without this DOM
 * or the @ alias.
 */
export default defineConfig({
  root: import.meta.dirname,
  resolve: { alias: { "@": path.join(import.meta.dirname, "src") } },
  test: {
    include: ["tests/**/*.test.{ts,tsx}"],
    environment: "happy-dom",
    setupFiles: ["tests/setup.ts"],
    // user-event types key by key; on two cores shared with other suites a form test can take several seconds.
    testTimeout: 30_000,
  },
});
