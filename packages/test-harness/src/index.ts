export { type FixedRateLoadOptions, fixedRateLoad, type LoadResult } from "./load.ts";
export { freePort } from "./ports.ts";
export {
  type ProcessExit,
  type ProcessHandle,
  type ReadyCheck,
  type StartProcessOptions,
  type StopOptions,
  startProcess,
  waitForLine,
} from "./process.ts";
export { stopAll } from "./registry.ts";
export { testModeEnv } from "./test-mode.ts";
export { useProcesses } from "./vitest.ts";
export { type WaitForHttpOptions, type WaitForOptions, waitFor, waitForHttp } from "./wait.ts";
