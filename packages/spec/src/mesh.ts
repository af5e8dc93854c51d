import { z } from "zod";
import { defineKind } from "./define-kind.ts";
import { permissionActionSchema } from "./policies/traffic-permission.ts";

export const mtlsModeSchema = z.enum(["off", "permissive", "strict"]);
export type MtlsMode = z.infer<typeof mtlsModeSchema>;

export const meshSpecSchema = z.strictObject({
  mtls: z
    .strictObject({
      /** permissive accepts plaintext and mTLS (the migration step); strict refuses plaintext. */
      mode: mtlsModeSchema.default("permissive"),
      trustDomain: z
        .string()
        .regex(/^[a-z0-9.-]+$/, "must be a DNS-like name such as loom.local")
        .default("loom.local"),
    })
    .prefault({}),
  /** What happens to a call that no TrafficPermission rule matches. */
  defaultTrafficPermission: permissionActionSchema.default("Allow"),
  tracing: z
    .strictObject({
      samplingRate: z
        .number()
        .min(0, "must be between 0 and 1")
        .max(1, "must be between 0 and 1")
        .default(0.1),
    })
    .prefault({}),
});
export const meshSchema = defineKind("Mesh", meshSpecSchema);
export type Mesh = z.infer<typeof meshSchema>;
