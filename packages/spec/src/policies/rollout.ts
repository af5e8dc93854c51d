import { z } from "zod";
import { durationSchema, percentageSchema, tagsSchema } from "../common.ts";
import { defineKind } from "../define-kind.ts";
import { serviceTargetRefSchema } from "../target-ref.ts";

export const rolloutStepSchema = z.object({
  /** Percentage of traffic sent to the canary during this step. */
  canaryWeight: percentageSchema,
  hold: durationSchema.default("1m"),
});

export const rolloutSpecSchema = z
  .object({
    targetRef: serviceTargetRefSchema,
    stable: z.object({ tags: tagsSchema }),
    canary: z.object({ tags: tagsSchema }),
    steps: z.array(rolloutStepSchema).min(1, "needs at least one step"),
    gates: z
      .object({
        /** The canary's success rate may fall at most this many points below the stable version's. */
        maxSuccessRateDrop: percentageSchema.default(1),
        /** The canary's p99 may be at most this multiple of the stable version's. */
        maxP99Ratio: z.number().min(1, "must be at least 1").default(1.5),
        /** Below this many requests in a step's window the gate waits instead of judging. */
        minRequests: z.number().int().min(0).default(20),
      })
      .default({ maxSuccessRateDrop: 1, maxP99Ratio: 1.5, minRequests: 20 }),
    autoPromote: z.boolean().default(true),
    autoRollback: z.boolean().default(true),
  })
  .refine(
    (spec) => JSON.stringify(spec.stable.tags) !== JSON.stringify(spec.canary.tags),
    "stable and canary must select different tags",
  );
export const rolloutSchema = defineKind("Rollout", rolloutSpecSchema);
export type Rollout = z.infer<typeof rolloutSchema>;
