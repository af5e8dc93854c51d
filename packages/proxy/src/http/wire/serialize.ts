import type { HeaderModifier } from "../../filters/header-modifier.ts";
import { endToEndHeaders } from "../headers.ts";

/**
 * An HTTP/1.1 head from received headers as strings (node:http requests, header modifiers): end-to-end headers
 * only, `modifier` applied, `extra` appended. Values were checked by the parser that read them.
 */
export function serializeHead(
  startLine: string,
  rawHeaders: readonly string[],
  modifier: HeaderModifier | undefined,
  extra: readonly string[],
): string {
  const forwarded = endToEndHeaders(rawHeaders);
  const headers = modifier ? modifier.apply(forwarded) : forwarded;
  return `${startLine}\r\n${headerLines(headers)}${headerLines(extra)}\r\n`;
}

/** "Name: value\r\n" lines from a flat [name, value, ...] list. */
export function headerLines(headers: readonly string[]): string {
  let lines = "";
  for (let i = 0; i < headers.length; i += 2) lines += `${headers[i]}: ${headers[i + 1]}\r\n`;
  return lines;
}
