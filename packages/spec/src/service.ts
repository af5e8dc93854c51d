import { z } from "zod";
import { portSchema, protocolSchema } from "./common.ts";
import { defineKind } from "./define-kind.ts";

export const servicePortSchema = z.object({
  name: z.string().optional(),
  port: portSchema,
  protocol: protocolSchema.default("http"),
});

export const serviceSpecSchema = z.object({
  ports: z
    .array(servicePortSchema)
    .min(1, "needs at least one port")
    .refine((ports) => new Set(ports.map((p) => p.port)).size === ports.length, "ports must be unique"),
});
export const serviceSchema = defineKind("Service", serviceSpecSchema);
export type Service = z.infer<typeof serviceSchema>;
