import http2, { type ClientHttp2Session, type IncomingHttpHeaders, type ServerHttp2Stream } from "node:http2";
import type { Rejection } from "../filters/rejection.ts";
import { encodeGrpcMessage, grpcStatusOfHttp } from "./grpc.ts";

const { NGHTTP2_CANCEL, NGHTTP2_INTERNAL_ERROR, NGHTTP2_FLAG_END_STREAM } = http2.constants;

/** Headers HTTP/2 forbids or that each hop writes itself. */
const NOT_FORWARDED = new Set([
  ":scheme",
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "upgrade",
  "traceparent",
]);

export interface StreamOutcome {
  /** A gRPC call: the proxy's own answers are gRPC statuses. */
  readonly grpc: boolean;
  /** Response headers arrived (or the proxy answered itself): where the latency histogram stops. */
  responded(status: number): void;
  /** The grpc-status of a trailers-only response or of the trailers. */
  sawGrpcStatus(value: string | string[] | undefined): void;
}

/** The request headers to send upstream: the caller's, less the hop-by-hop ones, with our traceparent. */
export function upstreamRequestHeaders(
  headers: IncomingHttpHeaders,
  traceparent: string,
): http2.OutgoingHttpHeaders {
  const outgoing: http2.OutgoingHttpHeaders = { traceparent };
  for (const name in headers) if (!NOT_FORWARDED.has(name)) outgoing[name] = headers[name];
  return outgoing;
}

/** Response headers to relay to the caller. */
export function relayedResponseHeaders(headers: IncomingHttpHeaders): http2.OutgoingHttpHeaders {
  const relayed: http2.OutgoingHttpHeaders = {};
  for (const name in headers) if (!NOT_FORWARDED.has(name)) relayed[name] = headers[name];
  return relayed;
}

/** Trailers to relay (pseudo-headers are not allowed there). */
export function relayedTrailers(trailers: IncomingHttpHeaders | undefined): http2.OutgoingHttpHeaders {
  const relayed: http2.OutgoingHttpHeaders = {};
  for (const name in trailers) if (!name.startsWith(":")) relayed[name] = trailers[name];
  return relayed;
}

/**
 * Relays one HTTP/2 stream (gRPC included) to an upstream session: request body and response body stream
 * through, response trailers (grpc-status) are passed on, and a reset on either side resets the other.
 */
export function forwardStream(
  downstream: ServerHttp2Stream,
  headers: IncomingHttpHeaders,
  session: ClientHttp2Session,
  traceparent: string,
  outcome: StreamOutcome,
): void {
  let upstream: http2.ClientHttp2Stream;
  try {
    upstream = session.request(upstreamRequestHeaders(headers, traceparent));
  } catch {
    respondItself(downstream, { status: 503, body: "upstream session unavailable\n" }, outcome);
    return;
  }
  let trailers: IncomingHttpHeaders | undefined;
  upstream.on("trailers", (received) => {
    trailers = received;
    outcome.sawGrpcStatus(received["grpc-status"]);
  });
  upstream.once("response", (responseHeaders, flags) => {
    const status = Number(responseHeaders[":status"] ?? 502);
    outcome.sawGrpcStatus(responseHeaders["grpc-status"]);
    outcome.responded(status);
    if (downstream.destroyed) return;
    const endStream = (flags & NGHTTP2_FLAG_END_STREAM) !== 0;
    downstream.respond(relayedResponseHeaders(responseHeaders), { endStream, waitForTrailers: !endStream });
    if (!endStream) upstream.pipe(downstream);
  });
  downstream.on("wantTrailers", () => downstream.sendTrailers(relayedTrailers(trailers)));
  upstream.on("error", () => {
    if (!downstream.headersSent)
      respondItself(downstream, { status: 502, body: "upstream stream failed\n" }, outcome);
    else downstream.close(NGHTTP2_INTERNAL_ERROR);
  });
  upstream.once("close", () => {
    if (
      upstream.rstCode !== undefined &&
      upstream.rstCode !== 0 &&
      !downstream.destroyed &&
      downstream.headersSent
    ) {
      downstream.close(upstream.rstCode);
    }
  });
  downstream.on("error", () => upstream.close(NGHTTP2_CANCEL));
  downstream.once("close", () => {
    if (!upstream.closed) upstream.close(NGHTTP2_CANCEL);
  });
  downstream.pipe(upstream);
}

/**
 * The proxy answers itself (denied, rate limited, no endpoint, timeout...). A gRPC caller gets a trailers-only
 * gRPC answer, as Envoy and Linkerd give one: its client then reports the status and the reason, where an
 * HTTP error would only say "Received HTTP status code 403".
 */
export function respondItself(
  downstream: ServerHttp2Stream,
  rejection: Rejection,
  outcome: StreamOutcome,
): void {
  const grpcStatus = outcome.grpc ? grpcStatusOfHttp(rejection.status) : undefined;
  if (grpcStatus !== undefined) outcome.sawGrpcStatus(String(grpcStatus));
  outcome.responded(grpcStatus === undefined ? rejection.status : 200);
  if (downstream.destroyed || downstream.headersSent) {
    downstream.close(NGHTTP2_INTERNAL_ERROR);
    return;
  }
  const headers: http2.OutgoingHttpHeaders =
    grpcStatus === undefined
      ? { ":status": rejection.status, "content-type": "text/plain" }
      : {
          ":status": 200,
          "content-type": "application/grpc",
          "grpc-status": String(grpcStatus),
          "grpc-message": encodeGrpcMessage(rejection.body.trim()),
        };
  for (let i = 0; i + 1 < (rejection.headers?.length ?? 0); i += 2) {
    headers[(rejection.headers as string[])[i]?.toLowerCase() as string] = rejection.headers?.[i + 1];
  }
  if (grpcStatus !== undefined) {
    downstream.respond(headers, { endStream: true });
    return;
  }
  downstream.respond(headers);
  downstream.end(rejection.body);
}
