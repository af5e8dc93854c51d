"use client";

import type { Resource } from "@loom/spec";
import { useQuery } from "@tanstack/react-query";
import { createTwoFilesPatch } from "diff";
import { ApiErrorMessage } from "@/features/errors/api-error-message";
import { useTRPC } from "@/lib/trpc";
import { describeKey, diffableYaml, keyOf, sameKey } from "./resource-yaml";
import { UnifiedDiff } from "./unified-diff";
import { useWhatIf } from "./use-what-if";
import { WhatIfSummary } from "./what-if-summary";

/**
 * What applying would change, object by object: the diff against what the control plane holds now, and its
 * what-if answer (proxies that would get new config, traffic that would be affected).
 */
export function ApplyPreview({ resources }: { resources: readonly Resource[] }) {
  const trpc = useTRPC();
  const stored = useQuery(trpc.resources.list.queryOptions());
  const whatIf = useWhatIf(resources);
  if (stored.data === undefined) return <p className="muted">Loading the current objects to compare…</p>;
  return (
    <section aria-label="Changes to apply">
      {resources.map((resource, index) => {
        const key = keyOf(resource);
        const current = stored.data.find((candidate) => sameKey(keyOf(candidate), key));
        const patch = createTwoFilesPatch(
          describeKey(key),
          describeKey(key),
          diffableYaml(current),
          diffableYaml(resource),
          current ? `version ${current.metadata.resourceVersion}` : "absent",
          "after apply",
        );
        return (
          <div key={describeKey(key)}>
            <h3>
              {describeKey(key)} <span className="badge">{current ? "changes" : "new"}</span>
            </h3>
            <UnifiedDiff patch={patch} label={`Diff of ${describeKey(key)}`} />
            {whatIf.data?.[index] && <WhatIfSummary result={whatIf.data[index]} />}
          </div>
        );
      })}
      {whatIf.isFetching && <p className="muted">Asking the control plane what this would change…</p>}
      {whatIf.error && <ApiErrorMessage error={whatIf.error} action="run the what-if preview" />}
    </section>
  );
}
