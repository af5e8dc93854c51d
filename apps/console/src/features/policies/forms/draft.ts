import type { ZodType } from "zod";

/** A policy being written: the plain object its YAML reads as, before any validation. */
export type Draft = Record<string, unknown>;
export type FieldPath = readonly (string | number)[];

export function valueAt(draft: unknown, path: FieldPath): unknown {
  let current: unknown = draft;
  for (const segment of path) {
    if (typeof current !== "object" || current === null) return undefined;
    current = (current as Record<string | number, unknown>)[segment];
  }
  return current;
}

/**
 * The draft with `value` at `path` (parents created as needed); `undefined` removes the field, so an emptied
 * input falls back to the spec's default instead of sending an empty string.
 */
export function withValueAt(draft: unknown, path: FieldPath, value: unknown): unknown {
  const [head, ...rest] = path;
  if (head === undefined) return value;
  const container: Record<string | number, unknown> | unknown[] = Array.isArray(draft)
    ? [...draft]
    : typeof draft === "object" && draft !== null
      ? { ...(draft as Record<string, unknown>) }
      : typeof head === "number"
        ? []
        : {};
  const next = withValueAt((container as Record<string | number, unknown>)[head], rest, value);
  if (next === undefined && !Array.isArray(container)) delete (container as Record<string, unknown>)[head];
  else (container as Record<string | number, unknown>)[head] = next;
  return container;
}

/** The spec's default for a field, by parsing nothing with its schema: shown as a placeholder, never restated. */
export function defaultOf(schema: ZodType): string | undefined {
  const parsed = schema.safeParse(undefined);
  return parsed.success && parsed.data !== undefined ? String(parsed.data) : undefined;
}
