import { z } from "zod";
import { portSchema } from "../common.ts";
import { dataplaneSpecSchema } from "../dataplane.ts";
import { identityFieldsSchema } from "../metadata.ts";

/** HTTPS paths of the data-plane API on the control plane. The dataplane token rides in `Authorization: Bearer`. */
export const DATAPLANE_API = {
  register: "/dp/v1/register",
  /** GET, server-sent events: `event: snapshot` with a Snapshot as data; `: keepalive` comments every 15 s. */
  stream: "/dp/v1/stream",
  ack: "/dp/v1/ack",
  csr: "/dp/v1/csr",
} as const;

/**
 * Protocol messages are plain (not strict) objects: a newer control plane may add fields an older proxy can
 * ignore. What an older proxy cannot apply bumps SNAPSHOT_FORMAT_VERSION instead.
 */
export const registerRequestSchema = z.object({
  ...identityFieldsSchema.shape,
  spec: dataplaneSpecSchema,
  /** Where the telemetry hub scrapes /metrics. */
  adminPort: portSchema,
});
export type RegisterRequest = z.infer<typeof registerRequestSchema>;

export const registerResponseSchema = z.object({
  dataplaneId: z.string(),
  heartbeatIntervalMs: z.number().int().positive(),
  /** The admin /tap bearer token the control plane derives for this proxy (used when the bootstrap sets none). */
  tapToken: z.string().optional(),
});
export type RegisterResponse = z.infer<typeof registerResponseSchema>;

/**
 * Query of the stream request: resuming from the last acked version avoids a needless re-apply; a proxy that
 * sends `endpointReuse=1` understands outbounds whose endpoints are named by digest (streamedSnapshotSchema).
 */
export const streamQuerySchema = z.object({
  dataplaneId: z.string(),
  lastVersion: z.string().optional(),
  endpointReuse: z.literal("1").optional(),
});

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
