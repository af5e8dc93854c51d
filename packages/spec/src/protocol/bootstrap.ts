import { z } from "zod";
import { nameSchema, portSchema } from "../common.ts";
import { dataplaneSpecSchema } from "../dataplane.ts";
import { DEFAULT_MESH, DEFAULT_NAMESPACE } from "../metadata.ts";
import { snapshotSchema } from "./snapshot.ts";

export const gatewayRouteSchema = z.object({
  /** Host header to match (without port); absent matches any host. */
  host: z.string().optional(),
  pathPrefix: z.string().startsWith("/", "must start with '/'").default("/"),
  /** A service that is also one of this dataplane's outbounds. */
  service: nameSchema,
});

/** What `loom-proxy --bootstrap FILE` reads (YAML or JSON); flags override fields. */
export const bootstrapSchema = z
  .object({
    name: nameSchema,
    mesh: nameSchema.default(DEFAULT_MESH),
    namespace: nameSchema.default(DEFAULT_NAMESPACE),
    dataplane: dataplaneSpecSchema,
    adminPort: portSchema,
    controlPlane: z
      .object({
        url: z.url(),
        /** PEM bundle to trust the control plane's HTTPS certificate. */
        caFile: z.string().optional(),
        /** The dataplane token, inline or from a file (preferred: keeps it out of process listings). */
        token: z.string().optional(),
        tokenFile: z.string().optional(),
      })
      .refine((cp) => cp.token !== undefined || cp.tokenFile !== undefined, "needs token or tokenFile")
      .optional(),
    /** Standalone mode: a full static snapshot instead of a control plane. */
    snapshot: snapshotSchema.optional(),
    /** Standalone mTLS material; under a control plane the proxy makes its own key and asks for a certificate. */
    tls: z.object({ certFile: z.string(), keyFile: z.string(), caFile: z.string() }).optional(),
    gateway: z
      .object({
        port: portSchema,
        /** Serve the public listener over TLS with this certificate (not a mesh certificate). */
        tls: z.object({ certFile: z.string(), keyFile: z.string() }).optional(),
        routes: z.array(gatewayRouteSchema).min(1, "needs at least one route"),
      })
      .optional(),
    tracing: z.object({ otlpUrl: z.url().optional() }).default({}),
    accessLog: z.boolean().default(false),
    /** Bearer token required by the admin port's /tap; absent means tap is refused. */
    tapToken: z.string().optional(),
  })
  .refine((b) => (b.controlPlane === undefined) !== (b.snapshot === undefined), {
    message: "needs exactly one of controlPlane (managed) or snapshot (standalone)",
  });
export type Bootstrap = z.infer<typeof bootstrapSchema>;
