import { z } from "zod";
import { httpMethodSchema } from "../common.ts";
import { defineKind } from "../define-kind.ts";
import { callerRefSchema, targetRefSchema } from "../target-ref.ts";

export const permissionActionSchema = z.enum(["Allow", "Deny"]);
export type PermissionAction = z.infer<typeof permissionActionSchema>;

export const permissionRuleSchema = z.strictObject({
  /** Who calls, identified by the SPIFFE identity in their certificate. */
  targetRef: callerRefSchema,
  action: permissionActionSchema,
  /** Narrows the rule to some requests; absent means every request from that caller. */
  match: z
    .object({
      methods: z.array(httpMethodSchema).default([]),
      /** Path prefixes. */
      paths: z.array(z.string().startsWith("/")).default([]),
    })
    .optional(),
});
export type PermissionRule = z.infer<typeof permissionRuleSchema>;

export const trafficPermissionSpecSchema = z.strictObject({
  targetRef: targetRefSchema,
  from: z.array(permissionRuleSchema).min(1, "needs at least one rule"),
});
export const trafficPermissionSchema = defineKind("TrafficPermission", trafficPermissionSpecSchema);
export type TrafficPermission = z.infer<typeof trafficPermissionSchema>;
