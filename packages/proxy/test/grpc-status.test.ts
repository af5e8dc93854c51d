import { GrpcStatus } from "@loom/spec";
import { describe, expect, it } from "vitest";
import {
  encodeGrpcMessage,
  grpcStatusOfHttp,
  grpcStatusOfUnfinishedCall,
  parseGrpcStatus,
} from "../src/http/grpc.ts";

describe("gRPC status helpers", () => {
  it("percent-encodes only what grpc-message may not carry as it is", () => {
    expect(encodeGrpcMessage("denied by TrafficPermission web-to-cart")).toBe(
      "denied by TrafficPermission web-to-cart",
    );
    expect(encodeGrpcMessage("100% é\n")).toBe("100%25 %C3%A9%0A");
    expect(decodeURIComponent(encodeGrpcMessage("100% é\n"))).toBe("100% é\n");
  });

  it("answers the proxy's own HTTP statuses as gRPC statuses", () => {
    expect([403, 404, 429, 503, 504, 500].map(grpcStatusOfHttp)).toEqual([
      GrpcStatus.PERMISSION_DENIED,
      GrpcStatus.UNIMPLEMENTED,
      GrpcStatus.RESOURCE_EXHAUSTED,
      GrpcStatus.UNAVAILABLE,
      GrpcStatus.DEADLINE_EXCEEDED,
      GrpcStatus.UNKNOWN,
    ]);
  });

  it("reads grpc-status as clients do: malformed is UNKNOWN, absent is no status", () => {
    expect(parseGrpcStatus("14")).toBe(14);
    expect(parseGrpcStatus("oops")).toBe(GrpcStatus.UNKNOWN);
    expect(parseGrpcStatus(undefined)).toBeUndefined();
  });

  it("gives a call with no grpc-status what its client reports", () => {
    expect([0, 7, 8, 11, 2].map(grpcStatusOfUnfinishedCall)).toEqual([
      GrpcStatus.UNKNOWN,
      GrpcStatus.UNAVAILABLE,
      GrpcStatus.CANCELLED,
      GrpcStatus.RESOURCE_EXHAUSTED,
      GrpcStatus.INTERNAL,
    ]);
  });
});
