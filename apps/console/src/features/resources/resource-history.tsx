"use client";

import { useMutation, useQuery } from "@tanstack/react-query";
import { EditorOnly } from "@/features/auth/editor-only";
import { ApiErrorMessage } from "@/features/errors/api-error-message";
import { PropagationProgress } from "@/features/propagation/propagation-progress";
import { localTime } from "@/lib/format";
import { useTRPC } from "@/lib/trpc";
import { keyOf, type ResourceKey } from "./resource-yaml";
import { UnifiedDiff } from "./unified-diff";

/** Every revision of one object, newest first, each with its diff and a one-click rollback to it. */
export function ResourceHistory({
  resource,
  currentVersion,
}: {
  resource: ResourceKey;
  currentVersion: number;
}) {
  const trpc = useTRPC();
  const history = useQuery(trpc.history.list.queryOptions(resource));
  const rollback = useMutation(trpc.history.rollback.mutationOptions());

  if (history.error) return <ApiErrorMessage error={history.error} action="load the history" />;
  if (history.data === undefined) return <p className="muted">Loading history…</p>;
  const revisions = [...history.data].reverse();

  return (
    <section aria-label="History">
      {rollback.error && <ApiErrorMessage error={rollback.error} action="roll back" />}
      {rollback.data && (
        <PropagationProgress
          resource={keyOf(rollback.data)}
          version={Number(rollback.data.metadata.resourceVersion)}
        />
      )}
      <ol className="history">
        {revisions.map((revision) => (
          <li key={revision.version} className="card">
            <div className="toolbar">
              <strong>Version {revision.version}</strong>
              <span className="badge">{revision.action}</span>
              <span className="muted">
                by {revision.actor}, {localTime(revision.at)}
              </span>
              {revision.version === currentVersion && <span className="badge ok">current</span>}
              <EditorOnly>
                {revision.version !== currentVersion && revision.after !== null && (
                  <button
                    type="button"
                    disabled={rollback.isPending}
                    onClick={() =>
                      rollback.mutate({
                        ...resource,
                        toVersion: revision.version,
                        expectedVersion: currentVersion,
                      })
                    }
                  >
                    Roll back to version {revision.version}
                  </button>
                )}
              </EditorOnly>
            </div>
            <details open={revision === revisions[0]}>
              <summary>Diff</summary>
              <UnifiedDiff patch={revision.diff} label={`Diff of version ${revision.version}`} />
            </details>
          </li>
        ))}
      </ol>
    </section>
  );
}
