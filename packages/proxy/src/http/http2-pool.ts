import http2 from "node:http2";
import { dial, type PoolOptions } from "./dial.ts";

/** One multiplexed HTTP/2 session per upstream, opened on first use and again after it closes. */
const sessions = new Map<string, http2.ClientHttp2Session>();

function keyOf(options: PoolOptions): string {
  return `${options.host}:${options.port}|${options.tls?.expectedIdentity ?? "plaintext"}`;
}

export function http2Session(options: PoolOptions): http2.ClientHttp2Session {
  const key = keyOf(options);
  const existing = sessions.get(key);
  if (existing && !existing.closed && !existing.destroyed) return existing;
  const scheme = options.tls ? "https" : "http";
  const session = http2.connect(`${scheme}://${options.host}:${options.port}`, {
    createConnection: () => dial({ ...options, alpn: ["h2"] }),
  });
  session.on("error", () => session.destroy());
  session.once("goaway", () => sessions.delete(key));
  session.once("close", () => {
    if (sessions.get(key) === session) sessions.delete(key);
  });
  session.setTimeout(options.idleTimeoutMs, () => session.close());
  sessions.set(key, session);
  return session;
}

export function closeHttp2Session(options: PoolOptions): void {
  const key = keyOf(options);
  sessions.get(key)?.close();
  sessions.delete(key);
}

export function closeAllHttp2Sessions(): void {
  for (const session of sessions.values()) session.close();
  sessions.clear();
}
