"use client";

import type { Policy } from "@loom/spec";
import { useMutation } from "@tanstack/react-query";
import { EditorOnly } from "@/features/auth/editor-only";
import { ApiErrorMessage } from "@/features/errors/api-error-message";
import { type ApplyResult, ApplyYamlPanel } from "@/features/resources/apply-yaml-panel";
import { ResourceHistory } from "@/features/resources/resource-history";
import { editableYaml, keyOf } from "@/features/resources/resource-yaml";
import { localTime } from "@/lib/format";
import { useTRPC } from "@/lib/trpc";
import { POLICY_FORMS } from "./forms";
import type { PolicyView } from "./use-policy-selection";

const VIEW_LABELS: Record<PolicyView, string> = { yaml: "YAML", edit: "Edit", history: "History" };

export function PolicyDetails({
  policy,
  view,
  onView,
  onApplied,
  onDeleted,
}: {
  policy: Policy;
  view: PolicyView;
  onView: (view: PolicyView) => void;
  onApplied: (results: ApplyResult[]) => void;
  onDeleted: () => void;
}) {
  const trpc = useTRPC();
  const remove = useMutation(trpc.policies.delete.mutationOptions({ onSuccess: onDeleted }));
  const key = keyOf(policy);
  const version = Number(policy.metadata.resourceVersion);
  const views: PolicyView[] = ["yaml", "edit", "history"];

  return (
    <section className="card" aria-label={`${policy.kind} ${policy.metadata.name}`}>
      <div className="toolbar">
        <h2 className="grow">
          {policy.kind} {policy.metadata.name}
        </h2>
        <span className="muted">
          version {policy.metadata.resourceVersion}
          {policy.metadata.creationTimestamp && `, created ${localTime(policy.metadata.creationTimestamp)}`}
        </span>
        <EditorOnly>
          <button
            type="button"
            className="danger"
            disabled={remove.isPending}
            onClick={() => {
              if (window.confirm(`Delete ${policy.kind} ${policy.metadata.name}?`))
                remove.mutate({
                  ...key,
                  kind: policy.kind,
                  resourceVersion: policy.metadata.resourceVersion,
                });
            }}
          >
            Delete
          </button>
        </EditorOnly>
      </div>
      {remove.error && <ApiErrorMessage error={remove.error} action="delete this policy" />}
      <div className="tabs" role="tablist" aria-label="Policy views">
        {views.map((candidate) => {
          const tab = (
            <button
              key={candidate}
              type="button"
              role="tab"
              aria-selected={candidate === view}
              onClick={() => onView(candidate)}
            >
              {VIEW_LABELS[candidate]}
            </button>
          );
          return candidate === "edit" ? <EditorOnly key={candidate}>{tab}</EditorOnly> : tab;
        })}
      </div>
      {view === "yaml" && (
        <figure aria-label="Policy YAML">
          <pre>{editableYaml(policy)}</pre>
        </figure>
      )}
      {view === "edit" && (
        <EditorOnly>
          <ApplyYamlPanel
            key={policy.metadata.resourceVersion}
            initialText={editableYaml(policy)}
            onApplied={onApplied}
            form={POLICY_FORMS[policy.kind]}
          />
        </EditorOnly>
      )}
      {view === "history" && <ResourceHistory resource={key} currentVersion={version} />}
    </section>
  );
}
