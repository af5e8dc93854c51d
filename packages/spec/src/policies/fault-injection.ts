import { z } from "zod";
import { durationSchema, percentageSchema } from "../common.ts";
import { defineKind } from "../define-kind.ts";
import { callerRefSchema, targetRefSchema } from "../target-ref.ts";

export const faultInjectionSpecSchema = z
  .object({
    targetRef: targetRefSchema,
    from: z.array(z.object({ targetRef: callerRefSchema })).optional(),
    delay: z.object({ percentage: percentageSchema, value: durationSchema }).optional(),
    abort: z
      .object({
        percentage: percentageSchema,
        httpStatus: z.number().int().min(200, "must be an HTTP status").max(599, "must be an HTTP status"),
      })
      .optional(),
  })
  .refine((spec) => spec.delay !== undefined || spec.abort !== undefined, "needs a delay, an abort or both");
export const faultInjectionSchema = defineKind("FaultInjection", faultInjectionSpecSchema);
export type FaultInjection = z.infer<typeof faultInjectionSchema>;
