import type { ProxyConfig } from "./config.ts";
import type { UpstreamPool } from "./http/pool.ts";
import type { TapHub } from "./tap/index.ts";
import type { ProxyMetrics } from "./telemetry/metrics.ts";
import type { Tracing } from "./telemetry/tracing.ts";
import type { TlsMaterial } from "./tls-material.ts";

/** What listeners need from the proxy; each request reads `config` once and keeps that one to the end. */
export interface ProxyContext {
  readonly config: ProxyConfig;
  readonly metrics: ProxyMetrics;
  readonly tracing: Tracing;
  readonly accessLog: boolean;
  /** This instance's service and version (the source of outbound calls, the destination of inbound ones). */
  readonly service: string;
  readonly version: string;
  readonly tls: TlsMaterial | undefined;
  /** Keep-alive pool to the local app's port. */
  appPool(port: number): UpstreamPool;
  /** Live request summaries for the admin port's /tap. */
  readonly tap: TapHub;
  /** Set once SIGTERM arrived: responses close their connections so clients move on. */
  readonly draining: boolean;
}
