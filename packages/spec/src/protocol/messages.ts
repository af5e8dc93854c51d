import { z } from "zod";
import { nameSchema } from "../common.ts";
import { dataplaneSpecSchema } from "../dataplane.ts";
import { DEFAULT_MESH, DEFAULT_NAMESPACE } from "../metadata.ts";

/** HTTPS paths of the data-plane API on the control plane. The dataplane token rides in `Authorization: Bearer`. */
export const DATAPLANE_API = {
  register: "/dp/v1/register",
  /** GET, server-sent events: `event: snapshot` with a Snapshot as data; `: keepalive` comments every 15 s. */
  stream: "/dp/v1/stream",
  ack: "/dp/v1/ack",
  csr: "/dp/v1/csr",
} as const;

export const registerRequestSchema = z.object({
  name: nameSchema,
  mesh: nameSchema.default(DEFAULT_MESH),
  namespace: nameSchema.default(DEFAULT_NAMESPACE),
  spec: dataplaneSpecSchema,
  /** Where the telemetry hub scrapes /metrics. */
  adminPort: z.number().int().min(1).max(65535),
});
export type RegisterRequest = z.infer<typeof registerRequestSchema>;

export const registerResponseSchema = z.object({
  dataplaneId: z.string(),
  heartbeatIntervalMs: z.number().int().positive(),
});
export type RegisterResponse = z.infer<typeof registerResponseSchema>;

/** Query of the stream request: resuming from the last acked version avoids a needless re-apply. */
export const streamQuerySchema = z.object({ dataplaneId: z.string(), lastVersion: z.string().optional() });

export const ackRequestSchema = z.discriminatedUnion("ok", [
  z.object({ dataplaneId: z.string(), version: z.string(), ok: z.literal(true) }),
  /** A NACK: the proxy keeps its previous snapshot and says why. */
  z.object({ dataplaneId: z.string(), version: z.string(), ok: z.literal(false), error: z.string().min(1) }),
]);
export type AckRequest = z.infer<typeof ackRequestSchema>;

export const csrRequestSchema = z.object({
  dataplaneId: z.string(),
  csrPem: z.string().includes("CERTIFICATE REQUEST"),
});
export type CsrRequest = z.infer<typeof csrRequestSchema>;

export const csrResponseSchema = z.object({
  /** Leaf first, then intermediates. */
  certificateChainPem: z.string(),
  trustBundlePem: z.string(),
  notAfter: z.iso.datetime(),
});
export type CsrResponse = z.infer<typeof csrResponseSchema>;

/** Every data-plane API error is `{ error }` with a 4xx/5xx status. */
export const apiErrorSchema = z.object({ error: z.string() });
