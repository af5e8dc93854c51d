import { z } from "zod";
import { durationSchema, percentageSchema } from "../common.ts";
import { defineKind } from "../define-kind.ts";
import { targetRefSchema } from "../target-ref.ts";

/**
 * The HTTP conditions read the HTTP status; a gRPC server answers HTTP 200 with its failure in grpc-status,
 * which the grpc-* conditions read (Envoy's retry-grpc-on set). A gRPC response can be retried only while
 * no part of it has reached the caller: a trailers-only answer, or headers and status with no message.
 */
export const retryConditionSchema = z.enum([
  "5xx",
  "gateway-error",
  "connect-failure",
  "reset",
  "retriable-4xx",
  "grpc-cancelled",
  "grpc-deadline-exceeded",
  "grpc-internal",
  "grpc-resource-exhausted",
  "grpc-unavailable",
]);
export type RetryCondition = z.infer<typeof retryConditionSchema>;

/** Also embedded in a TrafficRoute rule, where it overrides the Retry kind for that rule only. */
export const retryConfigSchema = z.strictObject({
  /** Total tries including the first; 1 means no retry. */
  attempts: z.number().int().min(1).max(10).default(3),
  retryOn: z
    .array(retryConditionSchema)
    .min(1, "needs at least one condition")
    .default(["gateway-error", "connect-failure", "reset"]),
  perTryTimeout: durationSchema.optional(),
  backoff: z
    .strictObject({ base: durationSchema.default("25ms"), max: durationSchema.default("250ms") })
    .prefault({}),
  /**
   * Retries may add at most this percentage of the requests seen in the last 10 s (Linkerd's retry
   * budget), plus a floor so a quiet service can still retry; protects an overloaded upstream.
   */
  budget: z
    .strictObject({
      percent: percentageSchema.default(20),
      minRetriesPerSecond: z.number().int().min(0).default(10),
    })
    .prefault({}),
});
export type RetryConfig = z.infer<typeof retryConfigSchema>;

export const retrySpecSchema = z.strictObject({ targetRef: targetRefSchema }).extend(retryConfigSchema.shape);
export const retrySchema = defineKind("Retry", retrySpecSchema);
export type Retry = z.infer<typeof retrySchema>;
