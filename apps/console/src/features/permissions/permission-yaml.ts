import {
  DEFAULT_NAMESPACE,
  type PermissionAction,
  type PermissionRule,
  type TrafficPermission,
} from "@loom/spec";
import { editableYaml } from "@/features/resources/resource-yaml";

export interface PermissionChange {
  mesh: string;
  source: string;
  destination: string;
  action: PermissionAction;
  methods: NonNullable<PermissionRule["match"]>["methods"];
  paths: string[];
}

/**
 * The TrafficPermission that makes `change` true: the destination's own policy with the caller's rule put
 * first (a rule of its own replaces its old one), or a new policy for the destination when none targets it
 * by name (a mesh-wide one is left alone, and the new one outranks it for this service).
 */
export function permissionYaml(change: PermissionChange, current: TrafficPermission | undefined): string {
  const rule: PermissionRule = {
    targetRef: { kind: "Service", name: change.source },
    action: change.action,
    ...((change.methods.length > 0 || change.paths.length > 0) && {
      match: { methods: change.methods, paths: change.paths },
    }),
  };
  const ownPolicy =
    current?.spec.targetRef.kind === "Service" && current.spec.targetRef.name === change.destination
      ? current
      : undefined;
  const others = (ownPolicy?.spec.from ?? []).filter(
    (existing) => !(existing.targetRef.kind === "Service" && existing.targetRef.name === change.source),
  );
  const policy: TrafficPermission = ownPolicy
    ? { ...ownPolicy, spec: { ...ownPolicy.spec, from: [rule, ...others] } }
    : {
        kind: "TrafficPermission",
        metadata: {
          name: `${change.destination}-permissions`,
          mesh: change.mesh,
          namespace: DEFAULT_NAMESPACE,
          labels: {},
        },
        spec: { targetRef: { kind: "Service", name: change.destination }, from: [rule] },
      };
  return editableYaml(policy);
}
