import { type CallerRef, type PermissionAction, type TrafficPermission, UNKNOWN_SOURCE } from "@loom/spec";

export interface PermissionDecision {
  action: PermissionAction;
  /** The deciding rule matches only some methods or paths: metrics cannot tell which requests those are. */
  narrowed: boolean;
}

/**
 * What the inbound proxy decides for a caller, as its TrafficPermission filter does: the first rule naming the
 * caller decides, else the mesh default. Written again here because the proxy does not export its filter;
 * method and path are unknown to metrics, so a rule narrowed by them is reported as such.
 */
export function permissionDecision(
  policy: TrafficPermission | undefined,
  meshDefault: PermissionAction,
  source: string,
): PermissionDecision {
  const rule = policy?.spec.from.find((candidate) => callerMatches(candidate.targetRef, source));
  if (rule === undefined) return { action: meshDefault, narrowed: false };
  const narrowed = (rule.match?.methods.length ?? 0) > 0 || (rule.match?.paths.length ?? 0) > 0;
  return { action: rule.action, narrowed };
}

function callerMatches(ref: CallerRef, source: string): boolean {
  return ref.kind === "Mesh" || (source !== UNKNOWN_SOURCE && ref.name === source);
}
