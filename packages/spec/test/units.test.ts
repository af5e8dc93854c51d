import { describe, expect, it } from "vitest";
import { classifyResponse, durationMs, GrpcStatus, isTestMode, statusClass, timer } from "../src/index.ts";

describe("durationMs", () => {
  it.each([
    ["250ms", 250],
    ["0s", 0],
    ["10s", 10_000],
    ["1.5m", 90_000],
    ["2h", 7_200_000],
    ["0.5ms", 0.5],
  ])("%s is %d ms", (duration, ms) => {
    expect(durationMs(duration)).toBe(ms);
  });

  it.each(["10", "10 s", "1d", "-1s", "s", ""])("refuses %j", (duration) => {
    expect(() => durationMs(duration)).toThrow(`not a duration: "${duration}"`);
  });
});

describe("statusClass", () => {
  it.each([
    [100, "1xx"],
    [200, "2xx"],
    [204, "2xx"],
    [302, "3xx"],
    [404, "4xx"],
    [503, "5xx"],
    [599, "5xx"],
  ] as const)("%d is %s", (status, label) => {
    expect(statusClass(status)).toBe(label);
  });

  it.each([undefined, 0, 99, 600, 1000])("%j is an error (no response, or not HTTP)", (status) => {
    expect(statusClass(status)).toBe("error");
  });
});

describe("classifyResponse", () => {
  it.each([
    [200, undefined, "success"],
    [404, undefined, "success"],
    [503, undefined, "failure"],
    [undefined, undefined, "failure"],
    [200, GrpcStatus.OK, "success"],
    [200, 5, "success"], // NOT_FOUND: the caller's mistake, as a 404 is
    [200, GrpcStatus.CANCELLED, "success"],
    [200, GrpcStatus.RESOURCE_EXHAUSTED, "success"],
    [200, GrpcStatus.UNKNOWN, "failure"],
    [200, GrpcStatus.DEADLINE_EXCEEDED, "failure"],
    [200, 12, "failure"], // UNIMPLEMENTED
    [200, GrpcStatus.INTERNAL, "failure"],
    [200, GrpcStatus.UNAVAILABLE, "failure"],
    [200, 99, "failure"], // unknown codes read as UNKNOWN
    [503, GrpcStatus.OK, "failure"],
  ] as const)("HTTP %j with grpc-status %j is a %s", (status, grpcStatus, classification) => {
    expect(classifyResponse(status, grpcStatus)).toBe(classification);
  });
});

describe("timers", () => {
  const testMode = { LOOM_TEST_MODE: "1" };

  it("use short values in test mode and production values otherwise", () => {
    expect(isTestMode(testMode)).toBe(true);
    expect(isTestMode({})).toBe(false);
    expect(isTestMode({ LOOM_TEST_MODE: "true" })).toBe(false);
    expect(timer("heartbeatIntervalMs", testMode)).toBe(1_000);
    expect(timer("heartbeatIntervalMs", {})).toBe(10_000);
    expect(timer("certificateTtlMs", {})).toBe(24 * 3_600_000);
  });

  it("are never longer in test mode than in production", () => {
    for (const name of [
      "certificateTtlMs",
      "heartbeatIntervalMs",
      "dataplaneOfflineAfterMs",
      "streamKeepAliveMs",
      "scrapeIntervalMs",
      "rolloutMinHoldMs",
      "reconnectBackoffBaseMs",
      "reconnectBackoffMaxMs",
      "drainTimeoutMs",
      "spanBatchMs",
    ] as const) {
      expect(timer(name, testMode)).toBeLessThanOrEqual(timer(name, {}));
    }
  });

  it("keep a dataplane's offline threshold above several heartbeats in both modes", () => {
    for (const env of [testMode, {}]) {
      expect(timer("dataplaneOfflineAfterMs", env)).toBeGreaterThanOrEqual(
        3 * timer("heartbeatIntervalMs", env),
      );
    }
  });
});
