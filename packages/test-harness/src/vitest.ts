import { afterAll, afterEach, beforeEach } from "vitest";
import { logsBlock } from "./process.ts";
import { enterTestScope, leaveTestScope, registeredProcesses, stopAll } from "./registry.ts";

/**
 * Call once at the top of a test file. Processes a test starts (including in beforeEach) are stopped after
 * that test; processes started outside tests (beforeAll) after the file. When a test fails, the logs of
 * every process still registered — the test's and the file's — are printed with it.
 */
export function useProcesses(): void {
  beforeEach(() => {
    enterTestScope();
  });
  afterEach(async (context) => {
    if (context.task.result?.state === "fail") {
      for (const handle of registeredProcesses()) console.error(logsBlock(handle));
    }
    await leaveTestScope();
  });
  afterAll(async () => {
    await stopAll();
  });
}
