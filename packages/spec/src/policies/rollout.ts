import { z } from "zod";
import { durationSchema, onceFieldsAreValid, percentageSchema, type Tags } from "../common.ts";
import { defineKind } from "../define-kind.ts";
import { serviceTargetRefSchema, subsetTagsSchema } from "../target-ref.ts";

export const rolloutStepSchema = z.strictObject({
  /** Percentage of traffic sent to the canary during this step. */
  canaryWeight: percentageSchema,
  hold: durationSchema.default("1m"),
});

export const rolloutSpecSchema = z
  .strictObject({
    targetRef: serviceTargetRefSchema,
    stable: z.strictObject({ tags: subsetTagsSchema }),
    canary: z.strictObject({ tags: subsetTagsSchema }),
    steps: z.array(rolloutStepSchema).min(1, "needs at least one step"),
    gates: z
      .strictObject({
        /** The canary's success rate may fall at most this many points below the stable version's. */
        maxSuccessRateDrop: percentageSchema.default(1),
        /** The canary's p99 may be at most this multiple of the stable version's. */
        maxP99Ratio: z.number().min(1).default(1.5),
        /** Below this many requests in a step's window the gate waits instead of judging. */
        minRequests: z.number().int().min(0).default(20),
      })
      .prefault({}),
    autoPromote: z.boolean().default(true),
    autoRollback: z.boolean().default(true),
  })
  .refine((spec) => !sameTags(spec.stable.tags, spec.canary.tags), {
    path: ["canary", "tags"],
    message: "must differ from stable.tags",
    ...onceFieldsAreValid,
  });
export const rolloutSchema = defineKind("Rollout", rolloutSpecSchema);
export type Rollout = z.infer<typeof rolloutSchema>;

function sameTags(a: Tags, b: Tags): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => a[key] === b[key]);
}
