/**
 * Every timer in Loom, with a production value and a test-mode value (`LOOM_TEST_MODE=1`), so suites on two
 * cores finish in minutes while defaults stay sensible for operators.
 */
const TIMERS = {
  certificateTtlMs: { production: 24 * 3_600_000, test: 20_000 },
  heartbeatIntervalMs: { production: 10_000, test: 1_000 },
  /** A dataplane silent this long is marked offline and removed from peers' endpoints. */
  dataplaneOfflineAfterMs: { production: 30_000, test: 4_000 },
  streamKeepAliveMs: { production: 15_000, test: 2_000 },
  scrapeIntervalMs: { production: 5_000, test: 1_000 },
  rolloutMinHoldMs: { production: 10_000, test: 500 },
  reconnectBackoffBaseMs: { production: 500, test: 100 },
  reconnectBackoffMaxMs: { production: 30_000, test: 2_000 },
  drainTimeoutMs: { production: 30_000, test: 5_000 },
  spanBatchMs: { production: 2_000, test: 200 },
  /**
   * A request body that sends nothing for this long is answered 408 and its connection closed (Envoy's stream
   * idle timeout), so a stalled caller does not hold a request slot until the request timeout.
   */
  requestBodyIdleMs: { production: 10_000, test: 3_000 },
} as const;

export type TimerName = keyof typeof TIMERS;

export function isTestMode(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.LOOM_TEST_MODE === "1";
}

export function timer(name: TimerName, env: NodeJS.ProcessEnv = process.env): number {
  return isTestMode(env) ? TIMERS[name].test : TIMERS[name].production;
}
