"use client";

import type { PolicyKind } from "@loom/spec";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { ApiErrorMessage } from "@/features/errors/api-error-message";
import { useTRPC } from "@/lib/trpc";

/** "Which TrafficRoute applies to cart?": the control plane's answer, with what it shadows. */
export function InForceLookup({ kind }: { kind: PolicyKind }) {
  const trpc = useTRPC();
  const services = useQuery(trpc.services.list.queryOptions());
  const [service, setService] = useState("");
  const chosen = services.data?.find((candidate) => candidate.metadata.name === service);
  const answer = useQuery({
    ...trpc.policies.inForce.queryOptions({ kind, mesh: chosen?.metadata.mesh, service }),
    enabled: chosen !== undefined,
  });

  return (
    <section className="card" aria-label="In force for a service">
      <label>
        Which {kind} applies to
        <select value={service} onChange={(event) => setService(event.target.value)}>
          <option value="">choose a service…</option>
          {services.data?.map((candidate) => (
            <option
              key={`${candidate.metadata.mesh}/${candidate.metadata.name}`}
              value={candidate.metadata.name}
            >
              {candidate.metadata.name}
            </option>
          ))}
        </select>
      </label>
      {answer.error && <ApiErrorMessage error={answer.error} action="ask which policy applies" />}
      {answer.data && (
        <p>
          {answer.data.inForce ? (
            <>
              In force: <strong>{answer.data.inForce.metadata.name}</strong>
              {answer.data.shadowed.length > 0 &&
                `; shadowed: ${answer.data.shadowed.map((policy) => policy.metadata.name).join(", ")}`}
            </>
          ) : (
            `No ${kind} applies to ${service}: the defaults do.`
          )}
        </p>
      )}
    </section>
  );
}
