import { createHash, randomBytes } from "node:crypto";

/** A new bearer token: a readable prefix (so leaked tokens are recognisable) and 256 random bits. */
export function newSecretToken(prefix: string): string {
  return `${prefix}_${randomBytes(32).toString("base64url")}`;
}

/** Tokens are stored only as this hash: high-entropy secrets need no salt or slow hash. */
export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}
