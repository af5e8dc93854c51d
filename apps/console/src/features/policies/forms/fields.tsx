"use client";

import { type TargetRef, targetRefSchema } from "@loom/spec";
import type { ReactNode } from "react";
import type { ZodType } from "zod";
import { defaultOf, type FieldPath } from "./draft";
import { useField } from "./form-context";

function FieldMessages({ id, messages }: { id: string; messages: readonly string[] }) {
  if (messages.length === 0) return null;
  return (
    <span className="field-error" id={`${id}-error`}>
      {messages.join("; ")}
    </span>
  );
}

function Field({
  label,
  id,
  messages,
  children,
}: {
  label: string;
  id: string;
  messages: readonly string[];
  children: ReactNode;
}) {
  return (
    <div className={messages.length > 0 ? "form-field invalid" : "form-field"}>
      <label htmlFor={id}>{label}</label>
      {children}
      <FieldMessages id={id} messages={messages} />
    </div>
  );
}

function a11y(id: string, messages: readonly string[]) {
  return {
    id,
    "aria-invalid": messages.length > 0 ? true : undefined,
    "aria-describedby": messages.length > 0 ? `${id}-error` : undefined,
  };
}

/** Text as typed; an emptied field is removed, so the spec's default (shown as the placeholder) applies. */
export function TextField({
  path,
  label,
  schema,
  placeholder,
}: {
  path: FieldPath;
  label: string;
  /** The field's schema in the spec, for its default. */
  schema?: ZodType;
  placeholder?: string;
}) {
  const field = useField(path);
  const fallback = schema && defaultOf(schema);
  return (
    <Field label={label} id={field.id} messages={field.messages}>
      <input
        {...a11y(field.id, field.messages)}
        value={field.value === undefined || field.value === null ? "" : String(field.value)}
        placeholder={placeholder ?? (fallback === undefined ? undefined : `default ${fallback}`)}
        onChange={(event) => field.set(event.target.value === "" ? undefined : event.target.value)}
      />
    </Field>
  );
}

/** A number when the text is one; otherwise the text itself, so the spec (not this form) says what is wrong. */
export function NumberField({ path, label, schema }: { path: FieldPath; label: string; schema?: ZodType }) {
  const field = useField(path);
  const fallback = schema && defaultOf(schema);
  return (
    <Field label={label} id={field.id} messages={field.messages}>
      <input
        {...a11y(field.id, field.messages)}
        inputMode="decimal"
        size={8}
        value={field.value === undefined || field.value === null ? "" : String(field.value)}
        placeholder={fallback === undefined ? undefined : `default ${fallback}`}
        onChange={(event) => {
          const text = event.target.value.trim();
          const number = Number(text);
          field.set(text === "" ? undefined : Number.isFinite(number) ? number : text);
        }}
      />
    </Field>
  );
}

export function SelectField({
  path,
  label,
  options,
  optional = false,
}: {
  path: FieldPath;
  label: string;
  /** From the spec's enum (e.g. `httpMethodSchema.options`). */
  options: readonly string[];
  /** Offers "not set", which removes the field. */
  optional?: boolean;
}) {
  const field = useField(path);
  return (
    <Field label={label} id={field.id} messages={field.messages}>
      <select
        {...a11y(field.id, field.messages)}
        value={field.value === undefined || field.value === null ? "" : String(field.value)}
        onChange={(event) => field.set(event.target.value === "" ? undefined : event.target.value)}
      >
        {(optional || field.value === undefined) && <option value="">{optional ? "any" : "choose…"}</option>}
        {options.map((option) => (
          <option key={option}>{option}</option>
        ))}
      </select>
    </Field>
  );
}

export function CheckboxField({ path, label, schema }: { path: FieldPath; label: string; schema?: ZodType }) {
  const field = useField(path);
  const fallback = schema?.safeParse(undefined).data;
  const checked = field.value === undefined ? fallback === true : field.value === true;
  return (
    <div className="form-field">
      <label className="inline">
        <input type="checkbox" checked={checked} onChange={(event) => field.set(event.target.checked)} />{" "}
        {label}
      </label>
      <FieldMessages id={field.id} messages={field.messages} />
    </div>
  );
}

/** Several values of one enum, as checkboxes (Retry's retryOn, a permission's methods). */
export function ChoicesField({
  path,
  label,
  options,
}: {
  path: FieldPath;
  label: string;
  options: readonly string[];
}) {
  const field = useField(path);
  const chosen = Array.isArray(field.value) ? (field.value as unknown[]) : [];
  return (
    <fieldset className="form-field inline-options">
      <legend>{label}</legend>
      {options.map((option) => (
        <label key={option} className="inline">
          <input
            type="checkbox"
            checked={chosen.includes(option)}
            onChange={(event) =>
              field.set(
                event.target.checked ? [...chosen, option] : chosen.filter((value) => value !== option),
              )
            }
          />{" "}
          {option}
        </label>
      ))}
      <FieldMessages id={field.id} messages={field.messages} />
    </fieldset>
  );
}

