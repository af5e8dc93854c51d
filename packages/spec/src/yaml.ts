import { type Document, isScalar, LineCounter, parseAllDocuments, stringify, type YAMLError } from "yaml";
import { checkResource } from "./check-resource.ts";
import { type ResourceError, resourceError } from "./errors.ts";
import { rememberSource, type SourceLocator, yamlLineOf } from "./locations.ts";
import type { Resource } from "./resource.ts";

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
  const { source } = options;
  const lineCounter = new LineCounter();
  const resources: Resource[] = [];
  const errors: ResourceError[] = [];
  // logLevel "error": yaml would otherwise print process warnings (e.g. for collection keys) from inside a library;
  // such documents still fail validation, with a message.
  for (const document of parseAllDocuments(text, { lineCounter, prettyErrors: false, logLevel: "error" })) {
    const locator: SourceLocator = { source, lineOf: (path) => yamlLineOf(document, lineCounter, path) };
    const firstError = document.errors[0];
    if (firstError !== undefined) {
      errors.push(syntaxError(document, firstError, text, lineCounter, source));
      continue;
    }
    // An empty document, e.g. after a trailing `---` or holding only comments, is not a mistake.
    if (document.contents === null || (isScalar(document.contents) && document.contents.value === null))
      continue;
    const value = readValue(document);
    if (value instanceof Error) {
      errors.push(resourceError({ source, line: locator.lineOf([]), path: [], message: value.message }));
      continue;
    }
    const check = checkResource(value, locator);
    if (check.resource === undefined) errors.push(...check.errors);
    else {
      rememberSource(check.resource, locator);
      resources.push(check.resource);
    }
  }
  return { resources, errors };
}

/** Multi-document YAML that `parseResources` reads back to equal resources. */
export function stringifyResources(resources: readonly Resource[]): string {
  return resources.map((resource) => stringify(resource, { lineWidth: 0 })).join("---\n");
}

function readValue(document: Document): unknown {
  try {
    return document.toJS();
  } catch (error) {
    // yaml refuses documents whose aliases expand excessively (a "billion laughs" guard).
    return error instanceof Error ? error : new Error(String(error));
  }
}

/**
 * One error per broken document: yaml's later errors there are mostly consequences of the first.
 * Kind and name come from what could still be read, to tell the documents of a file apart.
 */
function syntaxError(
  document: Document,
  error: YAMLError,
  text: string,
  lineCounter: LineCounter,
  source: string | undefined,
): ResourceError {
  const { message, offset } = describeSyntaxError(document.errors, error, text);
  const partial = readValue(document) as { kind?: unknown; metadata?: { name?: unknown } } | null;
  return resourceError({
    kind: typeof partial?.kind === "string" ? partial.kind : undefined,
    name: typeof partial?.metadata?.name === "string" ? partial.metadata.name : undefined,
    source,
    line: lineCounter.linePos(offset).line,
    path: [],
    message,
  });
}

function describeSyntaxError(
  errors: readonly YAMLError[],
  error: YAMLError,
  text: string,
): { message: string; offset: number } {
  const [start] = error.pos;
  switch (error.code) {
    case "BLOCK_AS_IMPLICIT_KEY": {
      // yaml reports an over-indented line as a multi-line key that starts on the line above.
      const multiline = errors.find(
        (other) => other.code === "MULTILINE_IMPLICIT_KEY" && other.pos[0] === start,
      );
      if (multiline === undefined) break;
      return {
        message: "bad indentation: this line is indented deeper than the one above",
        offset: multiline.pos[1],
      };
    }
    case "MULTILINE_IMPLICIT_KEY":
      return { message: 'expected "key: value"; is a ":" missing?', offset: start };
    case "BAD_INDENT":
      if (error.message.startsWith("All mapping items"))
        return {
          message: "bad indentation: the keys of a mapping must start at the same column",
          offset: start,
        };
      break;
    case "TAB_AS_INDENT":
      return { message: "tabs are not allowed for indentation; use spaces", offset: start };
    case "MISSING_CHAR": {
      // yaml notices a missing closing quote where the text ends; the opening quote is the line to fix.
      const quote = /closing (["'])quote/.exec(error.message)?.[1];
      if (quote === undefined) break;
      return {
        message: `the ${quote} that opens a string here is never closed`,
        offset: text.lastIndexOf(quote, start - 1),
      };
    }
    case "DUPLICATE_KEY": {
      const key = /^["']?([^"':\n]+)/.exec(text.slice(start))?.[1]?.trim();
      return { message: key ? `duplicate key "${key}"` : "duplicate key", offset: start };
    }
  }
  return { message: lowerFirst(error.message), offset: start };
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}
