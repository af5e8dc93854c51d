"use client";

import { useMutation } from "@tanstack/react-query";
import { useSubscription } from "@trpc/tanstack-react-query";
import { useState } from "react";
import { EditorOnly } from "@/features/auth/editor-only";
import { ApiErrorMessage } from "@/features/errors/api-error-message";
import { type RouterOutputs, useTRPC } from "@/lib/trpc";

type RolloutView = RouterOutputs["rollouts"]["list"][number];

function RolloutActions({ rollout }: { rollout: RolloutView }) {
  const trpc = useTRPC();
  const key = { mesh: rollout.mesh, namespace: rollout.namespace, name: rollout.name };
  const pause = useMutation(trpc.rollouts.pause.mutationOptions());
  const resume = useMutation(trpc.rollouts.resume.mutationOptions());
  const abort = useMutation(trpc.rollouts.abort.mutationOptions());
  const error = pause.error ?? resume.error ?? abort.error;
  // Only a Rollout still under way can be paused, resumed or aborted.
  if (!["pending", "progressing", "paused"].includes(rollout.phase)) return null;
  return (
    <EditorOnly>
      <div className="toolbar">
        {rollout.phase === "paused" ? (
          <button type="button" onClick={() => resume.mutate(key)}>
            Resume
          </button>
        ) : (
          <button type="button" onClick={() => pause.mutate(key)}>
            Pause
          </button>
        )}
        <button type="button" className="danger" onClick={() => abort.mutate(key)}>
          Abort (all traffic to stable)
        </button>
      </div>
      {error && <ApiErrorMessage error={error} action={`change rollout ${rollout.name}`} />}
    </EditorOnly>
  );
}

/** The service's Rollouts as the controller drives them: phase, step, canary weight, gates, controls. */
export function RolloutProgress({ service }: { service: string }) {
  const trpc = useTRPC();
  const [rollouts, setRollouts] = useState<RolloutView[]>();
  const stream = useSubscription(trpc.rollouts.onProgress.subscriptionOptions({}, { onData: setRollouts }));
  const mine = rollouts?.filter((rollout) => rollout.service === service) ?? [];
  if (stream.error) return <ApiErrorMessage error={stream.error} action="follow the rollouts" />;
  if (mine.length === 0) return null;
  return (
    <section aria-label="Rollouts" className="stack">
      {mine.map((rollout) => (
        <div key={`${rollout.mesh}/${rollout.namespace}/${rollout.name}`} className="card">
          <div className="toolbar">
            <h2 className="grow">Rollout {rollout.name}</h2>
            <span className="badge">{rollout.phase}</span>
          </div>
          <p>
            Step {Math.min(rollout.currentStep + 1, rollout.steps.length)} of {rollout.steps.length}: canary
            at <strong>{rollout.canaryWeight}%</strong>. {rollout.message}
          </p>
          <div
            className="progress"
            role="progressbar"
            aria-valuemin={0}
            aria-valuemax={100}
            aria-valuenow={rollout.canaryWeight}
          >
            <div className="acked" style={{ width: `${rollout.canaryWeight}%` }} />
          </div>
          <RolloutActions rollout={rollout} />
        </div>
      ))}
    </section>
  );
}
