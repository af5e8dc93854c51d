import { timer } from "@loom/spec";

/**
 * Exponential backoff with full jitter (AWS architecture blog): spreads the reconnects of many proxies after
 * a control-plane restart instead of letting them arrive in waves.
 */
export function backoffDelayMs(
  attempt: number,
  baseMs = timer("reconnectBackoffBaseMs"),
  maxMs = timer("reconnectBackoffMaxMs"),
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(baseMs / 2 + random() * (ceiling - baseMs / 2));
}
