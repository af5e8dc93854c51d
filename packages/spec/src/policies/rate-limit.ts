import { z } from "zod";
import { durationSchema } from "../common.ts";
import { defineKind } from "../define-kind.ts";
import { callerRefSchema, targetRefSchema } from "../target-ref.ts";

/** A local token bucket in each inbound proxy: `requests` per `interval`, refilled continuously. */
export const rateLimitSpecSchema = z.strictObject({
  targetRef: targetRefSchema,
  /** Limit only these callers; absent means all callers share the bucket. */
  from: z.array(z.strictObject({ targetRef: callerRefSchema })).optional(),
  requests: z.number().int().min(1),
  interval: durationSchema.default("1s"),
  /** Extra tokens allowed in a burst above the steady rate. */
  burst: z.number().int().min(0).default(0),
  onRateLimit: z
    .strictObject({
      status: z
        .number()
        .int()
        .min(400, "must be an HTTP error status (400-599)")
        .max(599, "must be an HTTP error status (400-599)")
        .default(429),
    })
    .prefault({}),
});
export const rateLimitSchema = defineKind("RateLimit", rateLimitSpecSchema);
export type RateLimit = z.infer<typeof rateLimitSchema>;
