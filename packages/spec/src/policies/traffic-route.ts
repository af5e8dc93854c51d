import { z } from "zod";
import { httpMethodSchema, nameSchema, onceFieldsAreValid, percentageSchema, tagsSchema } from "../common.ts";
import { defineKind } from "../define-kind.ts";
import { overridesOf } from "../overrides.ts";
import { serviceTargetRefSchema } from "../target-ref.ts";
import { retryConfigSchema } from "./retry.ts";
import { timeoutConfigSchema } from "./timeout.ts";

/** Shaped after Gateway API HTTPRoute (GAMMA) so the vocabulary is familiar. */
export const pathMatchSchema = z.strictObject({
  type: z.enum(["Exact", "PathPrefix", "RegularExpression"]).default("PathPrefix"),
  value: z.string().startsWith("/"),
});

export const headerMatchSchema = z.strictObject({
  type: z.enum(["Exact", "RegularExpression"]).default("Exact"),
  name: z.string().min(1),
  value: z.string(),
});

export const routeMatchSchema = z.strictObject({
  path: pathMatchSchema.optional(),
  method: httpMethodSchema.optional(),
  headers: z.array(headerMatchSchema).default([]),
});
export type RouteMatch = z.infer<typeof routeMatchSchema>;

export const backendRefSchema = z.strictObject({
  /** The destination service; defaults to the route's target service. */
  name: nameSchema.optional(),
  tags: tagsSchema.default({}),
  /** Relative weight: shares are weight / sum of weights; 0 keeps a backend listed but idle. */
  weight: z.number().int().min(0).default(1),
});
export type BackendRef = z.infer<typeof backendRefSchema>;

const headerModifierSchema = z.strictObject({
  set: z.array(z.strictObject({ name: z.string().min(1), value: z.string() })).default([]),
  add: z.array(z.strictObject({ name: z.string().min(1), value: z.string() })).default([]),
  remove: z.array(z.string().min(1)).default([]),
});

export const routeFilterSchema = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("RequestHeaderModifier"), requestHeaderModifier: headerModifierSchema }),
  z.strictObject({ type: z.literal("ResponseHeaderModifier"), responseHeaderModifier: headerModifierSchema }),
  z.strictObject({
    type: z.literal("RequestMirror"),
    requestMirror: z.strictObject({
      backendRef: backendRefSchema.omit({ weight: true }),
      percent: percentageSchema.default(100),
    }),
  }),
]);
export type RouteFilter = z.infer<typeof routeFilterSchema>;

export const routeRuleSchema = z.strictObject({
  /** Empty means "every request". */
  matches: z.array(routeMatchSchema).default([]),
  backendRefs: z
    .array(backendRefSchema)
    .min(1, "needs at least one backend")
    .refine((refs) => refs.some((ref) => ref.weight > 0), {
      message: "at least one backend needs a weight above 0",
      ...onceFieldsAreValid,
    }),
  filters: z.array(routeFilterSchema).default([]),
  /** Overrides the Timeout policy in force for this rule only; absent fields keep that policy's values. */
  timeout: overridesOf(timeoutConfigSchema).optional(),
  /** Overrides the Retry policy in force for this rule only; absent fields keep that policy's values. */
  retry: overridesOf(retryConfigSchema).optional(),
});
export type RouteRule = z.infer<typeof routeRuleSchema>;

export const trafficRouteSpecSchema = z.strictObject({
  targetRef: serviceTargetRefSchema,
  rules: z.array(routeRuleSchema).min(1, "needs at least one rule"),
});
export const trafficRouteSchema = defineKind("TrafficRoute", trafficRouteSpecSchema);
export type TrafficRoute = z.infer<typeof trafficRouteSchema>;
