import { type Document, isScalar, LineCounter, parseAllDocuments, type YAMLError } from "yaml";
import { type ResourceError, resourceError } from "./errors.ts";
import { type SourceLocator, yamlLineOf } from "./locations.ts";

/** One document of a YAML stream: its plain value and where its nodes are, or why it could not be read. */
export type YamlDocument =
  | { value: unknown; locator: SourceLocator; error?: undefined }
  | { error: ResourceError };

/**
 * Splits multi-document YAML into values, one error per unreadable document. Never throws. Empty documents
 * (after a trailing `---`, or holding only comments) are left out: they are not mistakes.
 */
export function readYamlDocuments(text: string, source: string | undefined): YamlDocument[] {
  const lineCounter = new LineCounter();
  // logLevel "error": yaml would otherwise print process warnings (e.g. for collection keys) from inside a
  // library; such documents still fail validation, with a message.
  const documents = parseAllDocuments(text, { lineCounter, prettyErrors: false, logLevel: "error" });
  return documents.flatMap((document): YamlDocument[] => {
    const locator: SourceLocator = { source, lineOf: (path) => yamlLineOf(document, lineCounter, path) };
    const firstError = document.errors[0];
    if (firstError !== undefined)
      return [{ error: syntaxError(document, firstError, text, lineCounter, source) }];
    if (document.contents === null || (isScalar(document.contents) && document.contents.value === null))
      return [];
    const value = readValue(document);
    if (value instanceof Error)
      return [
        { error: resourceError({ source, line: locator.lineOf([]), path: [], message: value.message }) },
      ];
    return [{ value, locator }];
  });
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
