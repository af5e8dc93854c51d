import { createHash } from "node:crypto";

/**
 * A short digest of `content`: it changes exactly when the content's JSON does. Callers build content with a
 * fixed key order (records such as tags sorted), so equal content always serialises to equal text.
 */
export function contentVersion(content: unknown): string {
  return textDigest(JSON.stringify(content));
}

/** The same digest of text already serialised. */
export function textDigest(text: string): string {
  return createHash("sha256").update(text).digest("hex").slice(0, 16);
}
