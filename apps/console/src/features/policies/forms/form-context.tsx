"use client";

import { formatPath, type ResourceError } from "@loom/spec";
import { createContext, type ReactNode, useContext } from "react";
import { type Draft, type FieldPath, valueAt, withValueAt } from "./draft";

interface PolicyFormState {
  draft: Draft;
  errors: readonly ResourceError[];
  onChange: (draft: Draft) => void;
}

const FormContext = createContext<PolicyFormState | null>(null);

/** What every policy form receives: the draft, the spec's problems with it, and how to change it. */
export interface PolicyFormProps extends PolicyFormState {}

export function PolicyFormProvider({ children, ...state }: PolicyFormState & { children: ReactNode }) {
  return <FormContext.Provider value={state}>{children}</FormContext.Provider>;
}

/** One field of the draft: its value, a setter, and the spec's messages for exactly that path. */
export function useField(path: FieldPath) {
  const state = useContext(FormContext);
  if (!state) throw new Error("a policy form field needs a PolicyFormProvider");
  const where = formatPath(path);
  return {
    value: valueAt(state.draft, path),
    set: (value: unknown) => state.onChange(withValueAt(state.draft, path, value) as Draft),
    messages: state.errors.filter((error) => error.path === where).map((error) => error.message),
    id: `field-${where.replace(/[^\w-]/g, "_")}`,
  };
}
