import type { z } from "zod";
import type { SourceLocator } from "./locations.ts";

/**
 * A problem with one resource, as a plain value (it crosses tRPC and reaches the console and loomctl unchanged).
 * `formatted` reads: `TrafficRoute "cart" (line 7) spec.rules[0].backendRefs: at least one backend needs a weight above 0`.
 */
export interface ResourceError {
  /** The resource's kind, when the document says one. */
  kind?: string;
  /** The resource's metadata.name, when the document says one. */
  name?: string;
  /** The file or origin the caller named, e.g. "routes.yaml". */
  source?: string;
  /** 1-based line in the YAML source, when the resource came from YAML. */
  line?: number;
  /** Field path such as `spec.rules[0].backendRefs`; empty when the problem is the document itself. */
  path: string;
  message: string;
  formatted: string;
}

export type ResourceErrorFields = Omit<ResourceError, "path" | "formatted"> & {
  path: readonly PropertyKey[];
};

export function resourceError(fields: ResourceErrorFields): ResourceError {
  const error: Omit<ResourceError, "formatted"> = {
    ...withoutUndefined(fields),
    path: formatPath(fields.path),
  };
  return { ...error, formatted: formatResourceError(error) };
}

export function formatResourceError(error: Omit<ResourceError, "formatted">): string {
  const subject = [error.kind, error.name === undefined ? undefined : `"${error.name}"`];
  const where =
    error.line === undefined
      ? error.source && `(${error.source})`
      : `(${error.source ? `${error.source} ` : ""}line ${error.line})`;
  const field = error.path === "" ? "" : `${error.path}: `;
  return [...subject, where, `${field}${error.message}`].filter(Boolean).join(" ");
}

const IDENTIFIER = /^[A-Za-z_$][\w$-]*$/;

/** `["spec", "rules", 0, "backendRefs"]` → `spec.rules[0].backendRefs`; odd keys (labels) are quoted. */
export function formatPath(path: readonly PropertyKey[]): string {
  let formatted = "";
  for (const segment of path) {
    if (typeof segment === "number") formatted += `[${segment}]`;
    else if (typeof segment === "string" && IDENTIFIER.test(segment))
      formatted += formatted === "" ? segment : `.${segment}`;
    else formatted += `[${JSON.stringify(String(segment))}]`;
  }
  return formatted;
}

export interface IssueContext {
  kind?: string;
  name?: string;
  /** Where the parsed value came from; without it errors carry no line. */
  locator?: SourceLocator;
}

/** zod's issues as Loom errors: one per issue, each with its path, message and (given a locator) line. */
export function errorsFromIssues(
  issues: readonly z.core.$ZodIssue[],
  context: IssueContext,
): ResourceError[] {
  return issues.map((issue) =>
    resourceError({
      kind: context.kind,
      name: context.name,
      source: context.locator?.source,
      line: context.locator?.lineOf(locateIssue(issue)),
      path: issue.path,
      message: issue.message,
    }),
  );
}

/** An unknown field is reported on its object, but the line that matters is the field's own. */
function locateIssue(issue: z.core.$ZodIssue): readonly PropertyKey[] {
  if (issue.code === "unrecognized_keys" && issue.keys[0] !== undefined)
    return [...issue.path, issue.keys[0]];
  return issue.path;
}

/** Thrown by the few helpers that cannot return errors as values (e.g. `withDefaults`). */
export class ResourceValidationError extends Error {
  constructor(readonly errors: readonly ResourceError[]) {
    super(errors.map((error) => error.formatted).join("\n"));
    this.name = "ResourceValidationError";
  }
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as T;
}