/** `version=v2, zone=a` ↔ `{ version: "v2", zone: "a" }`. */
export function TagsField({ path, label }: { path: FieldPath; label: string }) {
  const field = useField(path);
  const tags = typeof field.value === "object" && field.value !== null ? field.value : {};
  const text = Object.entries(tags)
    .map(([key, value]) => `${key}=${String(value)}`)
    .join(", ");
  return (
    <Field label={label} id={field.id} messages={field.messages}>
      <input
        {...a11y(field.id, field.messages)}
        defaultValue={text}
        placeholder="version=v2"
        onBlur={(event) =>
          field.set(
            Object.fromEntries(
              event.target.value
                .split(",")
                .map((pair) => pair.trim())
                .filter(Boolean)
                .map((pair) => {
                  const [key = "", ...value] = pair.split("=");
                  return [key.trim(), value.join("=").trim()];
                }),
            ),
          )
        }
      />
    </Field>
  );
}

/** Comma-separated strings ↔ a list (a permission's path prefixes). */
export function ListTextField({ path, label }: { path: FieldPath; label: string }) {
  const field = useField(path);
  const items = Array.isArray(field.value) ? (field.value as unknown[]).map(String) : [];
  return (
    <Field label={label} id={field.id} messages={field.messages}>
      <input
        {...a11y(field.id, field.messages)}
        defaultValue={items.join(", ")}
        onBlur={(event) => {
          const next = event.target.value
            .split(",")
            .map((item) => item.trim())
            .filter(Boolean);
          field.set(next.length === 0 ? undefined : next);
        }}
      />
    </Field>
  );
}

const TARGET_KINDS = targetRefSchema.options.map((option) => option.shape.kind.value);

/** A targetRef: the kinds come from the schema it is checked against (a route's names only Service). */
export function TargetRefFields({
  path,
  label,
  kinds = TARGET_KINDS,
}: {
  path: FieldPath;
  label: string;
  kinds?: readonly TargetRef["kind"][];
}) {
  const kind = useField([...path, "kind"]);
  const ref = useField(path);
  return (
    <fieldset className="form-field">
      <legend>{label}</legend>
      <div className="toolbar">
        <SelectField path={[...path, "kind"]} label="Kind" options={kinds} />
        {kind.value !== "Mesh" && <TextField path={[...path, "name"]} label="Service" />}
        {kind.value === "ServiceSubset" && <TagsField path={[...path, "tags"]} label="Tags" />}
      </div>
      <FieldMessages id={ref.id} messages={ref.messages} />
    </fieldset>
  );
}

/** An optional block of the spec (a fault's delay, outlier detection): present while ticked. */
export function OptionalSection({
  path,
  label,
  initial,
  children,
}: {
  path: FieldPath;
  label: string;
  /** What the block holds when ticked: empty, so the spec names what it needs. */
  initial?: Record<string, unknown>;
  children: ReactNode;
}) {
  const field = useField(path);
  const present = field.value !== undefined;
  return (
    <fieldset className="form-field">
      <legend>
        <label className="inline">
          <input
            type="checkbox"
            checked={present}
            onChange={(event) => field.set(event.target.checked ? (initial ?? {}) : undefined)}
          />{" "}
          {label}
        </label>
      </legend>
      {present && children}
      <FieldMessages id={field.id} messages={field.messages} />
    </fieldset>
  );
}

/** A list of blocks (rules, steps, backends), each rendered by `item`, with add and remove. */
export function ListField({
  path,
  label,
  itemLabel,
  newItem,
  item,
}: {
  path: FieldPath;
  label: string;
  itemLabel: string;
  newItem: () => unknown;
  item: (itemPath: FieldPath, index: number) => ReactNode;
}) {
  const field = useField(path);
  const items = Array.isArray(field.value) ? (field.value as unknown[]) : [];
  return (
    <fieldset className="form-field">
      <legend>{label}</legend>
      {items.map((_, index) => (
        // Items have no identity but their place in the list, as in the YAML.
        // biome-ignore lint/suspicious/noArrayIndexKey: see above
        <fieldset key={index} className="card stack" aria-label={`${itemLabel} ${index + 1}`}>
          {item([...path, index], index)}
          <button
            type="button"
            onClick={() => field.set(items.filter((__, other) => other !== index))}
            aria-label={`Remove ${itemLabel.toLowerCase()} ${index + 1}`}
          >
            Remove
          </button>
        </fieldset>
      ))}
      <button type="button" onClick={() => field.set([...items, newItem()])}>
        Add {itemLabel.toLowerCase()}
      </button>
      <FieldMessages id={field.id} messages={field.messages} />
    </fieldset>
  );
}

/** Name, mesh and namespace: the envelope every kind shares. */
export function MetadataFields() {
  return (
    <div className="toolbar">
      <TextField path={["metadata", "name"]} label="Name" />
      <TextField path={["metadata", "mesh"]} label="Mesh" placeholder="default" />
      <TextField path={["metadata", "namespace"]} label="Namespace" placeholder="default" />
    </div>
  );
}
