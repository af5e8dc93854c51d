"use client";

import { isKind } from "@loom/spec";
import { PropagationProgress } from "@/features/propagation/propagation-progress";
import type { ApplyResult } from "./apply-yaml-panel";

/** What an apply did to each object, and how far each change has reached the proxies. */
export function AppliedResults({ results }: { results: readonly ApplyResult[] }) {
  return (
    <section aria-label="Apply results" className="card">
      {results.map((result) => (
        <div key={`${result.kind}/${result.mesh}/${result.namespace}/${result.name}`}>
          <p role="status">
            {result.kind} {result.namespace}/{result.name}: {result.outcome} (version {result.resourceVersion}
            )
          </p>
          {result.outcome !== "unchanged" && isKind(result.kind) && (
            <PropagationProgress
              resource={{ ...result, kind: result.kind }}
              version={Number(result.resourceVersion)}
            />
          )}
        </div>
      ))}
    </section>
  );
}
