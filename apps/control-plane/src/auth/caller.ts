import type { IncomingHttpHeaders } from "node:http";
import type { Role, Store } from "../store/index.ts";
import { readCookie, SESSION_COOKIE, type SessionCodec } from "./sessions.ts";

/** Who is calling the API, and how they proved it. */
export interface Caller {
  via: "session" | "token";
  /** The username, or the API token's name. */
  name: string;
  role: Role;
  /** As written in the audit log and the history. */
  actor: string;
}

/** The token of an `Authorization: Bearer <token>` header; any other Authorization leaves the cookie to decide. */
export function bearerToken(headers: IncomingHttpHeaders): string | undefined {
  return /^Bearer\s+(\S+)$/i.exec(headers.authorization ?? "")?.[1];
}

/**
 * A bearer API token (loomctl) wins over a session cookie (the console). An invalid token yields no caller
 * rather than falling back to the cookie, so a mistake with a token is never silently someone else's session.
 */
export async function resolveCaller(
  headers: IncomingHttpHeaders,
  { store, sessions }: { store: Store; sessions: SessionCodec },
): Promise<Caller | null> {
  const bearer = bearerToken(headers);
  if (bearer !== undefined) {
    const token = await store.apiTokens.verify(bearer);
    return token && { via: "token", name: token.name, role: token.role, actor: `token:${token.name}` };
  }
  const cookie = readCookie(headers.cookie, SESSION_COOKIE);
  const session = cookie === undefined ? null : sessions.verify(cookie);
  if (session === null) return null;
  const user = await store.users.get(session.username);
  // A signed cookie from before a sign-out or a password change, or for an earlier user of the same name.
  if (user === null || user.id !== session.userId || user.sessionEpoch !== session.epoch) return null;
  return { via: "session", name: user.username, role: user.role, actor: `user:${user.username}` };
}
