import path from "node:path";
import { defineConfig } from "vitest/config";

/**
 * Issue #7: the mesh under faults, hostile clients and generated input (`npm run test:reliability`).
 * One file at a time: each holds a steady load and counts every failed request, so a neighbour suite
 * competing for the two cores would be what it measures.
 */
export default defineConfig({
  root: path.resolve(import.meta.dirname, ".."),
  test: {
    include: ["reliability/**/*.test.ts"],
    exclude: ["**/node_modules/**"],
    fileParallelism: false,
    maxWorkers: 1,
    testTimeout: 300_000,
    hookTimeout: 180_000,
  },
});
