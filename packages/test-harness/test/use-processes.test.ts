import { afterEach, beforeAll, expect, it, type MockInstance, vi } from "vitest";
import { type ProcessHandle, useProcesses } from "../src/index.ts";
import { askService, isRunning, type RunningService, startService } from "./helpers.ts";

let printedOnFailure = "";
let consoleErrorSpy: MockInstance<typeof console.error> | undefined;
let fromFailedTest: ProcessHandle | undefined;
let fromBeforeAll: RunningService;

// Registered before useProcesses(): afterEach hooks run in reverse order, so this one runs after its hook.
afterEach(() => {
  consoleErrorSpy?.mockRestore();
});
useProcesses();

beforeAll(async () => {
  fromBeforeAll = await startService("file-scoped");
});

it.fails("a failing test (expected to fail: its processes' logs get printed)", async () => {
  consoleErrorSpy = vi.spyOn(console, "error").mockImplementation((...parts: unknown[]) => {
    printedOnFailure += `${parts.join(" ")}\n`;
  });
  fromFailedTest = (await startService("test-scoped")).handle;
  throw new Error("deliberate failure");
});

it("printed the logs of every registered process for the failed test", () => {
  expect(printedOnFailure).toMatch(
    /── logs of test-scoped \(pid \d+, running\) ──\ngrandchild \d+\nlistening on \d+/,
  );
  expect(printedOnFailure).toContain("── logs of file-scoped");
});

it("stopped the failed test's process after that test and kept the file's", async () => {
  expect(fromFailedTest?.exitStatus).toEqual({ code: null, signal: "SIGTERM" });
  expect(isRunning(fromFailedTest?.pid ?? 0)).toBe(false);
  expect((await askService(fromBeforeAll.port)).pid).toBe(fromBeforeAll.handle.pid);
});
