"use client";

import { type Mesh, withDefaults } from "@loom/spec";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { AppliedResults } from "@/features/resources/applied-results";
import { type ApplyResult, ApplyYamlPanel } from "@/features/resources/apply-yaml-panel";
import { editableYaml } from "@/features/resources/resource-yaml";
import { useTRPC } from "@/lib/trpc";

/**
 * Permissive → strict, the last step of an mTLS migration: first what strict would refuse (edges still seen in
 * plaintext, proxies without a certificate), then the Mesh change through the YAML panel with its what-if.
 */
export function StrictMtlsSwitch({
  mesh,
  proxiesWithoutCertificate,
}: {
  mesh: string;
  proxiesWithoutCertificate: string[];
}) {
  const trpc = useTRPC();
  const [open, setOpen] = useState(false);
  const [applied, setApplied] = useState<ApplyResult[]>();
  const meshes = useQuery(trpc.meshes.list.queryOptions());
  const graph = useQuery({ ...trpc.graph.get.queryOptions({ window: "15m" }), enabled: open });
  const plaintext = graph.data?.edges.filter((edge) => edge.mtls !== "full") ?? [];

  if (applied) return <AppliedResults results={applied} />;
  if (!open)
    return (
      <button type="button" onClick={() => setOpen(true)}>
        Switch to strict mTLS…
      </button>
    );

  const stored = meshes.data?.find((candidate) => candidate.metadata.name === mesh);
  // A mesh nobody described yet runs on the spec's defaults, as the control plane assumes.
  const current: Mesh = stored ?? withDefaults({ kind: "Mesh", metadata: { name: mesh }, spec: {} });
  const strict: Mesh = {
    ...current,
    spec: { ...current.spec, mtls: { ...current.spec.mtls, mode: "strict" } },
  };

  return (
    <section className="card stack" aria-label="Switch to strict mTLS">
      <h2>Before switching to strict</h2>
      {graph.data === undefined ? (
        <p className="muted">Looking at the last 15 minutes of traffic…</p>
      ) : plaintext.length === 0 ? (
        <p>No plaintext call between services in the last 15 minutes.</p>
      ) : (
        <div>
          <p>Strict mTLS would refuse these calls, still seen in plaintext in the last 15 minutes:</p>
          <ul className="plain" aria-label="Plaintext edges">
            {plaintext.map((edge) => (
              <li key={`${edge.source}->${edge.destination}`}>
                {edge.source} → {edge.destination} (
                {edge.mtls === "partial" ? "partly plaintext" : "plaintext"})
              </li>
            ))}
          </ul>
        </div>
      )}
      {proxiesWithoutCertificate.length > 0 && (
        <p className="error-text">
          Without a valid certificate, so unable to serve or call under strict:{" "}
          {proxiesWithoutCertificate.join(", ")}
        </p>
      )}
      {meshes.data && <ApplyYamlPanel initialText={editableYaml(strict)} onApplied={setApplied} />}
    </section>
  );
}
