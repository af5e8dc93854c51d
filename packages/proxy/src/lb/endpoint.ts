import type { Endpoint } from "@loom/spec";
import type { PoolOptions } from "../http/dial.ts";
import { UpstreamPool } from "../http/pool.ts";

/** How fast old latency samples fade (Linkerd's peak-EWMA uses a similar decay). */
const EWMA_DECAY_MS = 10_000;
/** Latency assumed for an endpoint before its first response, so new endpoints get tried. */
const INITIAL_LATENCY_MS = 1;

/**
 * One upstream endpoint as this proxy sees it: what the snapshot says about it plus what the proxy has
 * learned (latency, in-flight requests, ejection, active health). Kept across config swaps while the
 * endpoint stays, so pools and statistics survive.
 */
export class EndpointState {
  readonly version: string;
  readonly label: string;
  inFlight = 0;
  latencyMs = INITIAL_LATENCY_MS;
  private sampledAt = 0;

  ejectedUntil = 0;
  timesEjected = 0;
  consecutive5xx = 0;
  consecutiveGatewayErrors = 0;
  /** Set by active health checks; the snapshot's own `healthy` is read from `endpoint`. */
  passingHealthChecks = true;

  /** HTTP/1.1 connection pool to this endpoint. */
  readonly pool: UpstreamPool;

  constructor(
    public endpoint: Endpoint,
    /** How to reach it (address, mTLS identity, timeouts); HTTP/2 sessions dial with the same. */
    readonly dialOptions: PoolOptions,
  ) {
    this.pool = new UpstreamPool(dialOptions);
    this.version = endpoint.tags.version ?? "unknown";
    this.label = `${endpoint.address}:${endpoint.port}`;
  }

  isAvailable(now: number): boolean {
    if (this.ejectedUntil !== 0 && now >= this.ejectedUntil) {
      this.ejectedUntil = 0;
      this.readmit();
    }
    return this.endpoint.healthy && this.passingHealthChecks && this.ejectedUntil === 0;
  }

  /**
   * Back from ejection or failing health checks: its latency estimate is from when it was failing, so it
   * starts from zero and gets the next request; its first responses then set the estimate.
   */
  readmit(): void {
    this.latencyMs = 0;
  }

  isEjected(now: number): boolean {
    return now < this.ejectedUntil;
  }

  /** Time-decayed EWMA, weighting a sample by how long it has been since the previous one. */
  recordLatency(ms: number, now: number): void {
    const weight = Math.exp(-(now - this.sampledAt) / EWMA_DECAY_MS);
    this.latencyMs = this.latencyMs * weight + ms * (1 - weight);
    this.sampledAt = now;
  }

  /**
   * Expected cost of sending one more request here. The estimate fades while no responses arrive (as in
   * Finagle's peak EWMA), so an endpoint that was skipped, or ejected, gets tried again instead of being
   * judged forever on old samples.
   */
  cost(now: number): number {
    return this.latencyMs * Math.exp(-(now - this.sampledAt) / EWMA_DECAY_MS) * (this.inFlight + 1);
  }
}

/** Endpoints with the same key are the same upstream; only their `healthy` flag may change in place. */
export function endpointKey(endpoint: Endpoint): string {
  return `${endpoint.service}|${endpoint.address}:${endpoint.port}|${endpoint.identity}|${JSON.stringify(endpoint.tags)}`;
}
