import { rolloutSpecSchema } from "@loom/spec";
import { describe, expect, it } from "vitest";
import { judgeGates } from "../../src/rollout/gates.ts";
import type { VersionSample } from "../../src/rollout/index.ts";

const gates = rolloutSpecSchema.shape.gates.parse({});

function sample(successRate: number, p99: number, requests = 100): VersionSample {
  return { requests, successRate, latencyMs: { p50: p99 / 2, p95: p99, p99 } };
}

describe("judgeGates", () => {
  it("fails a canary whose p99 is beyond the ratio and in a higher histogram bucket", () => {
    const result = judgeGates(gates, sample(1, 40), sample(1, 12), null);
    expect(result.verdict).toBe("fail");
    expect(result.reasons).toEqual(["canary p99 40.0 ms vs stable 12.0 ms (at most ×1.5)"]);
  });

  it("passes a p99 over the ratio that the histogram cannot tell apart (same bucket)", () => {
    // The limit, 4.5 ms, and 4.9 ms both fall in the (2.5, 5] ms bucket.
    expect(judgeGates(gates, sample(1, 4.9), sample(1, 3), null).verdict).toBe("pass");
  });

  it("compares with the baseline when the stable version got too little traffic during the step", () => {
    const result = judgeGates(gates, sample(0.9, 10), sample(1, 10, 3), sample(0.99, 10));
    expect(result.verdict).toBe("fail");
    expect(result.stable?.successRate).toBe(0.99);
  });

  it("waits below minRequests", () => {
    expect(judgeGates(gates, sample(0, 10, 19), sample(1, 10), null).verdict).toBe("wait");
  });
});
