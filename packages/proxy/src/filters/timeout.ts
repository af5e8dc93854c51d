import { durationMs, type TimeoutConfig, timeoutConfigSchema } from "@loom/spec";

export interface Deadlines {
  /** The whole request until response headers, retries included. */
  requestMs: number;
  connectMs: number;
  /** Pooled connections idle this long are closed. */
  idleMs: number;
}

/** The Timeout policy in force, with a route rule's own timeouts taking precedence field by field. */
export function resolveDeadlines(
  policy: TimeoutConfig | undefined,
  override?: Partial<TimeoutConfig>,
): Deadlines {
  const config = timeoutConfigSchema.parse({ ...policy, ...override });
  return {
    requestMs: durationMs(config.request),
    connectMs: durationMs(config.connect),
    idleMs: durationMs(config.idle),
  };
}
