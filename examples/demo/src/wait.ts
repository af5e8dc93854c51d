import { setTimeout as sleep } from "node:timers/promises";
import type { Child } from "./supervisor.ts";

/** Polls `url` until it answers 2xx; fails early, naming its log, if `child` exits first. */
export async function waitForHttp(url: string, child: Child, timeoutMs: number): Promise<void> {
  let exited = false;
  child.exited.then(() => {
    exited = true;
  });
  const deadline = Date.now() + timeoutMs;
  let lastError = "no answer yet";
  while (Date.now() < deadline) {
    if (exited) throw new Error(`${child.name} exited before ${url} answered; see ${child.logFile}`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await response.arrayBuffer();
      if (response.ok) return;
      lastError = `answered ${response.status}`;
    } catch (error) {
      lastError = error instanceof Error ? error.message : String(error);
    }
    await sleep(250);
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms (${lastError}); see ${child.logFile}`);
}
