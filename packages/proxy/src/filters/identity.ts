import type { TLSSocket } from "node:tls";
import { UNKNOWN_SOURCE } from "@loom/spec";
import { parseSpiffeId, peerSpiffeId } from "../tls/spiffe.ts";

export interface CallerIdentity {
  /** The caller's service name, or "unknown" for a plaintext caller. */
  source: string;
  /** The full SPIFFE ID, when the caller presented a certificate. */
  spiffeId?: string;
  tls: boolean;
}

const PLAINTEXT: CallerIdentity = { source: UNKNOWN_SOURCE, tls: false };
const cache = new WeakMap<object, CallerIdentity>();

/**
 * Who is calling, read once per connection from the peer certificate's URI SAN
 * (`spiffe://<td>/ns/<ns>/sa/<service>`). Listeners accept only verified certificates, so the chain is trusted here.
 */
export function callerIdentity(socket: object): CallerIdentity {
  const known = cache.get(socket);
  if (known) return known;
  const identity = readIdentity(socket);
  cache.set(socket, identity);
  return identity;
}

function readIdentity(socket: object): CallerIdentity {
  if (!(socket as Partial<TLSSocket>).encrypted) return PLAINTEXT;
  const cert = (socket as TLSSocket).getPeerCertificate();
  const spiffeId = peerSpiffeId(cert);
  const parsed = spiffeId ? parseSpiffeId(spiffeId) : undefined;
  return parsed ? { source: parsed.service, spiffeId, tls: true } : { source: UNKNOWN_SOURCE, tls: true };
}
