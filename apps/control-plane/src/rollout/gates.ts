import { LATENCY_BUCKETS_SECONDS, type Rollout } from "@loom/spec";
import type { GateResult, VersionSample } from "./rollout-state.ts";

type Gates = Rollout["spec"]["gates"];

/**
 * The canary against the stable version over one step: wait while the canary has too few requests to judge,
 * fail when its success rate drops more than allowed or its p99 grows beyond the allowed multiple.
 */
export function judgeGates(
  gates: Gates,
  canary: VersionSample | null,
  stableDuringStep: VersionSample | null,
  baseline: VersionSample | null,
): GateResult {
  const canaryRequests = Math.round(canary?.requests ?? 0);
  if (canary === null || canaryRequests < gates.minRequests)
    return {
      verdict: "wait",
      reasons: [
        `waiting for traffic: the canary has ${canaryRequests} of the ${gates.minRequests} requests needed`,
      ],
      canary,
      stable: stableDuringStep,
    };
  const stable = (stableDuringStep?.requests ?? 0) >= gates.minRequests ? stableDuringStep : baseline;
  const failures: string[] = [];
  const notes: string[] = [];
  if (stable === null)
    notes.push("no stable traffic to compare with: the gates pass on the canary's own traffic");
  if (stable?.successRate != null && canary.successRate != null) {
    const dropPoints = (stable.successRate - canary.successRate) * 100;
    const text = `canary success rate ${percent(canary.successRate)} vs stable ${percent(stable.successRate)} (at most ${gates.maxSuccessRateDrop} points lower)`;
    (dropPoints > gates.maxSuccessRateDrop ? failures : notes).push(text);
  }
  const canaryP99 = canary.latencyMs.p99;
  const stableP99 = stable?.latencyMs.p99;
  if (canaryP99 != null && stableP99 != null) {
    const text = `canary p99 ${canaryP99.toFixed(1)} ms vs stable ${stableP99.toFixed(1)} ms (at most ×${gates.maxP99Ratio})`;
    const limit = stableP99 * gates.maxP99Ratio;
    (canaryP99 > limit && !sameBucket(canaryP99, limit) ? failures : notes).push(text);
  }
  return failures.length > 0
    ? { verdict: "fail", reasons: failures, canary, stable }
    : { verdict: "pass", reasons: notes, canary, stable };
}

/**
 * Quantiles come from histogram buckets, interpolated inside one: two latencies in the same bucket cannot be
 * told apart, so a p99 over the limit but in the limit's own bucket is not held against the canary.
 */
function sameBucket(aMs: number, bMs: number): boolean {
  const bucketOf = (ms: number) => LATENCY_BUCKETS_SECONDS.findIndex((upperBound) => ms / 1000 <= upperBound);
  return bucketOf(aMs) === bucketOf(bMs);
}

function percent(rate: number): string {
  return `${(rate * 100).toFixed(1)} %`;
}
