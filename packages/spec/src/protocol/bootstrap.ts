import { z } from "zod";
import { nameSchema, portSchema } from "../common.ts";
import { dataplaneSpecSchema } from "../dataplane.ts";
import { identityFieldsSchema } from "../metadata.ts";
import { snapshotSchema } from "./snapshot.ts";

const httpUrlSchema = z.url({
  protocol: /^https?$/,
  error: "must be an http(s) URL such as https://host:port",
});

export const gatewayRouteSchema = z.strictObject({
  /** Host header to match (without port); absent matches any host. */
  host: z.string().optional(),
  pathPrefix: z.string().startsWith("/").default("/"),
  /** A service that is also one of this dataplane's outbounds. */
  service: nameSchema,
});

/**
 * What `loom-proxy --bootstrap FILE` reads (YAML or JSON); flags override fields. An operator writes it by
 * hand, so it is strict like resources: a misspelt field is an error rather than silently ignored.
 */
export const bootstrapSchema = z
  .strictObject({
    ...identityFieldsSchema.shape,
    dataplane: dataplaneSpecSchema,
    adminPort: portSchema,
    controlPlane: z
      .strictObject({
        url: httpUrlSchema,
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
    tls: z.strictObject({ certFile: z.string(), keyFile: z.string(), caFile: z.string() }).optional(),
    gateway: z
      .strictObject({
        port: portSchema,
        /** Serve the public listener over TLS with this certificate (not a mesh certificate). */
        tls: z.strictObject({ certFile: z.string(), keyFile: z.string() }).optional(),
        routes: z.array(gatewayRouteSchema).min(1, "needs at least one route"),
      })
      .optional(),
    tracing: z
      .strictObject({
        otlpUrl: httpUrlSchema.optional(),
        /**
         * Send the dataplane token (Authorization: Bearer) with spans, as loom-cp's /v1/traces asks for. By
         * default only when otlpUrl is on the control plane's host, so an outside collector never gets it.
         */
        sendToken: z.boolean().optional(),
      })
      .prefault({}),
    accessLog: z.boolean().default(false),
    /** Bearer token required by the admin port's /tap; absent means tap is refused. */
    tapToken: z.string().optional(),
  })
  .superRefine((bootstrap, ctx) => {
    if (bootstrap.controlPlane !== undefined && bootstrap.snapshot !== undefined)
      ctx.addIssue({
        code: "custom",
        path: ["snapshot"],
        message: "cannot be combined with controlPlane: a proxy is either managed or standalone",
      });
    if (bootstrap.controlPlane === undefined && bootstrap.snapshot === undefined)
      ctx.addIssue({
        code: "custom",
        path: [],
        message: "needs controlPlane (managed by a control plane) or snapshot (standalone)",
      });
  });
export type Bootstrap = z.infer<typeof bootstrapSchema>;
export type BootstrapInput = z.input<typeof bootstrapSchema>;
