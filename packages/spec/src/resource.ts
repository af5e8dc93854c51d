import { z } from "zod";
import { dataplaneSchema } from "./dataplane.ts";
import { meshSchema } from "./mesh.ts";
import { circuitBreakerSchema } from "./policies/circuit-breaker.ts";
import { faultInjectionSchema } from "./policies/fault-injection.ts";
import { healthCheckSchema } from "./policies/health-check.ts";
import { rateLimitSchema } from "./policies/rate-limit.ts";
import { retrySchema } from "./policies/retry.ts";
import { rolloutSchema } from "./policies/rollout.ts";
import { timeoutSchema } from "./policies/timeout.ts";
import { trafficPermissionSchema } from "./policies/traffic-permission.ts";
import { trafficRouteSchema } from "./policies/traffic-route.ts";
import { serviceSchema } from "./service.ts";

/** One schema per kind; the single table every layer dispatches on. */
export const resourceSchemas = {
  Mesh: meshSchema,
  Service: serviceSchema,
  Dataplane: dataplaneSchema,
  TrafficRoute: trafficRouteSchema,
  TrafficPermission: trafficPermissionSchema,
  RateLimit: rateLimitSchema,
  CircuitBreaker: circuitBreakerSchema,
  FaultInjection: faultInjectionSchema,
  HealthCheck: healthCheckSchema,
  Retry: retrySchema,
  Timeout: timeoutSchema,
  Rollout: rolloutSchema,
} as const;

export type Kind = keyof typeof resourceSchemas;
export const KINDS = Object.keys(resourceSchemas) as Kind[];
export const POLICY_KINDS = KINDS.filter(
  (kind) => !["Mesh", "Service", "Dataplane"].includes(kind),
) as Exclude<Kind, "Mesh" | "Service" | "Dataplane">[];
export type PolicyKind = (typeof POLICY_KINDS)[number];

export type ResourceOf<K extends Kind> = z.infer<(typeof resourceSchemas)[K]>;
export type Resource = { [K in Kind]: ResourceOf<K> }[Kind];
export type Policy = ResourceOf<PolicyKind>;
/** A resource as written, before defaults are filled in. */
export type ResourceInputOf<K extends Kind> = z.input<(typeof resourceSchemas)[K]>;
export type ResourceInput = { [K in Kind]: ResourceInputOf<K> }[Kind];

export const resourceSchema = z.discriminatedUnion("kind", [
  meshSchema,
  serviceSchema,
  dataplaneSchema,
  trafficRouteSchema,
  trafficPermissionSchema,
  rateLimitSchema,
  circuitBreakerSchema,
  faultInjectionSchema,
  healthCheckSchema,
  retrySchema,
  timeoutSchema,
  rolloutSchema,
]);

export function isKind(value: unknown): value is Kind {
  return typeof value === "string" && value in resourceSchemas;
}
