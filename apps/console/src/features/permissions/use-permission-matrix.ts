import { DEFAULT_MESH, type PermissionAction, permissionDecision, type TrafficPermission } from "@loom/spec";
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/lib/trpc";
import { usePermissionsInForce } from "./use-permissions-in-force";

export interface PermissionCell {
  action: PermissionAction;
  /** The policy whose rule decides, or undefined when the mesh default does. */
  decidedBy: TrafficPermission | undefined;
  /** The deciding rule is narrowed to some methods or paths. */
  narrowed: boolean;
  /** Requests per second seen from source to destination over the last 15 minutes, if any. */
  observedRps: number | undefined;
}

/**
 * Who may call whom in one mesh: rows are callers (registered services and callers seen in traffic), columns
 * the registered services. The policy in force per destination comes from the control plane (policies.inForceByService,
 * its precedence rule); within it the spec's permissionDecision, the proxy's own rule, decides.
 */
export function usePermissionMatrix(mesh: string = DEFAULT_MESH) {
  const trpc = useTRPC();
  const services = useQuery(trpc.services.list.queryOptions({ mesh }));
  const meshes = useQuery(trpc.meshes.list.queryOptions());
  const graph = useQuery({ ...trpc.graph.get.queryOptions({ window: "15m" }), refetchInterval: 15_000 });
  const destinations = (services.data ?? []).map((service) => service.metadata.name).sort();
  const inForce = usePermissionsInForce(mesh, destinations);
  const observed = new Map(
    (graph.data?.edges ?? []).map((edge) => [`${edge.source}->${edge.destination}`, edge.metrics.rps]),
  );
  const sources = [
    ...new Set([...destinations, ...(graph.data?.edges ?? []).map((edge) => edge.source)]),
  ].sort();
  const meshDefault =
    meshes.data?.find((candidate) => candidate.metadata.name === mesh)?.spec.defaultTrafficPermission ??
    "Allow";

  function cell(source: string, destination: string): PermissionCell {
    const policy = inForce.policies.get(destination);
    const { action, rule, narrowed } = permissionDecision(policy, meshDefault, source);
    return {
      action,
      decidedBy: rule ? (policy ?? undefined) : undefined,
      narrowed,
      observedRps: observed.get(`${source}->${destination}`),
    };
  }

  /** The policy in force for a destination, to extend rather than shadow it. */
  function policyFor(destination: string): TrafficPermission | undefined {
    return inForce.policies.get(destination) ?? undefined;
  }

  const error = services.error ?? meshes.error ?? inForce.error;
  return { sources, destinations, meshDefault, cell, policyFor, error, isLoading: services.isLoading };
}
