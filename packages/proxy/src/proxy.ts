import { type Bootstrap, type Protocol, SNAPSHOT_FORMAT_VERSION, type Snapshot, timer } from "@loom/spec";
import { type CompiledConfig, compileConfig, type ProxyConfig, RuntimeState } from "./config.ts";
import type { ProxyContext } from "./context.ts";
import { otlpAuthHeaders } from "./control-plane-token.ts";
import { closeAllHttp2Sessions } from "./http/http2-pool.ts";
import { UpstreamPool } from "./http/pool.ts";
import { createAdminListener } from "./listeners/admin.ts";
import { createInboundListener } from "./listeners/inbound.ts";
import type { Listener } from "./listeners/listener.ts";
import { createOutboundListener } from "./listeners/outbound.ts";
import { createTapHandler, TapHub } from "./tap/index.ts";
import { ProxyMetrics } from "./telemetry/metrics.ts";
import { Tracing } from "./telemetry/tracing.ts";
import type { TlsMaterial } from "./tls-material.ts";

/** What `applySnapshot` answers; the control-plane client turns it into an ACK or a NACK. */
export type ApplyResult = { ok: true } | { ok: false; error: string };

export interface ProxyOptions {
  bootstrap: Bootstrap;
  /** Mesh identity: from files in standalone mode, from the CA in managed mode (may arrive later). */
  tls?: TlsMaterial;
}

const APP_POOL = { connectTimeoutMs: 5_000, idleTimeoutMs: 60_000, maxSockets: Number.POSITIVE_INFINITY };

interface BoundOutbound {
  protocol: Protocol;
  listener: Listener;
}

/** One loom-proxy: its listeners, the config in force, and the state that outlives config swaps. */
export class LoomProxy implements ProxyContext {
  readonly metrics = new ProxyMetrics();
  readonly tap = new TapHub();
  readonly tracing: Tracing;
  readonly accessLog: boolean;
  readonly service: string;
  readonly version: string;
  draining = false;
  private current: ProxyConfig | undefined;
  private material: TlsMaterial | undefined;
  private readonly state = new RuntimeState();
  private readonly outboundListeners = new Map<number, BoundOutbound>();
  /** Inbound ports, and other listeners facing peers or outside clients (the gateway's), drained first. */
  private readonly inboundListeners: Listener[] = [];
  private readonly adminListener: Listener;
  private readonly appPools = new Map<number, UpstreamPool>();
  private applying: Promise<unknown> = Promise.resolve();
  private markReady: () => void = () => {};
  /** Resolves once a first snapshot is applied and the inbound ports are bound. */
  readonly ready = new Promise<void>((resolve) => {
    this.markReady = resolve;
  });

  constructor(
    private readonly bootstrap: Bootstrap,
    options: Omit<ProxyOptions, "bootstrap"> = {},
  ) {
    this.service = bootstrap.dataplane.service;
    this.version = bootstrap.dataplane.tags.version ?? "unknown";
    this.accessLog = bootstrap.accessLog;
    this.tapToken = bootstrap.tapToken;
    this.tracing = new Tracing(
      this.service,
      bootstrap.tracing.otlpUrl,
      timer("spanBatchMs"),
      otlpAuthHeaders(bootstrap),
    );
    this.adminListener = createAdminListener({
      metrics: this.metrics,
      isReady: () => this.current !== undefined && !this.draining,
      currentSnapshot: () => this.current?.snapshot,
      tap: createTapHandler(this.tap, { token: () => this.tapToken }),
    });
    if (options.tls) this.setTlsMaterial(options.tls);
  }

  /** The bootstrap's tapToken wins; otherwise the one the control plane derived for this proxy. */
  private tapToken: string | undefined;

  setControlPlaneTapToken(token: string | undefined): void {
    if (this.bootstrap.tapToken === undefined && token) this.tapToken = token;
  }

  get config(): ProxyConfig {
    if (!this.current) throw new Error("no config applied yet");
    return this.current;
  }

  get tls(): TlsMaterial | undefined {
    return this.material;
  }

  /** Managed mode hands over the first certificate, and each rotated one, here. */
  setTlsMaterial(material: TlsMaterial): void {
    this.material = material;
    this.metrics.setCertificateExpiry(material.identity, material.notAfter);
  }

  /** Binds the admin port; the inbound ports follow once a first snapshot is applied. */
  async start(): Promise<void> {
    // Peers and the telemetry hub reach this instance at its advertised address; nothing else need see it.
    await this.adminListener.listen(this.bootstrap.adminPort, this.bootstrap.dataplane.address);
  }

  appPool(port: number): UpstreamPool {
    let pool = this.appPools.get(port);
    if (!pool) {
      pool = new UpstreamPool({ host: "127.0.0.1", port, ...APP_POOL });
      this.appPools.set(port, pool);
    }
    return pool;
  }

