import type { InboundSnapshot, PermissionAction, PermissionRule } from "@loom/spec";
import { callerMatches } from "./caller.ts";
import { type Rejection, reject } from "./rejection.ts";

type AppliedPermission = NonNullable<InboundSnapshot["trafficPermission"]>;

/** Authorization: the first rule of the policy in force that matches the caller and request decides, else the mesh default. */
export class TrafficPermissionFilter {
  private readonly denied: Rejection;
  private readonly deniedByDefault: Rejection;

  constructor(
    private readonly policy: AppliedPermission | undefined,
    meshName: string,
    private readonly meshDefault: PermissionAction,
  ) {
    this.denied = reject(403, `denied by TrafficPermission ${policy?.name}\n`);
    this.deniedByDefault = reject(403, `denied by the default TrafficPermission of mesh ${meshName}\n`);
  }

  check(source: string, method: string, path: string): Rejection | undefined {
    const rule = this.policy?.spec.from.find((candidate) => ruleMatches(candidate, source, method, path));
    if (rule) return rule.action === "Allow" ? undefined : this.denied;
    return this.meshDefault === "Allow" ? undefined : this.deniedByDefault;
  }
}

function ruleMatches(rule: PermissionRule, source: string, method: string, path: string): boolean {
  if (!callerMatches(rule.targetRef, source)) return false;
  const match = rule.match;
  if (!match) return true;
  if (match.methods.length > 0 && !match.methods.includes(method as (typeof match.methods)[number]))
    return false;
  return match.paths.length === 0 || match.paths.some((prefix) => path.startsWith(prefix));
}
