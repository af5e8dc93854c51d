"use client";

import { DEFAULT_MESH } from "@loom/spec";
import { useSearchParams } from "next/navigation";
import { useState } from "react";
import { EditorOnly } from "@/features/auth/editor-only";
import { ApiErrorMessage } from "@/features/errors/api-error-message";
import { AppliedResults } from "@/features/resources/applied-results";
import type { ApplyResult } from "@/features/resources/apply-yaml-panel";
import { PermissionEditor } from "./permission-editor";
import { type CellPosition, PermissionMatrix } from "./permission-matrix";
import { usePermissionMatrix } from "./use-permission-matrix";

export function PermissionsPage() {
  const params = useSearchParams();
  const matrix = usePermissionMatrix(DEFAULT_MESH);
  const focus = params.get("destination");
  const [selected, setSelected] = useState<CellPosition>();
  const [applied, setApplied] = useState<ApplyResult[]>();
  const destinations = focus && matrix.destinations.includes(focus) ? [focus] : matrix.destinations;

  return (
    <>
      <h1>Permissions</h1>
      <p className="muted">
        Mesh {DEFAULT_MESH}: calls no TrafficPermission rule names are{" "}
        <strong>{matrix.meshDefault === "Allow" ? "allowed" : "denied"}</strong> by default. * = the rule
        applies to some methods or paths only.
        {focus && destinations.length === 1 && ` Showing callers of ${focus}.`}
      </p>
      {matrix.error && <ApiErrorMessage error={matrix.error} action="load the permissions" />}
      {matrix.destinations.length === 0 && !matrix.isLoading && (
        <p className="empty">No services registered yet.</p>
      )}
      {destinations.length > 0 && (
        <PermissionMatrix
          sources={matrix.sources}
          destinations={destinations}
          cell={matrix.cell}
          selected={selected}
          onSelect={(position) => {
            setSelected(position);
            setApplied(undefined);
          }}
        />
      )}
      {applied && <AppliedResults results={applied} />}
      {selected && !applied && (
        <EditorOnly>
          <PermissionEditor
            key={`${selected.source}->${selected.destination}`}
            mesh={DEFAULT_MESH}
            position={selected}
            current={matrix.policyFor(selected.destination)}
            onApplied={setApplied}
          />
        </EditorOnly>
      )}
    </>
  );
}
