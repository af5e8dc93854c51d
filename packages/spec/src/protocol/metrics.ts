/**
 * Metric names and labels are part of the data-plane protocol: the proxy exports them, and the telemetry hub
 * and a real Prometheus query the same series.
 */
export const METRICS = {
  requests: {
    name: "loom_requests_total",
    help: "HTTP/gRPC requests handled, by direction (inbound = this proxy's app was called).",
    labels: ["direction", "source", "destination", "destination_version", "route", "status_class", "tls"],
  },
  requestDuration: {
    name: "loom_request_duration_seconds",
    help: "Latency of requests, from first byte received to last byte of the response headers sent.",
    labels: ["direction", "source", "destination", "destination_version", "route", "status_class", "tls"],
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

/** Label value for a caller that presented no identity (plaintext). */
export const UNKNOWN_SOURCE = "unknown";
