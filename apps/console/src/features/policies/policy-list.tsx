import type { Policy, TargetRef } from "@loom/spec";
import { keyOf, resourceId } from "@/features/resources/resource-yaml";
import { PolicyStandingBadge } from "./policy-standing-badge";
import type { PolicyStanding } from "./use-precedence";

export function policyPath(policy: Policy): string {
  const { mesh, namespace, name } = policy.metadata;
  return `${mesh}/${namespace}/${name}`;
}

function describeTargetRef(ref: TargetRef): string {
  switch (ref.kind) {
    case "Mesh":
      return "whole mesh";
    case "Service":
      return ref.name;
    case "ServiceSubset":
      return `${ref.name} (${Object.entries(ref.tags)
        .map(([tag, value]) => `${tag}=${value}`)
        .join(", ")})`;
  }
}

export function PolicyList({
  policies,
  standings,
  selected,
  onSelect,
}: {
  policies: readonly Policy[];
  standings: Map<string, PolicyStanding>;
  selected: string | undefined;
  onSelect: (path: string) => void;
}) {
  return (
    <table aria-label="Policies">
      <thead>
        <tr>
          <th>Name</th>
          <th>Target</th>
          <th>Standing</th>
        </tr>
      </thead>
      <tbody>
        {policies.map((policy) => {
          const path = policyPath(policy);
          return (
            <tr key={path} className={path === selected ? "selected" : undefined}>
              <td>
                <button type="button" className="link" onClick={() => onSelect(path)}>
                  {policy.metadata.name}
                </button>
                <div className="muted">
                  {policy.metadata.mesh}/{policy.metadata.namespace}
                </div>
              </td>
              <td>{describeTargetRef(policy.spec.targetRef)}</td>
              <td>
                <PolicyStandingBadge standing={standings.get(resourceId(keyOf(policy)))} />
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
