import type { Policy, PolicyKind, PolicyTarget } from "@loom/spec";
import { useQueries, useQuery } from "@tanstack/react-query";
import { keyOf, resourceId } from "@/features/resources/resource-yaml";
import { useTRPC } from "@/lib/trpc";

export interface PolicyStanding {
  /** Targets (service, or service subset) where this policy is the one that applies. */
  inForceFor: string[];
  /** Targets where another policy wins, with the winner's name. */
  shadowedFor: { target: string; by: string }[];
}

interface MeshTarget extends PolicyTarget {
  mesh: string;
}

function describeTarget(target: PolicyTarget): string {
  const tags = Object.entries(target.tags ?? {}).map(([tag, value]) => `${tag}=${value}`);
  return tags.length === 0 ? target.service : `${target.service} (${tags.join(", ")})`;
}

/** The targets a policy of this kind can concern: each service a Mesh-wide one reaches, or its own target. */
function targetsOf(policy: Policy, servicesByMesh: Map<string, string[]>): MeshTarget[] {
  const { mesh } = policy.metadata;
  const ref = policy.spec.targetRef;
  switch (ref.kind) {
    case "Mesh":
      return (servicesByMesh.get(mesh) ?? []).map((service) => ({ mesh, service }));
    case "Service":
      return [{ mesh, service: ref.name }];
    case "ServiceSubset":
      return [{ mesh, service: ref.name, tags: ref.tags }];
  }
}

/**
 * Which policy of `kind` is in force where, as the control plane decides it (policies.inForce, the same
 * precedence rule its config builder and the proxies use), for every target the listed policies select.
 */
export function usePrecedence(kind: PolicyKind, policies: readonly Policy[]): Map<string, PolicyStanding> {
  const trpc = useTRPC();
  const services = useQuery(trpc.services.list.queryOptions());
  const servicesByMesh = new Map<string, string[]>();
  for (const service of services.data ?? [])
    servicesByMesh.set(service.metadata.mesh, [
      ...(servicesByMesh.get(service.metadata.mesh) ?? []),
      service.metadata.name,
    ]);

  const targets = new Map<string, MeshTarget>();
  for (const policy of policies)
    for (const target of targetsOf(policy, servicesByMesh))
      targets.set(`${target.mesh}/${describeTarget(target)}`, target);

  const answers = useQueries({
    queries: [...targets.values()].map((target) => trpc.policies.inForce.queryOptions({ kind, ...target })),
  });

  const standings = new Map<string, PolicyStanding>(
    policies.map((policy) => [resourceId(keyOf(policy)), { inForceFor: [], shadowedFor: [] }]),
  );
  [...targets.values()].forEach((target, index) => {
    const answer = answers[index]?.data;
    if (!answer?.inForce) return;
    const where = describeTarget(target);
    standings.get(resourceId(keyOf(answer.inForce)))?.inForceFor.push(where);
    for (const shadowed of answer.shadowed)
      standings
        .get(resourceId(keyOf(shadowed)))
        ?.shadowedFor.push({ target: where, by: answer.inForce.metadata.name });
  });
  return standings;
}
