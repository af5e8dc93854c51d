import http2, { type IncomingHttpHeaders } from "node:http2";
import { GrpcStatus } from "@loom/spec";

const { NGHTTP2_REFUSED_STREAM, NGHTTP2_CANCEL, NGHTTP2_ENHANCE_YOUR_CALM } = http2.constants;

/** gRPC, whatever the message encoding (application/grpc, application/grpc+proto, +json...). */
export function isGrpc(headers: IncomingHttpHeaders): boolean {
  return headers["content-type"]?.startsWith("application/grpc") === true;
}

/** A grpc-status header's code; a malformed one reads as UNKNOWN, as gRPC clients read it. */
export function parseGrpcStatus(value: string | string[] | undefined): number | undefined {
  if (value === undefined) return undefined;
  const code = typeof value === "string" ? Number(value) : Number.NaN;
  return Number.isInteger(code) && code >= 0 ? code : GrpcStatus.UNKNOWN;
}

/**
 * What a gRPC client reports for a call that got response headers but no grpc-status (the gRPC over HTTP/2
 * spec's RST_STREAM mapping): UNKNOWN when the stream just ended, CANCELLED when cancelled, and so on.
 */
export function grpcStatusOfUnfinishedCall(resetCode: number | undefined): number {
  switch (resetCode) {
    case undefined:
    case 0:
      return GrpcStatus.UNKNOWN;
    case NGHTTP2_REFUSED_STREAM:
      return GrpcStatus.UNAVAILABLE;
    case NGHTTP2_CANCEL:
      return GrpcStatus.CANCELLED;
    case NGHTTP2_ENHANCE_YOUR_CALM:
      return GrpcStatus.RESOURCE_EXHAUSTED;
    default:
      return GrpcStatus.INTERNAL;
  }
}
