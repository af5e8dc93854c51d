import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";

export const SESSION_COOKIE = "loom_session";
const SESSION_TTL_MS = 12 * 3_600_000;

export interface Session {
  username: string;
  /** The user row's id: a user deleted and created again under the same name does not inherit sessions. */
  userId: number;
  /** The user's sessionEpoch when the cookie was issued; the session ends once the store's value moves on. */
  epoch: number;
  expiresAt: number;
}

/** Whom a session is issued to, as the users table has them. */
export interface SessionSubject {
  username: string;
  id: number;
  sessionEpoch: number;
}

/**
 * Console sessions as signed cookies: `<username>.<user id>.<session epoch>.<expiry>.<hmac>`. The caller
 * compares the id and epoch with the user row it reads on every request anyway (for the role), so ending
 * sessions (sign-out, a new password) is one counter increment that every replica sharing the store sees
 * at once, with no session table to grow, sweep or read.
 */
export interface SessionCodec {
  issue(subject: SessionSubject, now?: number): { value: string; maxAgeSeconds: number };
  verify(value: string, now?: number): Session | null;
}

const DECIMAL = /^(0|[1-9][0-9]{0,15})$/;

export function createSessionCodec(key: Buffer): SessionCodec {
  const sign = (payload: string) => createHmac("sha256", key).update(payload).digest("base64url");
  return {
    issue({ username, id, sessionEpoch }, now = Date.now()) {
      const user = Buffer.from(username).toString("base64url");
      const payload = `${user}.${id}.${sessionEpoch}.${now + SESSION_TTL_MS}`;
      return { value: `${payload}.${sign(payload)}`, maxAgeSeconds: SESSION_TTL_MS / 1000 };
    },
    verify(value, now = Date.now()) {
      const parts = value.split(".");
      if (parts.length !== 5) return null;
      const [user = "", userId = "", epoch = "", expiry = "", signature = ""] = parts;
      const expected = Buffer.from(sign(parts.slice(0, 4).join(".")));
      const actual = Buffer.from(signature);
      if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) return null;
      if (![userId, epoch, expiry].every((field) => DECIMAL.test(field))) return null;
      const expiresAt = Number(expiry);
      if (!(expiresAt > now)) return null;
      return {
        username: Buffer.from(user, "base64url").toString(),
        userId: Number(userId),
        epoch: Number(epoch),
        expiresAt,
      };
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
