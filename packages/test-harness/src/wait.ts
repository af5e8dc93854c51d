import http from "node:http";
import https from "node:https";
import { setTimeout as sleep } from "node:timers/promises";

export interface WaitForOptions {
  /** Named in the timeout error: "Timed out after 10000 ms waiting for <what>". */
  what: string;
  timeoutMs?: number;
  intervalMs?: number;
  /** Stops waiting early; the returned promise rejects with the signal's reason. */
  signal?: AbortSignal;
}

type Falsy = false | 0 | "" | null | undefined;

/**
 * Calls `predicate` until it returns a truthy value and resolves with that value. A predicate that throws
 * counts as "not yet"; the last error is quoted in the timeout error, which usually says why.
 */
export async function waitFor<T>(
  predicate: () => T | Promise<T>,
  { what, timeoutMs = 10_000, intervalMs = 100, signal }: WaitForOptions,
): Promise<Exclude<T, Falsy>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    signal?.throwIfAborted();
    const remainingMs = deadline - Date.now();
    try {
      // A predicate that hangs (a request to a stuck server) must not outlive the deadline.
      const value = await withDeadline(predicate(), Math.max(remainingMs, 1));
      if (value) return value as Exclude<T, Falsy>;
    } catch (error) {
      lastError = error;
    }
    const remainingAfterAttemptMs = deadline - Date.now();
    if (remainingAfterAttemptMs <= 0) {
      const reason = lastError === undefined ? "" : `; last error: ${errorMessage(lastError)}`;
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}${reason}`, { cause: lastError });
    }
    await sleep(Math.min(intervalMs, remainingAfterAttemptMs), undefined, { signal });
  }
}

export interface WaitForHttpOptions {
  /** The exact status to wait for; any 2xx when absent. */
  status?: number;
  timeoutMs?: number;
  intervalMs?: number;
  signal?: AbortSignal;
}

/**
 * Polls `url` with GET until it answers with the wanted status. For https URLs the certificate is not
 * verified: this asks whether a server is up, not whether to trust it.
 */
export async function waitForHttp(
  url: string,
  { status, timeoutMs = 30_000, intervalMs = 100, signal }: WaitForHttpOptions = {},
): Promise<void> {
  const target = new URL(url);
  await waitFor(
    async () => {
      const answered = await getStatus(target, Math.min(2_000, timeoutMs));
      const wanted = status === undefined ? answered >= 200 && answered < 300 : answered === status;
      if (!wanted) throw new Error(`answered ${answered}`);
      return true;
    },
    { what: `${url} to answer ${status ?? "2xx"}`, timeoutMs, intervalMs, signal },
  );
}

function getStatus(url: URL, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onResponse = (response: http.IncomingMessage) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    };
    // agent: false so a probe never leaves a keep-alive socket that delays the server's shutdown.
    const request =
      url.protocol === "https:"
        ? https.get(url, { agent: false, rejectUnauthorized: false, timeout: timeoutMs }, onResponse)
        : http.get(url, { agent: false, timeout: timeoutMs }, onResponse);
    request.on("timeout", () => request.destroy(new Error(`no response within ${timeoutMs} ms`)));
    request.on("error", reject);
  });
}

function withDeadline<T>(value: T | Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`attempt still pending after ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([Promise.resolve(value), expired]).finally(() => clearTimeout(timer));
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code !== undefined && !error.message.includes(code) ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}
