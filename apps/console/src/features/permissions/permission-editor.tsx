"use client";

import type { PermissionAction, TrafficPermission } from "@loom/spec";
import { useState } from "react";
import { type ApplyResult, ApplyYamlPanel } from "@/features/resources/apply-yaml-panel";
import type { CellPosition } from "./permission-matrix";
import { type PermissionChange, permissionYaml } from "./permission-yaml";

function list(text: string): string[] {
  return text
    .split(/[,\s]+/)
    .map((item) => item.trim())
    .filter(Boolean);
}

/**
 * Allow or deny one caller (optionally only some methods or paths): the resulting YAML goes through the same
 * editor as any policy, so its validation, diff and what-if impact are shown before anything is applied.
 */
export function PermissionEditor({
  mesh,
  position,
  current,
  onApplied,
}: {
  mesh: string;
  position: CellPosition;
  current: TrafficPermission | undefined;
  onApplied: (results: ApplyResult[]) => void;
}) {
  const [action, setAction] = useState<PermissionAction>("Deny");
  const [methods, setMethods] = useState("");
  const [paths, setPaths] = useState("");
  const change: PermissionChange = {
    mesh,
    ...position,
    action,
    // Anything not a method is left for the spec package to name in the editor.
    methods: list(methods.toUpperCase()) as PermissionChange["methods"],
    paths: list(paths),
  };
  const yaml = permissionYaml(change, current);

  return (
    <section className="card" aria-label="Change permission">
      <h2>
        {position.source} → {position.destination}
      </h2>
      <div className="toolbar">
        <fieldset className="inline-options">
          <legend>Decision</legend>
          {(["Allow", "Deny"] as const).map((option) => (
            <label key={option} className="inline">
              <input
                type="radio"
                name="decision"
                value={option}
                checked={action === option}
                onChange={() => setAction(option)}
              />
              {option}
            </label>
          ))}
        </fieldset>
        <label>
          Only methods (optional)
          <input
            value={methods}
            onChange={(event) => setMethods(event.target.value)}
            placeholder="GET, POST"
          />
        </label>
        <label>
          Only path prefixes (optional)
          <input value={paths} onChange={(event) => setPaths(event.target.value)} placeholder="/admin" />
        </label>
      </div>
      <ApplyYamlPanel key={yaml} initialText={yaml} onApplied={onApplied} />
    </section>
  );
}
