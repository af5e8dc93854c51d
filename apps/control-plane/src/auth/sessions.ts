import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";

export const SESSION_COOKIE = "loom_session";
const SESSION_TTL_MS = 12 * 3_600_000;

export interface Session {
  username: string;
  expiresAt: number;
}

/**
 * Console sessions as signed cookies: `<username>.<expiry>.<hmac>`. Nothing is stored server-side, so every
 * replica that shares the key accepts the session; the user's role is read from the store on each request,
 * so a role change or a deleted user takes effect at once.
 */
export interface SessionCodec {
  issue(username: string, now?: number): { value: string; maxAgeSeconds: number };
  verify(value: string, now?: number): Session | null;
}

export function createSessionCodec(key: Buffer): SessionCodec {
  const sign = (payload: string) => createHmac("sha256", key).update(payload).digest("base64url");
  return {
    issue(username, now = Date.now()) {
      const payload = `${Buffer.from(username).toString("base64url")}.${now + SESSION_TTL_MS}`;
      return { value: `${payload}.${sign(payload)}`, maxAgeSeconds: SESSION_TTL_MS / 1000 };
    },
    verify(value, now = Date.now()) {
      const [user, expiry, signature] = value.split(".");
      if (user === undefined || expiry === undefined || signature === undefined) return null;
      const expected = Buffer.from(sign(`${user}.${expiry}`));
      const actual = Buffer.from(signature);
      if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) return null;
      const expiresAt = Number(expiry);
      if (!(expiresAt > now)) return null;
      return { username: Buffer.from(user, "base64url").toString(), expiresAt };
    },
  };
}

/**
 * LOOM_SESSION_SECRET when set (replicas behind one console must share it), otherwise a key generated once
 * and kept in the data directory so sessions survive restarts.
 */
export async function loadSessionKey(dataDir: string, env: NodeJS.ProcessEnv = process.env): Promise<Buffer> {
  if (env.LOOM_SESSION_SECRET) return Buffer.from(env.LOOM_SESSION_SECRET);
  const file = path.join(dataDir, "session.key");
  try {
    return Buffer.from(await readFile(file, "utf8"), "base64url");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  await mkdir(dataDir, { recursive: true });
  const key = randomBytes(32);
  try {
    await writeFile(file, key.toString("base64url"), { mode: 0o600, flag: "wx" });
    return key;
  } catch (error) {
    // Another process on this data directory wrote it first: use theirs.
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    return Buffer.from(await readFile(file, "utf8"), "base64url");
  }
}

export function sessionCookie(
  value: string,
  { maxAgeSeconds, secure }: { maxAgeSeconds: number; secure: boolean },
) {
  return [
    `${SESSION_COOKIE}=${value}`,
    "Path=/",
    "HttpOnly",
    "SameSite=Strict",
    `Max-Age=${maxAgeSeconds}`,
    ...(secure ? ["Secure"] : []),
  ].join("; ");
}

export function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of header?.split(";") ?? []) {
    const separator = part.indexOf("=");
    if (separator > 0 && part.slice(0, separator).trim() === name) return part.slice(separator + 1).trim();
  }
  return undefined;
}
