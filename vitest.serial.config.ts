import { defineConfig } from "vitest/config";
import { SERIAL_TESTS } from "./vitest.config.ts";

/**
 * Suites whose assertions are latencies or agreement between two measurements (span flood vs policy writes,
 * hub vs Prometheus): on two cores another suite running beside them would be what they measure.
 */
export default defineConfig({
  test: {
    include: [SERIAL_TESTS],
    exclude: ["**/node_modules/**"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
