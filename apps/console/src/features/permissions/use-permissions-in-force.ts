import type { TrafficPermission } from "@loom/spec";
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/lib/trpc";

/**
 * The TrafficPermission in force for each of `services` (null where none is), decided by the control plane's
 * precedence rule, in one query for all of them. While a changed list of services loads, the previous answer stays.
 */
export function usePermissionsInForce(mesh: string, services: readonly string[]) {
  const trpc = useTRPC();
  const answer = useQuery(
    trpc.policies.inForceByService.queryOptions(
      { kind: "TrafficPermission", mesh, services: [...services] },
      { enabled: services.length > 0, placeholderData: (previous) => previous },
    ),
  );
  const policies = new Map(
    Object.entries(answer.data ?? {}).map(([service, policy]) => [
      service,
      policy as TrafficPermission | null,
    ]),
  );
  return { policies, error: answer.error };
}
