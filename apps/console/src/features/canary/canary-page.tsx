"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useSearchParams } from "next/navigation";
import { useState } from "react";
import { EditorOnly } from "@/features/auth/editor-only";
import { AppliedResults } from "@/features/resources/applied-results";
import type { ApplyResult } from "@/features/resources/apply-yaml-panel";
import { useTRPC } from "@/lib/trpc";
import { CanaryWizard } from "./canary-wizard";
import { RolloutProgress } from "./rollout-progress";
import { SplitCharts } from "./split-charts";

export function CanaryPage() {
  const trpc = useTRPC();
  const service = useSearchParams().get("service") ?? "";
  const proxies = useQuery({ ...trpc.dataplanes.list.queryOptions({ service }), enabled: service !== "" });
  const versions = [...new Set(proxies.data?.flatMap((proxy) => proxy.tags.version ?? []))].sort();
  const [applied, setApplied] = useState<ApplyResult[]>();

  if (service === "")
    return (
      <p className="empty">
        Open the canary wizard from a service on the <Link href="/graph">graph</Link> or its service page.
      </p>
    );
  return (
    <>
      <h1>
        Canary of <Link href={`/services/${encodeURIComponent(service)}`}>{service}</Link>
      </h1>
      {proxies.data && versions.length < 2 && (
        <p className="empty">
          {service} runs {versions.length === 0 ? "no tagged version" : `only version ${versions[0]}`}: start
          a proxy of the canary version (tag version=…) first.
        </p>
      )}
      <div className="stack">
        <RolloutProgress service={service} />
        {applied && <AppliedResults results={applied} />}
        {versions.length >= 2 && !applied && (
          <EditorOnly>
            <CanaryWizard
              key={versions.join(",")}
              service={service}
              versions={versions}
              onApplied={setApplied}
            />
          </EditorOnly>
        )}
        <SplitCharts service={service} versions={versions} />
      </div>
    </>
  );
}
