import { z } from "zod";
import { nameSchema, onceFieldsAreValid, portSchema, protocolSchema, tagsSchema } from "./common.ts";
import { defineKind } from "./define-kind.ts";

export const inboundSchema = z.strictObject({
  /** Where peers' proxies connect (mTLS or plaintext by mesh mode). */
  port: portSchema,
  /** Where the local app listens. */
  appPort: portSchema,
  protocol: protocolSchema.default("http"),
});
export type Inbound = z.infer<typeof inboundSchema>;

export const outboundSchema = z.strictObject({
  service: nameSchema,
  /** The app calls http://127.0.0.1:<port> to reach `service`. */
  port: portSchema,
});
export type Outbound = z.infer<typeof outboundSchema>;

export const dataplaneSpecSchema = z
  .strictObject({
    service: nameSchema,
    tags: tagsSchema.default({}),
    /** Address peers use to reach this instance's inbound port. */
    address: z.string().min(1).default("127.0.0.1"),
    inbound: z.array(inboundSchema).default([]),
    outbounds: z.array(outboundSchema).default([]),
    gateway: z.boolean().default(false),
  })
  .superRefine((spec, ctx) => {
    // The proxy binds every inbound and outbound port itself; a repeated one could never start.
    const listeners = [
      ...spec.inbound.map((inbound, index) => ({ port: inbound.port, path: ["inbound", index, "port"] })),
      ...spec.outbounds.map((outbound, index) => ({
        port: outbound.port,
        path: ["outbounds", index, "port"],
      })),
    ];
    const seen = new Map<number, string>();
    for (const listener of listeners) {
      const owner = seen.get(listener.port);
      if (owner !== undefined)
        ctx.addIssue({
          code: "custom",
          path: listener.path,
          message: `${listener.port} is already used by ${owner}`,
        });
      else seen.set(listener.port, `${listener.path[0]}[${listener.path[1]}]`);
    }
  }, onceFieldsAreValid);
export type DataplaneSpec = z.infer<typeof dataplaneSpecSchema>;
export const dataplaneSchema = defineKind("Dataplane", dataplaneSpecSchema);
export type Dataplane = z.infer<typeof dataplaneSchema>;
