import { z } from "zod";
import { durationSchema, percentageSchema } from "../common.ts";
import { defineKind } from "../define-kind.ts";
import { targetRefSchema } from "../target-ref.ts";

const countSchema = z.number().int().min(1);

export const outlierDetectionSchema = z.strictObject({
  consecutive5xx: countSchema.default(5),
  consecutiveGatewayErrors: countSchema.default(3),
  interval: durationSchema.default("10s"),
  /** Ejection time = base × number of times this endpoint was ejected, so flapping endpoints stay out longer. */
  baseEjectionTime: durationSchema.default("30s"),
  /** Never eject more than this share of endpoints, so a bad deploy cannot empty the pool. */
  maxEjectionPercent: percentageSchema.default(50),
});
export type OutlierDetection = z.infer<typeof outlierDetectionSchema>;

export const circuitBreakerSpecSchema = z.strictObject({
  targetRef: targetRefSchema,
  maxConnections: countSchema.default(1024),
  maxPendingRequests: countSchema.default(1024),
  maxRequests: countSchema.default(1024),
  outlierDetection: outlierDetectionSchema.optional(),
});
export const circuitBreakerSchema = defineKind("CircuitBreaker", circuitBreakerSpecSchema);
export type CircuitBreaker = z.infer<typeof circuitBreakerSchema>;
