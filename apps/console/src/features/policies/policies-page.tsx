"use client";

import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { EditorOnly } from "@/features/auth/editor-only";
import { ApiErrorMessage } from "@/features/errors/api-error-message";
import { AppliedResults } from "@/features/resources/applied-results";
import { type ApplyResult, ApplyYamlPanel } from "@/features/resources/apply-yaml-panel";
import { useTRPC } from "@/lib/trpc";
import { POLICY_FORMS } from "./forms";
import { InForceLookup } from "./in-force-lookup";
import { newPolicyYaml } from "./new-policy-yaml";
import { PolicyDetails } from "./policy-details";
import { PolicyKindTabs } from "./policy-kind-tabs";
import { PolicyList, policyPath } from "./policy-list";
import { usePolicySelection } from "./use-policy-selection";
import { usePrecedence } from "./use-precedence";

export function PoliciesPage() {
  const trpc = useTRPC();
  const policies = useQuery(trpc.policies.list.queryOptions());
  const [selection, select] = usePolicySelection();
  const [lastApply, setLastApply] = useState<ApplyResult[]>();
  const ofKind = (policies.data ?? []).filter((policy) => policy.kind === selection.kind);
  const standings = usePrecedence(selection.kind, ofKind);
  const selected = ofKind.find((policy) => policyPath(policy) === selection.policy);

  function showApplied(results: ApplyResult[]) {
    setLastApply(results);
    const policy = results.find((result) => result.kind === selection.kind) ?? results[0];
    if (policy)
      select({ creating: false, view: "yaml", policy: `${policy.mesh}/${policy.namespace}/${policy.name}` });
  }

  return (
    <>
      <div className="toolbar">
        <h1 className="grow">Policies</h1>
        <EditorOnly>
          <button
            type="button"
            className="primary"
            onClick={() => {
              setLastApply(undefined);
              select({ creating: true, policy: undefined });
            }}
          >
            New {selection.kind}
          </button>
        </EditorOnly>
      </div>
      {policies.error && <ApiErrorMessage error={policies.error} action="list the policies" />}
      <PolicyKindTabs
        current={selection.kind}
        policies={policies.data ?? []}
        onSelect={(kind) => {
          setLastApply(undefined);
          select({ kind, policy: undefined, creating: false, view: "yaml" });
        }}
      />
      {lastApply && <AppliedResults results={lastApply} />}
      <div className="split">
        <div className="stack">
          {policies.isLoading && <p className="muted">Loading policies…</p>}
          {policies.data && ofKind.length === 0 && <p className="empty">No {selection.kind} policies yet.</p>}
          {ofKind.length > 0 && (
            <PolicyList
              policies={ofKind}
              standings={standings}
              selected={selection.policy}
              onSelect={(policy) => select({ policy, creating: false })}
            />
          )}
          <InForceLookup kind={selection.kind} />
        </div>
        <div>
          {selection.creating && (
            <EditorOnly>
              <section className="card" aria-label={`New ${selection.kind}`}>
                <h2>New {selection.kind}</h2>
                <ApplyYamlPanel
                  key={selection.kind}
                  initialText={newPolicyYaml(selection.kind, undefined)}
                  onApplied={showApplied}
                  form={POLICY_FORMS[selection.kind]}
                />
              </section>
            </EditorOnly>
          )}
          {!selection.creating && selected && (
            <PolicyDetails
              policy={selected}
              view={selection.view}
              onView={(view) => select({ view })}
              onApplied={showApplied}
              onDeleted={() => select({ policy: undefined })}
            />
          )}
          {!selection.creating && !selected && ofKind.length > 0 && (
            <p className="empty">Choose a policy to see its YAML, edit it or browse its history.</p>
          )}
        </div>
      </div>
    </>
  );
}
