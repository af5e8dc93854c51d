import { z } from "zod";
import { durationSchema, onceFieldsAreValid, percentageSchema } from "../common.ts";
import { defineKind } from "../define-kind.ts";
import { callerRefSchema, targetRefSchema } from "../target-ref.ts";

export const faultInjectionSpecSchema = z
  .object({
    targetRef: targetRefSchema,
    from: z.array(z.strictObject({ targetRef: callerRefSchema })).optional(),
    delay: z.strictObject({ percentage: percentageSchema, value: durationSchema }).optional(),
    abort: z
      .object({
        percentage: percentageSchema,
        httpStatus: z
          .number()
          .int()
          .min(200, "must be an HTTP status (200-599)")
          .max(599, "must be an HTTP status (200-599)"),
      })
      .optional(),
  })
  .refine((spec) => spec.delay !== undefined || spec.abort !== undefined, {
    message: "needs a delay, an abort or both",
    ...onceFieldsAreValid,
  });
export const faultInjectionSchema = defineKind("FaultInjection", faultInjectionSpecSchema);
export type FaultInjection = z.infer<typeof faultInjectionSchema>;
