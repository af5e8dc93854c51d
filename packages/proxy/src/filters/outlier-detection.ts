import { durationMs, type OutlierDetection } from "@loom/spec";
import type { EndpointState } from "../lb/endpoint.ts";

export type UpstreamOutcome = number | "gateway-error";

const GATEWAY_STATUSES = new Set([502, 503, 504]);

/**
 * Passive health: an endpoint that returns `consecutive5xx` 5xx in a row, or `consecutiveGatewayErrors`
 * gateway errors (502/503/504, connect failures, resets) in a row, is ejected for base × times ejected,
 * unless that would eject more than maxEjectionPercent of the endpoints (at least one may always go).
 */
export class OutlierDetector {
  private readonly baseEjectionMs: number;

  constructor(
    private readonly config: OutlierDetection,
    private readonly onEject: (endpoint: EndpointState) => void,
  ) {
    this.baseEjectionMs = durationMs(config.baseEjectionTime);
  }

  record(
    endpoint: EndpointState,
    outcome: UpstreamOutcome,
    pool: readonly EndpointState[],
    now: number,
  ): void {
    const gatewayError = outcome === "gateway-error" || GATEWAY_STATUSES.has(outcome);
    if (!gatewayError && (outcome as number) < 500) {
      endpoint.consecutive5xx = 0;
      endpoint.consecutiveGatewayErrors = 0;
      return;
    }
    endpoint.consecutive5xx += 1;
    endpoint.consecutiveGatewayErrors = gatewayError ? endpoint.consecutiveGatewayErrors + 1 : 0;
    const tripped =
      endpoint.consecutive5xx >= this.config.consecutive5xx ||
      endpoint.consecutiveGatewayErrors >= this.config.consecutiveGatewayErrors;
    if (tripped && !endpoint.isEjected(now) && this.mayEject(pool, now)) this.eject(endpoint, now);
  }

  private mayEject(pool: readonly EndpointState[], now: number): boolean {
    let ejected = 0;
    for (const endpoint of pool) if (endpoint.isEjected(now)) ejected += 1;
    const allowed = Math.max(1, Math.floor((pool.length * this.config.maxEjectionPercent) / 100));
    return ejected < allowed;
  }

  private eject(endpoint: EndpointState, now: number): void {
    endpoint.timesEjected += 1;
    endpoint.ejectedUntil = now + this.baseEjectionMs * endpoint.timesEjected;
    endpoint.consecutive5xx = 0;
    endpoint.consecutiveGatewayErrors = 0;
    this.onEject(endpoint);
  }
}