  /**
   * Applies a snapshot atomically: requests in flight finish on the config they started with. The snapshot was
   * validated where it was read (the stream's decoder, the bootstrap's schema). Refuses, keeping the previous
   * config, what only the proxy can judge: an unknown formatVersion, an mTLS mode it has no certificate for, an
   * outbound port it cannot bind.
   */
  applySnapshot(snapshot: Snapshot): Promise<ApplyResult> {
    const result = this.applying.then(() => this.apply(snapshot));
    this.applying = result;
    return result;
  }

  private async apply(snapshot: Snapshot): Promise<ApplyResult> {
    if (this.draining) return { ok: false, error: "the proxy is shutting down" };
    if (snapshot.formatVersion !== SNAPSHOT_FORMAT_VERSION) {
      return {
        ok: false,
        error: `unknown snapshot formatVersion ${snapshot.formatVersion} (this proxy knows ${SNAPSHOT_FORMAT_VERSION})`,
      };
    }
    const mode = snapshot.mesh.spec.mtls.mode;
    if (mode !== "off" && !this.material) {
      return { ok: false, error: `mesh mTLS mode is ${mode} but this proxy has no certificate loaded` };
    }
    let compiled: CompiledConfig;
    try {
      compiled = compileConfig(snapshot, this.state, {
        tls: this.material,
        onEject: (destination, endpoint) =>
          this.metrics.outlierEjections.labels(destination, endpoint.label).inc(),
        retireAfterMs: timer("drainTimeoutMs"),
      });
    } catch (error) {
      return { ok: false, error: `cannot compile snapshot: ${(error as Error).message}` };
    }
    const bound = await this.bindOutbounds(snapshot);
    if (!bound.ok) return bound;
    const first = this.current === undefined;
    this.current = compiled.config;
    compiled.commit();
    this.closeRemovedOutbounds(snapshot);
    this.metrics.setConfigVersion(snapshot.version);
    this.tracing.setSamplingRate(snapshot.mesh.spec.tracing.samplingRate);
    if (first) {
      await this.bindInbounds();
      this.markReady();
    }
    return { ok: true };
  }

  /** Binds the ports this snapshot adds; if one fails, unbinds the others it added and refuses the snapshot. */
  private async bindOutbounds(snapshot: Snapshot): Promise<ApplyResult> {
    const added: number[] = [];
    for (const outbound of snapshot.outbounds) {
      const existing = this.outboundListeners.get(outbound.port);
      if (existing?.protocol === outbound.protocol) continue;
      existing?.listener.close();
      const listener = createOutboundListener(this, outbound.port, outbound.protocol);
      try {
        await listener.listen(outbound.port, "127.0.0.1");
      } catch (error) {
        for (const port of added) {
          this.outboundListeners.get(port)?.listener.close();
          this.outboundListeners.delete(port);
        }
        return {
          ok: false,
          error: `cannot bind outbound port ${outbound.port} for ${outbound.service}: ${(error as Error).message}`,
        };
      }
      this.outboundListeners.set(outbound.port, { protocol: outbound.protocol, listener });
      added.push(outbound.port);
    }
    return { ok: true };
  }

  private closeRemovedOutbounds(snapshot: Snapshot): void {
    const wanted = new Set(snapshot.outbounds.map((outbound) => outbound.port));
    for (const [port, bound] of this.outboundListeners) {
      if (wanted.has(port)) continue;
      bound.listener.close();
      this.outboundListeners.delete(port);
    }
  }

  private async bindInbounds(): Promise<void> {
    for (const inbound of this.bootstrap.dataplane.inbound) {
      const listener = createInboundListener(this, inbound);
      await listener.listen(inbound.port, this.bootstrap.dataplane.address);
      this.inboundListeners.push(listener);
    }
  }

  /** A listener started beside the proxy's own (the gateway's public one), drained with the inbound ones. */
  adoptListener(listener: Listener): void {
    this.inboundListeners.push(listener);
  }

  /**
   * SIGTERM: stop accepting peers, let in-flight requests finish (the app may still call out meanwhile),
   * then drain the outbound side, all within the drain timeout; flush spans last.
   */
  async shutdown(): Promise<void> {
    this.draining = true;
    const deadline = Date.now() + timer("drainTimeoutMs");
    await Promise.all(this.inboundListeners.map((listener) => listener.drain(deadline - Date.now())));
    const outbound = [...this.outboundListeners.values()].map(({ listener }) => listener);
    await Promise.all(outbound.map((listener) => listener.drain(Math.max(0, deadline - Date.now()))));
    for (const checker of this.state.healthCheckers) checker.stop();
    this.tap.close();
    this.adminListener.close();
    for (const pool of this.appPools.values()) pool.destroy();
    for (const endpoint of this.state.endpoints.values()) endpoint.pool.destroy();
    closeAllHttp2Sessions();
    await this.tracing.shutdown();
  }
}
