import { DEFAULT_MESH, permissionDecision } from "@loom/spec";
import { useQuery } from "@tanstack/react-query";
import { useMemo } from "react";
import { useTRPC } from "@/lib/trpc";
import { usePermissionsInForce } from "../permissions/use-permissions-in-force";
import { edgeId } from "./graph-elements";
import type { GraphEdge } from "./use-service-graph";

/**
 * The edges whose calls the TrafficPermission in force for the callee refuses (or the mesh default does), as
 * the callee's proxy decides: the spec's permissionDecision on the control plane's policy in force. A rule
 * narrowed to some methods or paths refuses only some calls, so it does not mark the edge. Policy changes
 * reach these queries through the console's live updates.
 */
export function useDeniedEdges(
  edges: readonly GraphEdge[] | undefined,
  mesh = DEFAULT_MESH,
): ReadonlySet<string> {
  const trpc = useTRPC();
  const meshes = useQuery(trpc.meshes.list.queryOptions());
  const destinations = [...new Set((edges ?? []).map((edge) => edge.destination))].sort();
  const { policies } = usePermissionsInForce(mesh, destinations);
  const meshDefault =
    meshes.data?.find((candidate) => candidate.metadata.name === mesh)?.spec.defaultTrafficPermission ??
    "Allow";
  const denied = (edges ?? [])
    .filter((edge) => {
      const decision = permissionDecision(policies.get(edge.destination), meshDefault, edge.source);
      return decision.action === "Deny" && !decision.narrowed;
    })
    .map(edgeId)
    .sort();
  // A new set only when the answer changes: the canvas restyles on a new one.
  const key = denied.join("\n");
  // biome-ignore lint/correctness/useExhaustiveDependencies: key is the content of denied
  return useMemo(() => new Set(denied), [key]);
}
