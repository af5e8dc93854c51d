import { stringify } from "yaml";
import type { z } from "zod";
import { checkResource } from "./check-resource.ts";
import { errorsFromIssues, type ResourceError, resourceError } from "./errors.ts";
import { rememberSource } from "./locations.ts";
import type { Resource } from "./resource.ts";
import { readYamlDocuments } from "./yaml-documents.ts";

export interface ParsedResources {
  /** Every valid document, defaults filled, in source order. */
  resources: Resource[];
  errors: ResourceError[];
}

export interface ParseOptions {
  /** Named in every error, e.g. the file name. */
  source?: string;
}

/**
 * Reads multi-document YAML. Never throws: a broken document yields errors (with its line) and the other
 * documents are still read.
 */
export function parseResources(text: string, options: ParseOptions = {}): ParsedResources {
  const resources: Resource[] = [];
  const errors: ResourceError[] = [];
  for (const document of readYamlDocuments(text, options.source)) {
    if (document.error !== undefined) {
      errors.push(document.error);
      continue;
    }
    const check = checkResource(document.value, document.locator);
    if (check.resource === undefined) errors.push(...check.errors);
    else {
      rememberSource(check.resource, document.locator);
      resources.push(check.resource);
    }
  }
  return { resources, errors };
}

/** Multi-document YAML that `parseResources` reads back to equal resources. */
export function stringifyResources(resources: readonly Resource[]): string {
  return resources.map((resource) => stringify(resource, { lineWidth: 0 })).join("---\n");
}

/**
 * Reads a single-document YAML file that is not a resource (the proxy's bootstrap) with the same error
 * format and line numbers. Never throws.
 */
export function parseYamlDocument<S extends z.ZodType>(
  text: string,
  schema: S,
  options: ParseOptions = {},
): { value: z.output<S>; errors: [] } | { value: undefined; errors: ResourceError[] } {
  const { source } = options;
  const [document, extra] = readYamlDocuments(text, source);
  if (document === undefined)
    return { value: undefined, errors: [resourceError({ source, path: [], message: "is empty" })] };
  if (document.error !== undefined) return { value: undefined, errors: [document.error] };
  if (extra !== undefined) {
    const line = extra.error === undefined ? extra.locator.lineOf([]) : extra.error.line;
    return {
      value: undefined,
      errors: [resourceError({ source, line, path: [], message: "must hold one document, not several" })],
    };
  }
  const result = schema.safeParse(document.value);
  if (result.success) return { value: result.data, errors: [] };
  return { value: undefined, errors: errorsFromIssues(result.error.issues, { locator: document.locator }) };
}
