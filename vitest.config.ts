import { defineConfig } from "vitest/config";

/** Tests that compare timings or rates against a bound run alone afterwards (vitest.serial.config.ts). */
export const SERIAL_TESTS = "**/*.serial.test.ts";

export default defineConfig({
  test: {
    include: ["packages/*/test/**/*.test.ts", "apps/*/test/**/*.test.ts", "examples/*/test/**/*.test.ts"],
    exclude: ["**/node_modules/**", SERIAL_TESTS],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration suites start real processes and bind ports; two cores cannot run many at once.
    maxWorkers: 2,
  },
});
