import type { Endpoint } from "@loom/spec";
import type { PoolOptions } from "../http/dial.ts";
import { UpstreamPool } from "../http/pool.ts";

/** How fast old latency samples fade (Linkerd's peak-EWMA uses a similar decay). */
const EWMA_DECAY_MS = 10_000;
/** How long a new or readmitted endpoint is costed at its peers' estimate: about as long as samples weigh. */
const WARM_UP_MS = EWMA_DECAY_MS;

/**
 * One upstream endpoint as this proxy sees it: what the snapshot says about it plus what the proxy has
 * learned (latency, in-flight requests, ejection, active health). Kept across config swaps while the
 * endpoint stays, so pools and statistics survive.
 */
export class EndpointState {
  readonly version: string;
  readonly label: string;
  inFlight = 0;
  latencyMs = 0;
  /** When the estimate was last set; undefined while the endpoint has none (new, or just readmitted). */
  private sampledAt: number | undefined;
  private warmUntil = 0;
  private borrowedLatencyMs = 0;

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
   * Back from ejection or failing health checks: its latency estimate is from when it was failing, so it is
   * dropped, and the endpoint starts again like a new one (see `warmUpFrom`).
   */
  readmit(): void {
    this.latencyMs = 0;
    this.sampledAt = undefined;
  }

  get hasEstimate(): boolean {
    return this.sampledAt !== undefined;
  }

  isWarmingUp(now: number): boolean {
    return now < this.warmUntil;
  }

  /**
   * A new or readmitted endpoint starts from its peers' estimate and, while it warms up, is costed at theirs
   * (`borrow`). Its first answers come from a cold process (measured 19 ms against a warm peer's 1.7 ms):
   * judged on them, P2C left it a request every few seconds, too few to ever warm it, for over a minute.
   * Costed at its peers' estimate it takes its share; a really slow one is still held back by its requests
   * in flight, and its own estimate decides once the warm-up is over.
   */
  warmUpFrom(peersLatencyMs: number, now: number): void {
    this.latencyMs = peersLatencyMs;
    this.sampledAt = now;
    this.warmUntil = now + WARM_UP_MS;
    this.borrow(peersLatencyMs);
  }

  borrow(peersLatencyMs: number): void {
    this.borrowedLatencyMs = peersLatencyMs;
  }

  isEjected(now: number): boolean {
    return now < this.ejectedUntil;
  }

  /** Time-decayed EWMA, weighting a sample by how long it has been since the previous one. */
  recordLatency(ms: number, now: number): void {
    const weight = this.sampledAt === undefined ? 0 : Math.exp(-(now - this.sampledAt) / EWMA_DECAY_MS);
    this.latencyMs = this.latencyMs * weight + ms * (1 - weight);
    this.sampledAt = now;
  }

  /**
   * Expected cost of sending one more request here. The estimate fades while no responses arrive (as in
   * Finagle's peak EWMA), so an endpoint that was skipped, or ejected, gets tried again instead of being
   * judged forever on old samples.
   */
  cost(now: number): number {
    return (this.isWarmingUp(now) ? this.borrowedLatencyMs : this.estimate(now)) * (this.inFlight + 1);
  }

  /** Its own latency estimate, faded by the time since its last sample. */
  estimate(now: number): number {
    if (this.sampledAt === undefined) return 0;
    return this.latencyMs * Math.exp(-(now - this.sampledAt) / EWMA_DECAY_MS);
  }
}

/** Endpoints with the same key are the same upstream; only their `healthy` flag may change in place. */
export function endpointKey(endpoint: Endpoint): string {
  return `${endpoint.service}|${endpoint.address}:${endpoint.port}|${endpoint.identity}|${JSON.stringify(endpoint.tags)}`;
}
