import { z } from "zod";
import { httpMethodSchema } from "../common.ts";
import { defineKind } from "../define-kind.ts";
import { UNKNOWN_SOURCE } from "../protocol/metrics.ts";
import { type CallerRef, callerRefSchema, targetRefSchema } from "../target-ref.ts";

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

/** Whether a `from` entry names this caller: the service in its SPIFFE ID, or the whole mesh ("unknown" is no service). */
export function callerMatches(ref: CallerRef, source: string): boolean {
  return ref.kind === "Mesh" || (source !== UNKNOWN_SOURCE && ref.name === source);
}

/**
 * The rule that decides for a caller: the first one naming it (and, when the request is known, matching its
 * method and path). The proxy's filter, the control plane's what-if and the console's matrix all ask this, so
 * they cannot disagree about who may call whom.
 */
export function decidingPermissionRule(
  rules: readonly PermissionRule[],
  source: string,
  request?: { method: string; path: string },
): PermissionRule | undefined {
  return rules.find(
    (rule) =>
      callerMatches(rule.targetRef, source) && (request === undefined || requestMatches(rule, request)),
  );
}

function requestMatches(rule: PermissionRule, { method, path }: { method: string; path: string }): boolean {
  const match = rule.match;
  if (!match) return true;
  if (match.methods.length > 0 && !match.methods.includes(method as (typeof match.methods)[number]))
    return false;
  return match.paths.length === 0 || match.paths.some((prefix) => path.startsWith(prefix));
}

export interface PermissionDecision {
  action: PermissionAction;
  /** The rule that decided, or undefined when the mesh default did. */
  rule: PermissionRule | undefined;
  /** The deciding rule matches only some methods or paths (a decision per caller cannot say which requests). */
  narrowed: boolean;
}

/** Allow or deny for a caller under the policy in force for the callee (none: the mesh default decides). */
export function permissionDecision(
  policy: Pick<TrafficPermission, "spec"> | undefined | null,
  meshDefault: PermissionAction,
  source: string,
  request?: { method: string; path: string },
): PermissionDecision {
  const rule = policy ? decidingPermissionRule(policy.spec.from, source, request) : undefined;
  if (rule === undefined) return { action: meshDefault, rule: undefined, narrowed: false };
  const narrowed = (rule.match?.methods.length ?? 0) > 0 || (rule.match?.paths.length ?? 0) > 0;
  return { action: rule.action, rule, narrowed };
}
