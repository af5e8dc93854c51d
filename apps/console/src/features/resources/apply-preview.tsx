"use client";

import type { Resource } from "@loom/spec";
import { useQuery } from "@tanstack/react-query";
import { createTwoFilesPatch } from "diff";
import { useTRPC } from "@/lib/trpc";
import { describeKey, diffableYaml, keyOf, sameKey } from "./resource-yaml";
import { UnifiedDiff } from "./unified-diff";

/** What applying would change, object by object, against what the control plane holds now. */
export function ApplyPreview({ resources }: { resources: readonly Resource[] }) {
  const trpc = useTRPC();
  const stored = useQuery(trpc.resources.list.queryOptions());
  if (stored.data === undefined) return <p className="muted">Loading the current objects to compare…</p>;
  return (
    <section aria-label="Changes to apply">
      {resources.map((resource) => {
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
          </div>
        );
      })}
    </section>
  );
}
