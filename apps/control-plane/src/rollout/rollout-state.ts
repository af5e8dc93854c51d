import type { LatencyQuantiles } from "../telemetry/metrics-backend.ts";

/** Where a Rollout is; the first two own the service's route weights. */
export type RolloutPhase = "progressing" | "paused" | "promoted" | "rolledBack" | "aborted" | "failed";

export const RUNNING_PHASES: readonly RolloutPhase[] = ["progressing", "paused"];

/** What a gate saw of one version during a step. */
export interface VersionSample {
  requests: number;
  successRate: number | null;
  latencyMs: LatencyQuantiles;
}

export interface GateResult {
  verdict: "pass" | "fail" | "wait";
  /** Why, in words the console and loomctl print as they are. */
  reasons: string[];
  canary: VersionSample | null;
  /** The stable version during the step, or its traffic before the Rollout began when it got none. */
  stable: VersionSample | null;
}

/**
 * The Rollout's history as kept in the store's rollout state (newest last). The state row has no columns for a
 * step's start or the baseline, so they are read back from these events.
 */
export type RolloutEvent =
  | {
      type: "started";
      at: string;
      /** The Rollout resource version this run follows; a new version starts a new run once this one ended. */
      resourceVersion: string;
      /** The TrafficRoute the Rollout writes (created by it when the service had none). */
      route: { namespace: string; name: string };
      /** The stable version's traffic in the 5 minutes before the start. */
      baseline: VersionSample | null;
    }
  | { type: "step"; at: string; step: number; canaryWeight: number }
  | { type: "gate"; at: string; step: number; result: GateResult }
  | { type: "paused" | "resumed"; at: string; by: string; reason?: string }
  | { type: "promoted" | "rolledBack" | "aborted" | "failed"; at: string; by: string; reason: string };

export function lastEvent<T extends RolloutEvent["type"]>(
  history: readonly RolloutEvent[],
  ...types: T[]
): Extract<RolloutEvent, { type: T }> | undefined {
  for (let index = history.length - 1; index >= 0; index--) {
    const event = history[index];
    if (event && (types as string[]).includes(event.type)) return event as Extract<RolloutEvent, { type: T }>;
  }
  return undefined;
}

/** A step's hold counts from when it began, or from the last resume. */
export function stepStartedAt(history: readonly RolloutEvent[]): Date | undefined {
  const event = lastEvent(history, "step", "resumed", "started");
  return event ? new Date(event.at) : undefined;
}
