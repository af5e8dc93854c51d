"use client";

import { POLICY_KINDS } from "@loom/spec";
import { useQueries } from "@tanstack/react-query";
import Link from "next/link";
import { useTRPC } from "@/lib/trpc";

/** For each policy kind, the one in force for this service (as the control plane decides it) and what it shadows. */
export function ServicePolicies({ service, mesh }: { service: string; mesh: string }) {
  const trpc = useTRPC();
  const answers = useQueries({
    queries: POLICY_KINDS.map((kind) => trpc.policies.inForce.queryOptions({ kind, mesh, service })),
  });
  const rows = POLICY_KINDS.flatMap((kind, index) => {
    const answer = answers[index]?.data;
    return answer?.inForce ? [{ kind, inForce: answer.inForce, shadowed: answer.shadowed }] : [];
  });
  if (rows.length === 0) return <p className="muted">No policy applies to {service}: the defaults do.</p>;
  return (
    <table aria-label="Policies in force">
      <thead>
        <tr>
          <th>Kind</th>
          <th>In force</th>
          <th>Shadowed</th>
        </tr>
      </thead>
      <tbody>
        {rows.map(({ kind, inForce, shadowed }) => {
          const { mesh: policyMesh, namespace, name } = inForce.metadata;
          return (
            <tr key={kind}>
              <td>{kind}</td>
              <td>
                <Link href={`/policies?kind=${kind}&policy=${policyMesh}/${namespace}/${name}`}>{name}</Link>
              </td>
              <td>{shadowed.map((policy) => policy.metadata.name).join(", ") || "—"}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
