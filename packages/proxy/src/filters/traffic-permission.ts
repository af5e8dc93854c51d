import { decidingPermissionRule, type InboundSnapshot, type PermissionAction } from "@loom/spec";
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
    const rule = this.policy && decidingPermissionRule(this.policy.spec.from, source, { method, path });
    if (rule) return rule.action === "Allow" ? undefined : this.denied;
    return this.meshDefault === "Allow" ? undefined : this.deniedByDefault;
  }
}
