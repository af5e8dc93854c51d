import { z } from "zod";
import { durationSchema } from "../common.ts";
import { defineKind } from "../define-kind.ts";
import { targetRefSchema } from "../target-ref.ts";

/** Active checks the caller's proxy sends to each endpoint of the target. */
export const healthCheckSpecSchema = z.strictObject({
  targetRef: targetRefSchema,
  interval: durationSchema.default("10s"),
  timeout: durationSchema.default("2s"),
  unhealthyThreshold: z.number().int().min(1).default(3),
  healthyThreshold: z.number().int().min(1).default(1),
  /** HTTP path to GET; absent means a TCP connect check. */
  path: z.string().startsWith("/").optional(),
});
export const healthCheckSchema = defineKind("HealthCheck", healthCheckSpecSchema);
export type HealthCheck = z.infer<typeof healthCheckSchema>;
