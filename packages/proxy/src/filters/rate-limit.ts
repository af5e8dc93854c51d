import { durationMs, type InboundSnapshot } from "@loom/spec";
import { appliesToCaller } from "./caller.ts";
import { type Rejection, reject } from "./rejection.ts";

type AppliedRateLimit = NonNullable<InboundSnapshot["rateLimit"]>;

/** Refilled continuously at `ratePerMs` up to `capacity`. */
export class TokenBucket {
  private tokens: number;
  private refilledAt: number;

  constructor(
    private readonly capacity: number,
    private readonly ratePerMs: number,
    private readonly now: () => number = performance.now.bind(performance),
  ) {
    this.tokens = capacity;
    this.refilledAt = this.now();
  }

  /** Takes a token, or returns how many ms until one is available. */
  take(): number {
    const now = this.now();
    this.tokens = Math.min(this.capacity, this.tokens + (now - this.refilledAt) * this.ratePerMs);
    this.refilledAt = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return (1 - this.tokens) / this.ratePerMs;
  }
}

/**
 * Local rate limit of the inbound side: one bucket shared by the callers the policy names. It holds one
 * interval's requests plus the burst, so after a quiet spell callers may spend an interval's worth at once;
 * over any time t it admits at most rate × t + requests + burst.
 */
export class RateLimitFilter {
  readonly bucket: TokenBucket;

  constructor(
    private readonly policy: AppliedRateLimit,
    bucket?: TokenBucket,
  ) {
    const { requests, interval, burst } = policy.spec;
    this.bucket = bucket ?? new TokenBucket(requests + burst, requests / durationMs(interval));
  }

  check(source: string): Rejection | undefined {
    if (!appliesToCaller(this.policy.spec.from, source)) return undefined;
    const waitMs = this.bucket.take();
    if (waitMs === 0) return undefined;
    return reject(this.policy.spec.onRateLimit.status, `rate limited by RateLimit ${this.policy.name}\n`, [
      "Retry-After",
      String(Math.max(1, Math.ceil(waitMs / 1000))),
    ]);
  }
}
