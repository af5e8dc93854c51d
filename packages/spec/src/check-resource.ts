import { errorsFromIssues, type ResourceError, ResourceValidationError } from "./errors.ts";
import type { SourceLocator } from "./locations.ts";
import {
  isKind,
  KINDS,
  type Kind,
  type Resource,
  type ResourceInput,
  type ResourceOf,
  resourceSchemas,
} from "./resource.ts";
import { didYouMean } from "./suggest.ts";

export type ResourceCheck =
  | { resource: Resource; errors: [] }
  | { resource: undefined; errors: ResourceError[] };

const KNOWN_KINDS = `known kinds: ${KINDS.join(", ")}`;

/**
 * Validates one resource of any kind and fills its defaults. Never throws: problems come back as errors that
 * name the kind, the resource, the field path and, with a locator, the YAML line.
 */
export function checkResource(value: unknown, locator?: SourceLocator): ResourceCheck {
  const declaredKind = isRecord(value) ? value.kind : undefined;
  const metadata = isRecord(value) ? value.metadata : undefined;
  const name = isRecord(metadata) && typeof metadata.name === "string" ? metadata.name : undefined;
  const context = { kind: isKind(declaredKind) ? declaredKind : undefined, name, locator };
  const fail = (path: PropertyKey[], message: string): ResourceCheck => ({
    resource: undefined,
    errors: errorsFromIssues([{ code: "custom", path, message }], context),
  });

  if (!isRecord(value)) return fail([], "a resource must be a mapping with kind, metadata and spec");
  if (declaredKind === undefined) return fail(["kind"], `is required; ${KNOWN_KINDS}`);
  if (!isKind(declaredKind)) {
    const described =
      typeof declaredKind === "string"
        ? `"${declaredKind}"${didYouMean(declaredKind, KINDS)}`
        : String(declaredKind);
    return fail(["kind"], `unknown kind ${described}; ${KNOWN_KINDS}`);
  }

  const result = resourceSchemas[declaredKind].safeParse(value);
  if (result.success) return { resource: result.data as Resource, errors: [] };
  return { resource: undefined, errors: errorsFromIssues(result.error.issues, context) };
}

/** The resource as stored and sent: every default filled in. Throws `ResourceValidationError` if invalid. */
export function withDefaults<R extends ResourceInput>(resource: R): ResourceOf<R["kind"] & Kind> {
  const check = checkResource(resource);
  if (check.resource === undefined) throw new ResourceValidationError(check.errors);
  return check.resource as ResourceOf<R["kind"] & Kind>;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
