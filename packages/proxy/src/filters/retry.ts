import { durationMs, GrpcStatus, type RetryCondition, type RetryConfig } from "@loom/spec";
import type { ProxyMetrics } from "../telemetry/metrics.ts";

/** Why an attempt failed without a response. */
export type AttemptError = "connect-failure" | "reset" | "timeout";

const GATEWAY_STATUSES = new Set([502, 503, 504]);
const RETRIABLE_4XX = new Set([409]);
const GRPC_CONDITIONS: ReadonlyMap<RetryCondition, number> = new Map([
  ["grpc-cancelled", GrpcStatus.CANCELLED],
  ["grpc-deadline-exceeded", GrpcStatus.DEADLINE_EXCEEDED],
  ["grpc-internal", GrpcStatus.INTERNAL],
  ["grpc-resource-exhausted", GrpcStatus.RESOURCE_EXHAUSTED],
  ["grpc-unavailable", GrpcStatus.UNAVAILABLE],
]);

/** Which failures a request may be retried on, how often, and how long to wait between tries. */
export class RetryPolicy {
  readonly attempts: number;
  readonly perTryTimeoutMs: number | undefined;
  private readonly conditions: ReadonlySet<RetryCondition>;
  /** The grpc-status codes the grpc-* conditions name. */
  readonly grpcStatuses: ReadonlySet<number>;
  private readonly backoffBaseMs: number;
  private readonly backoffMaxMs: number;

  constructor(config: RetryConfig) {
    this.attempts = config.attempts;
    this.conditions = new Set(config.retryOn);
    this.grpcStatuses = new Set(config.retryOn.flatMap((condition) => GRPC_CONDITIONS.get(condition) ?? []));
    this.perTryTimeoutMs = config.perTryTimeout ? durationMs(config.perTryTimeout) : undefined;
    this.backoffBaseMs = durationMs(config.backoff.base);
    this.backoffMaxMs = durationMs(config.backoff.max);
  }

  retriableStatus(status: number): boolean {
    if (status >= 500) {
      return (
        this.conditions.has("5xx") || (this.conditions.has("gateway-error") && GATEWAY_STATUSES.has(status))
      );
    }
    return this.conditions.has("retriable-4xx") && RETRIABLE_4XX.has(status);
  }

  retriableGrpcStatus(code: number): boolean {
    return this.grpcStatuses.has(code);
  }

  retriableError(error: AttemptError): boolean {
    if (this.conditions.has("5xx") || this.conditions.has("gateway-error")) return true;
    if (error === "timeout") return false;
    return this.conditions.has(error);
  }

  /** Exponential backoff with full jitter: a random wait up to base × 2^(retry-1), capped at max. */
  backoffMs(retry: number, random: () => number = Math.random): number {
    return random() * Math.min(this.backoffMaxMs, this.backoffBaseMs * 2 ** (retry - 1));
  }
}

const WINDOW_MS = 10_000;
const SLOTS = 10;
const SLOT_MS = WINDOW_MS / SLOTS;

/** Counts per 1 s slot over the last 10 s. */
class SlidingCount {
  private readonly slots = new Float64Array(SLOTS);
  private lastSlot: number;

  constructor(private readonly now: () => number) {
    this.lastSlot = Math.floor(now() / SLOT_MS);
  }

  add(): void {
    this.advance();
    const index = this.lastSlot % SLOTS;
    this.slots[index] = (this.slots[index] as number) + 1;
  }

  total(): number {
    this.advance();
    let sum = 0;
    for (const count of this.slots) sum += count;
    return sum;
  }

  /** Clears the slots that time has moved past since the last call. */
  private advance(): void {
    const slot = Math.floor(this.now() / SLOT_MS);
    const steps = Math.min(SLOTS, slot - this.lastSlot);
    for (let step = 1; step <= steps; step++) this.slots[(this.lastSlot + step) % SLOTS] = 0;
    if (slot > this.lastSlot) this.lastSlot = slot;
  }
}

/**
 * Retries may add at most `percent` of the requests of the last 10 s, plus `minRetriesPerSecond` × 10 s
 * so a quiet service can still retry (Linkerd's retry budget). Protects an upstream that is failing
 * because it is overloaded from being hit harder.
 */
export class RetryBudget {
  private readonly requests: SlidingCount;
  private readonly retries: SlidingCount;
  private ratio = 0.2;
  private floor = 100;

  constructor(now: () => number = Date.now) {
    this.requests = new SlidingCount(now);
    this.retries = new SlidingCount(now);
  }

  configure(budget: RetryConfig["budget"]): void {
    this.ratio = budget.percent / 100;
    this.floor = budget.minRetriesPerSecond * (WINDOW_MS / 1000);
  }

  recordRequest(): void {
    this.requests.add();
  }

  /** Spends one retry if the budget allows it. */
  tryRetry(): boolean {
    if (this.retries.total() + 1 > this.requests.total() * this.ratio + this.floor) return false;
    this.retries.add();
    return true;
  }
}

/** Spends one retry of `budget` for a call to `destination`, counting whether it was sent or refused. */
export function spendRetry(budget: RetryBudget, metrics: ProxyMetrics, destination: string): boolean {
  const allowed = budget.tryRetry();
  metrics.retries.labels(destination, allowed ? "sent" : "budget_exhausted").inc();
  return allowed;
}
