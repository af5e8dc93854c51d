import type { ProcessHandle } from "./process.ts";

/**
 * Every process started through the harness, with the scope that owns it: "test" while a test started it
 * (stopped after that test), "file" otherwise (e.g. in beforeAll; stopped by stopAll or after the file).
 */
type Scope = "test" | "file";

const entries: { handle: ProcessHandle; scope: Scope }[] = [];
let currentScope: Scope = "file";

export function registerProcess(handle: ProcessHandle): void {
  entries.push({ handle, scope: currentScope });
}

/** Processes started and not yet released by a scope's end or stopAll(), running or not. */
export function registeredProcesses(): ProcessHandle[] {
  return entries.map((entry) => entry.handle);
}

export function enterTestScope(): void {
  currentScope = "test";
}

/** Stops the processes the test started; the file's processes keep running. */
export async function leaveTestScope(): Promise<void> {
  currentScope = "file";
  await stopEntries((entry) => entry.scope === "test");
}

/** Stops every registered process (whole process groups) and waits until none of them is left. */
export async function stopAll(): Promise<void> {
  await stopEntries(() => true);
}

async function stopEntries(selected: (entry: (typeof entries)[number]) => boolean): Promise<void> {
  const leaving = entries.filter(selected);
  for (const entry of leaving) entries.splice(entries.indexOf(entry), 1);
  const results = await Promise.allSettled(leaving.map((entry) => entry.handle.stop()));
  const failures = results.flatMap((result) => (result.status === "rejected" ? [result.reason] : []));
  if (failures.length > 0) throw new AggregateError(failures, "some processes could not be stopped");
}
