import { z } from "zod";
import { httpMethodSchema, nameSchema, percentageSchema, tagsSchema } from "../common.ts";
import { defineKind } from "../define-kind.ts";
import { serviceTargetRefSchema } from "../target-ref.ts";
import { retryConfigSchema } from "./retry.ts";
import { timeoutConfigSchema } from "./timeout.ts";

/** Shaped after Gateway API HTTPRoute (GAMMA) so the vocabulary is familiar. */
export const pathMatchSchema = z.object({
  type: z.enum(["Exact", "PathPrefix", "RegularExpression"]).default("PathPrefix"),
  value: z.string().startsWith("/", "must start with '/'"),
});

export const headerMatchSchema = z.object({
  type: z.enum(["Exact", "RegularExpression"]).default("Exact"),
  name: z.string().min(1, "must not be empty"),
  value: z.string(),
});

export const routeMatchSchema = z.object({
  path: pathMatchSchema.optional(),
  method: httpMethodSchema.optional(),
  headers: z.array(headerMatchSchema).default([]),
});
export type RouteMatch = z.infer<typeof routeMatchSchema>;

export const backendRefSchema = z.object({
  /** The destination service; defaults to the route's target service. */
  name: nameSchema.optional(),
  tags: tagsSchema.default({}),
  /** Relative weight: shares are weight / sum of weights; 0 keeps a backend listed but idle. */
  weight: z.number().int("must be an integer").min(0, "must not be negative").default(1),
});
export type BackendRef = z.infer<typeof backendRefSchema>;

const headerModifierSchema = z.object({
  set: z.array(z.object({ name: z.string().min(1), value: z.string() })).default([]),
  add: z.array(z.object({ name: z.string().min(1), value: z.string() })).default([]),
  remove: z.array(z.string().min(1)).default([]),
});

export const routeFilterSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("RequestHeaderModifier"), requestHeaderModifier: headerModifierSchema }),
  z.object({ type: z.literal("ResponseHeaderModifier"), responseHeaderModifier: headerModifierSchema }),
  z.object({
    type: z.literal("RequestMirror"),
    requestMirror: z.object({
      backendRef: backendRefSchema.omit({ weight: true }),
      percent: percentageSchema.default(100),
    }),
  }),
]);
export type RouteFilter = z.infer<typeof routeFilterSchema>;

export const routeRuleSchema = z.object({
  /** Empty means "every request". */
  matches: z.array(routeMatchSchema).default([]),
  backendRefs: z
    .array(backendRefSchema)
    .min(1, "needs at least one backend")
    .refine((refs) => refs.some((ref) => ref.weight > 0), "at least one backend needs a weight above 0"),
  filters: z.array(routeFilterSchema).default([]),
  timeout: timeoutConfigSchema.partial().optional(),
  retry: retryConfigSchema.partial().optional(),
});
export type RouteRule = z.infer<typeof routeRuleSchema>;

export const trafficRouteSpecSchema = z.object({
  targetRef: serviceTargetRefSchema,
  rules: z.array(routeRuleSchema).min(1, "needs at least one rule"),
});
export const trafficRouteSchema = defineKind("TrafficRoute", trafficRouteSpecSchema);
export type TrafficRoute = z.infer<typeof trafficRouteSchema>;
