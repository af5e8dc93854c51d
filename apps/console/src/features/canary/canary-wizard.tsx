"use client";

import { DEFAULT_MESH } from "@loom/spec";
import { useState } from "react";
import { type ApplyResult, ApplyYamlPanel } from "@/features/resources/apply-yaml-panel";
import { type CanaryPlan, rolloutYaml, splitRouteYaml } from "./canary-yaml";

type Mode = "split" | "rollout";

function weights(text: string): number[] {
  return text
    .split(/[,\s]+/)
    .filter(Boolean)
    .map(Number);
}

/** Pick stable and canary, then a fixed split (slider) or a progressive Rollout; preview and apply the YAML. */
export function CanaryWizard({
  service,
  versions,
  onApplied,
}: {
  service: string;
  versions: string[];
  onApplied: (results: ApplyResult[]) => void;
}) {
  const [stable, setStable] = useState(versions[0] ?? "");
  const [canary, setCanary] = useState(versions[1] ?? versions[0] ?? "");
  const [mode, setMode] = useState<Mode>("rollout");
  const [canaryPercent, setCanaryPercent] = useState(10);
  const [steps, setSteps] = useState("10, 50, 100");
  const [hold, setHold] = useState("1m");
  const plan: CanaryPlan = { service, mesh: DEFAULT_MESH, stable, canary };
  const yaml =
    mode === "split" ? splitRouteYaml(plan, canaryPercent) : rolloutYaml(plan, weights(steps), hold);

  const versionSelect = (label: string, value: string, onChange: (version: string) => void) => (
    <label>
      {label}
      <select value={value} onChange={(event) => onChange(event.target.value)}>
        {versions.map((version) => (
          <option key={version}>{version}</option>
        ))}
      </select>
    </label>
  );

  return (
    <section className="card stack" aria-label="Canary wizard">
      <div className="toolbar">
        {versionSelect("Stable version", stable, setStable)}
        {versionSelect("Canary version", canary, setCanary)}
        <fieldset className="inline-options">
          <legend>How</legend>
          <label className="inline">
            <input
              type="radio"
              name="mode"
              checked={mode === "rollout"}
              onChange={() => setMode("rollout")}
            />
            Progressive rollout
          </label>
          <label className="inline">
            <input type="radio" name="mode" checked={mode === "split"} onChange={() => setMode("split")} />
            Fixed split
          </label>
        </fieldset>
      </div>
      {mode === "split" ? (
        <label>
          Canary share: {canaryPercent}%
          <input
            type="range"
            min={0}
            max={100}
            value={canaryPercent}
            onChange={(event) => setCanaryPercent(Number(event.target.value))}
          />
        </label>
      ) : (
        <div className="toolbar">
          <label>
            Canary weight per step (%)
            <input value={steps} onChange={(event) => setSteps(event.target.value)} />
          </label>
          <label>
            Hold each step
            <input value={hold} onChange={(event) => setHold(event.target.value)} size={6} />
          </label>
        </div>
      )}
      <ApplyYamlPanel key={yaml} initialText={yaml} onApplied={onApplied} />
    </section>
  );
}
