import { describe, expect, it } from "vitest";
import { isFailureSeries } from "../../src/telemetry/metrics-backend.ts";

describe("which request series count against the success rate", () => {
  it("follows the proxy's classification, so a gRPC failure answered with HTTP 200 counts", () => {
    expect(isFailureSeries({ status_class: "2xx", grpc_status: "14", classification: "failure" })).toBe(true);
    expect(isFailureSeries({ status_class: "2xx", grpc_status: "5", classification: "success" })).toBe(false);
    expect(isFailureSeries({ status_class: "5xx", classification: "failure" })).toBe(true);
  });

  it("falls back to the status class for a series without a classification (an older proxy)", () => {
    expect(isFailureSeries({ status_class: "5xx" })).toBe(true);
    expect(isFailureSeries({ status_class: "error" })).toBe(true);
    expect(isFailureSeries({ status_class: "2xx" })).toBe(false);
    expect(isFailureSeries({ status_class: "4xx" })).toBe(false);
  });
});
