"use client";

import { useMutation } from "@tanstack/react-query";
import { type ComponentType, useState } from "react";
import { ApiErrorMessage } from "@/features/errors/api-error-message";
import { PolicyFormView } from "@/features/policies/forms/policy-form-view";
import { type RouterOutputs, useTRPC } from "@/lib/trpc";
import { ApplyPreview } from "./apply-preview";
import { problemLines } from "./resource-yaml";
import { useYamlValidation } from "./use-yaml-validation";
import { ValidationMessages } from "./validation-messages";
import { YamlEditor } from "./yaml-editor";

export type ApplyResult = RouterOutputs["policies"]["applyYaml"]["results"][number];

type EditorView = "form" | "yaml";

/**
 * Edit YAML (or, given a kind's `form`, fill in that form over the same text), see it validated as you type and
 * what applying would change, then apply it.
 */
export function ApplyYamlPanel({
  initialText,
  onApplied,
  form,
}: {
  initialText: string;
  onApplied: (results: ApplyResult[]) => void;
  form?: ComponentType;
}) {
  const trpc = useTRPC();
  const [text, setText] = useState(initialText);
  const [view, setView] = useState<EditorView>("yaml");
  const validation = useYamlValidation(text);
  const apply = useMutation(
    trpc.policies.applyYaml.mutationOptions({ onSuccess: (data) => onApplied(data.results) }),
  );
  const canApply = validation.isCurrent && validation.errors.length === 0 && validation.resources.length > 0;

  return (
    <section aria-label="YAML editor" className="apply-panel">
      {form && (
        <div className="tabs" role="tablist" aria-label="Editor views">
          {(["form", "yaml"] as const).map((candidate) => (
            <button
              key={candidate}
              type="button"
              role="tab"
              aria-selected={view === candidate}
              onClick={() => setView(candidate)}
            >
              {candidate === "form" ? "Form" : "YAML"}
            </button>
          ))}
        </div>
      )}
      {form && view === "form" ? (
        <PolicyFormView
          form={form}
          text={text}
          errors={validation.errors}
          onTextChange={(value) => {
            setText(value);
            apply.reset();
          }}
        />
      ) : (
        <YamlEditor
          label="Policy YAML"
          value={text}
          onChange={(value) => {
            setText(value);
            apply.reset();
          }}
          problemLines={problemLines(validation.errors)}
        />
      )}
      <ValidationMessages errors={validation.errors} validCount={validation.resources.length} />
      {canApply && <ApplyPreview resources={validation.resources} />}
      <div className="toolbar">
        <button
          type="button"
          className="primary"
          disabled={!canApply || apply.isPending}
          onClick={() => apply.mutate({ text })}
        >
          {apply.isPending ? "Applying…" : "Apply"}
        </button>
      </div>
      {apply.error && <ApiErrorMessage error={apply.error} action="apply this YAML" />}
    </section>
  );
}
