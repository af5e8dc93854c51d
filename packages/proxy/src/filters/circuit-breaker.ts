import type { OutboundSnapshot } from "@loom/spec";
import { type Rejection, reject } from "./rejection.ts";

type CircuitBreakerSpec = NonNullable<OutboundSnapshot["circuitBreaker"]>["spec"];

const DEFAULT_LIMIT = 1024;

/**
 * Limits per outbound service: requests in flight and requests waiting for a connection; beyond them a
 * request fails fast with 503 instead of queueing. Connections are capped by each endpoint pool's size.
 */
export class CircuitBreaker {
  requests = 0;
  pending = 0;
  private maxRequests = DEFAULT_LIMIT;
  private maxPendingRequests = DEFAULT_LIMIT;
  maxConnections = DEFAULT_LIMIT;
  private overflow: Rejection = reject(503, "circuit breaker open\n");

  /** Limits change with the policy; the counters of requests in flight carry over. */
  configure(policy: { name: string; spec: CircuitBreakerSpec } | undefined): void {
    this.maxRequests = policy?.spec.maxRequests ?? DEFAULT_LIMIT;
    this.maxPendingRequests = policy?.spec.maxPendingRequests ?? DEFAULT_LIMIT;
    this.maxConnections = policy?.spec.maxConnections ?? DEFAULT_LIMIT;
    this.overflow = reject(503, `overflow: circuit breaker ${policy?.name ?? "default"} is open\n`);
  }

  admit(): Rejection | undefined {
    if (this.requests >= this.maxRequests || this.pending >= this.maxPendingRequests) return this.overflow;
    return undefined;
  }
}
