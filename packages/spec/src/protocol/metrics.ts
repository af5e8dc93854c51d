/**
 * Metric names and labels are part of the data-plane protocol: the proxy exports them, and the telemetry hub
 * and a real Prometheus query the same series.
 */
/**
 * The labels of every request series. `status_class` is the HTTP status; `grpc_status` the gRPC status code
 * of a gRPC call (absent otherwise); `classification` says whether the request counts against the success
 * rate (see classifyResponse), which is what the telemetry hub and PromQL read.
 */
const REQUEST_LABELS = [
  "direction",
  "source",
  "destination",
  "destination_version",
  "route",
  "status_class",
  "grpc_status",
  "classification",
  "tls",
] as const;

export const METRICS = {
  requests: {
    name: "loom_requests_total",
    help: "HTTP/gRPC requests handled, by direction (inbound = this proxy's app was called).",
    labels: REQUEST_LABELS,
  },
  requestDuration: {
    name: "loom_request_duration_seconds",
    help: "Latency of requests, from first byte received to last byte of the response headers sent.",
    labels: REQUEST_LABELS,
  },
  retries: {
    name: "loom_retries_total",
    help: "Retry attempts sent upstream, and retries the budget refused.",
    labels: ["destination", "outcome"],
  },
  outlierEjections: {
    name: "loom_outlier_ejections_total",
    help: "Endpoints ejected by outlier detection.",
    labels: ["destination", "endpoint"],
  },
  tcpBytes: {
    name: "loom_tcp_bytes_total",
    help: "Bytes carried by TCP proxying, by flow (rx = from the downstream side).",
    labels: ["direction", "source", "destination", "flow"],
  },
  tcpConnections: {
    name: "loom_tcp_connections_total",
    help: "TCP connections accepted.",
    labels: ["direction", "source", "destination", "tls"],
  },
  tcpConnectionsOpen: {
    name: "loom_tcp_connections_open",
    help: "TCP connections currently open.",
    labels: ["direction", "source", "destination"],
  },
  configInfo: {
    name: "loom_config_info",
    help: "Always 1; the label carries the snapshot version this proxy applied.",
    labels: ["version"],
  },
  certificateExpiry: {
    name: "loom_certificate_expiry_timestamp_seconds",
    help: "When this proxy's mTLS certificate expires (Unix seconds).",
    labels: ["identity"],
  },
} as const;

/** Seconds; fine at the low end so sub-millisecond hops still show. */
export const LATENCY_BUCKETS_SECONDS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
] as const;

export type RequestDirection = "inbound" | "outbound";
export type StatusClass = "1xx" | "2xx" | "3xx" | "4xx" | "5xx" | "error";

export function statusClass(status: number | undefined): StatusClass {
  if (status === undefined || status < 100 || status > 599) return "error";
  return `${Math.floor(status / 100)}xx` as StatusClass;
}

export type Classification = "success" | "failure";

/**
 * The HTTP status each gRPC status code stands for (google.rpc.Code's documented mapping, as Envoy and
 * grpc-gateway use it), indexed by code: a gRPC server answers HTTP 200 and puts the failure in grpc-status.
 */
const GRPC_STATUS_AS_HTTP = [
  200, // OK
  499, // CANCELLED
  500, // UNKNOWN
  400, // INVALID_ARGUMENT
  504, // DEADLINE_EXCEEDED
  404, // NOT_FOUND
  409, // ALREADY_EXISTS
  403, // PERMISSION_DENIED
  429, // RESOURCE_EXHAUSTED
  400, // FAILED_PRECONDITION
  409, // ABORTED
  400, // OUT_OF_RANGE
  501, // UNIMPLEMENTED
  500, // INTERNAL
  503, // UNAVAILABLE
  500, // DATA_LOSS
  401, // UNAUTHENTICATED
] as const;

export const GrpcStatus = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  DEADLINE_EXCEEDED: 4,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

/** A code outside 0..16 is treated as UNKNOWN, as gRPC clients do. */
export function grpcStatusAsHttp(code: number): number {
  return GRPC_STATUS_AS_HTTP[code] ?? 500;
}

/**
 * Whether a request counts against the success rate: no response or a 5xx, and for gRPC a status whose HTTP
 * equivalent is 5xx (UNKNOWN, DEADLINE_EXCEEDED, UNIMPLEMENTED, INTERNAL, UNAVAILABLE, DATA_LOSS). Caller
 * mistakes (INVALID_ARGUMENT, NOT_FOUND, ...) are no more failures of the service than a 4xx is.
 */
export function classifyResponse(status: number | undefined, grpcStatus: number | undefined): Classification {
  if (status === undefined || status < 100 || status >= 500) return "failure";
  return grpcStatus !== undefined && grpcStatusAsHttp(grpcStatus) >= 500 ? "failure" : "success";
}

/** Label value for a caller that presented no identity (plaintext). */
export const UNKNOWN_SOURCE = "unknown";

/**
 * Span attributes the proxy adds beyond OpenTelemetry's conventions: the caller on a server span (its
 * identity, or UNKNOWN_SOURCE) and the callee on a client span. The trace store searches an edge's traces by them.
 */
export const SPAN_ATTRIBUTES = { source: "loom.source", destination: "loom.destination" } as const;
