import { z } from "zod";
import { nameSchema, portSchema, protocolSchema, tagsSchema } from "../common.ts";
import { meshSpecSchema } from "../mesh.ts";
import { circuitBreakerSpecSchema } from "../policies/circuit-breaker.ts";
import { faultInjectionSpecSchema } from "../policies/fault-injection.ts";
import { healthCheckSpecSchema } from "../policies/health-check.ts";
import { rateLimitSpecSchema } from "../policies/rate-limit.ts";
import { retryConfigSchema } from "../policies/retry.ts";
import { timeoutConfigSchema } from "../policies/timeout.ts";
import { trafficPermissionSpecSchema } from "../policies/traffic-permission.ts";
import { routeRuleSchema } from "../policies/traffic-route.ts";

/** Bumped only for changes an older proxy cannot apply; a proxy NACKs a formatVersion it does not know. */
export const SNAPSHOT_FORMAT_VERSION = 1;

/**
 * A policy as it reaches a proxy: already chosen by precedence, with its name kept for errors and metrics.
 * Its spec is the strict resource schema, so a policy field an older proxy does not know makes it NACK rather
 * than silently ignore what it cannot enforce.
 */
function applied<S extends z.ZodType>(spec: S) {
  return z.object({ name: nameSchema, spec });
}

export const endpointSchema = z.object({
  service: nameSchema,
  /** The dataplane this endpoint is, so ejections and tap can name it. */
  dataplane: z.string(),
  address: z.string().min(1),
  port: portSchema,
  tags: tagsSchema,
  /** The SPIFFE ID the peer's certificate must carry. */
  identity: z.string(),
  healthy: z.boolean(),
});
export type Endpoint = z.infer<typeof endpointSchema>;

export const outboundSnapshotSchema = z.object({
  service: nameSchema,
  port: portSchema,
  protocol: protocolSchema,
  /** The TrafficRoute in force, if any; without one every request goes to all endpoints of `service`. */
  route: z.object({ name: nameSchema, rules: z.array(routeRuleSchema) }).optional(),
  timeout: applied(timeoutConfigSchema).optional(),
  retry: applied(retryConfigSchema).optional(),
  circuitBreaker: applied(circuitBreakerSpecSchema).optional(),
  healthCheck: applied(healthCheckSpecSchema).optional(),
  /** Endpoints of `service` and of every other service the route's backends or mirrors name. */
  endpoints: z.array(endpointSchema),
});
export type OutboundSnapshot = z.infer<typeof outboundSnapshotSchema>;

export const inboundSnapshotSchema = z.object({
  trafficPermission: applied(trafficPermissionSpecSchema).optional(),
  rateLimit: applied(rateLimitSpecSchema).optional(),
  faultInjection: applied(faultInjectionSpecSchema).optional(),
});
export type InboundSnapshot = z.infer<typeof inboundSnapshotSchema>;

export const snapshotSchema = z.object({
  formatVersion: z.number().int(),
  /** Changes whenever anything in this proxy's snapshot changes; the proxy ACKs it after applying. */
  version: z.string().min(1),
  dataplane: z.object({
    name: nameSchema,
    mesh: nameSchema,
    namespace: nameSchema,
    service: nameSchema,
    tags: tagsSchema,
  }),
  mesh: z.object({
    name: nameSchema,
    spec: meshSpecSchema,
    /** PEM roots that peers' certificates must chain to; empty when mTLS is off. */
    trustBundle: z.string(),
  }),
  inbound: inboundSnapshotSchema,
  outbounds: z.array(outboundSnapshotSchema),
});
export type Snapshot = z.infer<typeof snapshotSchema>;
/** A snapshot as the control plane builds it, before defaults are filled in. */
export type SnapshotInput = z.input<typeof snapshotSchema>;

/**
 * An outbound as the snapshot stream carries it to a proxy that asked for endpoint reuse: its endpoints are
 * named by digest, and the list itself is left out when the previous snapshot on the same stream carried that
 * digest. A policy write then costs a thousand proxies a few hundred bytes each, not their endpoint lists.
 */
export const streamedOutboundSchema = outboundSnapshotSchema
  .extend({ endpoints: z.array(endpointSchema).optional(), endpointsDigest: z.string().min(1).optional() })
  .refine((outbound) => outbound.endpoints !== undefined || outbound.endpointsDigest !== undefined, {
    message: "an outbound needs its endpoints or the digest of endpoints sent before",
    path: ["endpoints"],
  });
export type StreamedOutbound = z.infer<typeof streamedOutboundSchema>;

export const streamedSnapshotSchema = snapshotSchema.extend({ outbounds: z.array(streamedOutboundSchema) });
export type StreamedSnapshot = z.infer<typeof streamedSnapshotSchema>;
