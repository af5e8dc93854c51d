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

/**
 * The gRPC status for an HTTP status the proxy answers with (gRPC's HTTP-to-gRPC mapping), except that a
 * timeout is DEADLINE_EXCEEDED and a rate limit RESOURCE_EXHAUSTED, which say what happened.
 */
export function grpcStatusOfHttp(status: number): number {
  switch (status) {
    case 400:
      return GrpcStatus.INTERNAL;
    case 401:
      return GrpcStatus.UNAUTHENTICATED;
    case 403:
      return GrpcStatus.PERMISSION_DENIED;
    case 404:
      return GrpcStatus.UNIMPLEMENTED;
    case 429:
      return GrpcStatus.RESOURCE_EXHAUSTED;
    case 504:
      return GrpcStatus.DEADLINE_EXCEEDED;
    case 502:
    case 503:
      return GrpcStatus.UNAVAILABLE;
    default:
      return GrpcStatus.UNKNOWN;
  }
}

/** grpc-message's percent-encoding: bytes outside printable ASCII, and "%" itself (gRPC over HTTP/2 spec). */
export function encodeGrpcMessage(message: string): string {
  let encoded = "";
  for (const byte of Buffer.from(message)) {
    encoded +=
      byte < 0x20 || byte > 0x7e || byte === 0x25
        ? `%${byte.toString(16).toUpperCase().padStart(2, "0")}`
        : String.fromCharCode(byte);
  }
  return encoded;
}
