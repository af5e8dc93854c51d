"use client";

import { useSubscription } from "@trpc/tanstack-react-query";
import { useState } from "react";
import type { ResourceKey } from "@/features/resources/resource-yaml";
import { type RouterOutputs, useTRPC } from "@/lib/trpc";

type Progress = RouterOutputs["propagation"]["status"];

/** How far one write has travelled to the proxies: ACKed, refused (with the proxy's reason), still pending. */
export function PropagationProgress({ resource, version }: { resource: ResourceKey; version: number }) {
  const trpc = useTRPC();
  // The stream ends once no proxy is pending, and useSubscription then forgets its data: keep the last word.
  const [progress, setProgress] = useState<Progress>();
  const watch = useSubscription(
    trpc.propagation.watch.subscriptionOptions({ ...resource, version }, { onData: setProgress }),
  );
  const label = `Propagation of ${resource.kind} ${resource.name} version ${version}`;
  if (watch.error)
    return (
      <p className="error-text">
        {label}: {watch.error.message}
      </p>
    );
  if (progress === undefined) return <p className="muted">{label}: waiting for the proxies…</p>;
  if (progress.total === 0) return <p className="muted">{label}: no proxy is online in this mesh.</p>;
  const percent = (count: number) => `${(100 * count) / progress.total}%`;
  return (
    <section aria-label={label} className="propagation">
      <div
        className="progress"
        role="progressbar"
        aria-valuemin={0}
        aria-valuemax={progress.total}
        aria-valuenow={progress.acked}
      >
        <div className="acked" style={{ width: percent(progress.acked) }} />
        <div className="nacked" style={{ width: percent(progress.nacked) }} />
      </div>
      <p className="muted">
        {label}: {progress.acked} of {progress.total} proxies applied it
        {progress.nacked > 0 && `, ${progress.nacked} refused it`}
        {progress.pending > 0 && `, ${progress.pending} pending`}
      </p>
      {progress.dataplanes
        .filter((proxy) => proxy.state === "nacked")
        .map((proxy) => (
          <p key={proxy.id} className="error-text">
            {proxy.name} ({proxy.service}) refused it: {proxy.error}
          </p>
        ))}
    </section>
  );
}
