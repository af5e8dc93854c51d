import { z } from "zod";
import { nameSchema, portSchema, protocolSchema, tagsSchema } from "./common.ts";
import { defineKind } from "./define-kind.ts";

export const inboundSchema = z.object({
  /** Where peers' proxies connect (mTLS or plaintext by mesh mode). */
  port: portSchema,
  /** Where the local app listens. */
  appPort: portSchema,
  protocol: protocolSchema.default("http"),
});
export type Inbound = z.infer<typeof inboundSchema>;

export const outboundSchema = z.object({
  service: nameSchema,
  /** The app calls http://127.0.0.1:<port> to reach `service`. */
  port: portSchema,
});
export type Outbound = z.infer<typeof outboundSchema>;

export const dataplaneSpecSchema = z.object({
  service: nameSchema,
  tags: tagsSchema.default({}),
  /** Address peers use to reach this instance's inbound port. */
  address: z.string().min(1, "must not be empty").default("127.0.0.1"),
  inbound: z.array(inboundSchema).default([]),
  outbounds: z.array(outboundSchema).default([]),
  gateway: z.boolean().default(false),
});
export type DataplaneSpec = z.infer<typeof dataplaneSpecSchema>;
export const dataplaneSchema = defineKind("Dataplane", dataplaneSpecSchema);
export type Dataplane = z.infer<typeof dataplaneSchema>;
