import { createHash } from "node:crypto";

/** JSON with object keys sorted at every level, so equal content always serialises to equal text. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner !== null && typeof inner === "object" && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : inner,
  );
}

/** A short, stable digest of `content`: it changes exactly when the content does. */
export function contentVersion(content: unknown): string {
  return createHash("sha256").update(canonicalJson(content)).digest("hex").slice(0, 16);
}
