"use client";

import type { ResourceError } from "@loom/spec";
import { type ComponentType, useMemo } from "react";
import { parse, stringify } from "yaml";
import type { Draft } from "./draft";
import { PolicyFormProvider } from "./form-context";

/** The YAML as one object, or why the form cannot edit it (the YAML view still can). */
function draftOf(text: string): { draft: Draft } | { problem: string } {
  if (text.trim() === "") return { draft: {} };
  try {
    const value: unknown = parse(text);
    if (typeof value === "object" && value !== null && !Array.isArray(value))
      return { draft: value as Draft };
    return { problem: "The YAML is not one mapping (kind, metadata, spec)." };
  } catch (error) {
    return { problem: `The YAML cannot be read: ${(error as Error).message.split("\n")[0]}` };
  }
}

/**
 * A kind's form over the same text the YAML editor edits: the form reads the text as an object and writes its
 * changes back as YAML, so switching views never loses a field the form does not show.
 */
export function PolicyFormView({
  form: Form,
  text,
  errors,
  onTextChange,
}: {
  form: ComponentType;
  text: string;
  errors: readonly ResourceError[];
  onTextChange: (text: string) => void;
}) {
  const read = useMemo(() => draftOf(text), [text]);
  if ("problem" in read)
    return (
      <p className="error-message" role="alert">
        {read.problem} Fix it in the YAML view; the form edits one policy.
      </p>
    );
  return (
    <form className="policy-form stack" aria-label="Policy form" onSubmit={(event) => event.preventDefault()}>
      <PolicyFormProvider
        draft={read.draft}
        errors={errors}
        onChange={(draft) => onTextChange(stringify(draft, { lineWidth: 0 }))}
      >
        <Form />
      </PolicyFormProvider>
    </form>
  );
}
