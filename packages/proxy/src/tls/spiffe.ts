import type { PeerCertificate } from "node:tls";

/** What a mesh identity names: `spiffe://<trust-domain>/ns/<namespace>/sa/<service>`. */
export interface SpiffeIdentity {
  trustDomain: string;
  namespace: string;
  service: string;
}

const SPIFFE_ID_PATTERN = /^spiffe:\/\/([^/]+)\/ns\/([^/]+)\/sa\/([^/]+)$/;

export function spiffeId(trustDomain: string, namespace: string, service: string): string {
  return `spiffe://${trustDomain}/ns/${namespace}/sa/${service}`;
}

export function parseSpiffeId(id: string): SpiffeIdentity | undefined {
  const match = SPIFFE_ID_PATTERN.exec(id);
  if (!match) return undefined;
  const [, trustDomain, namespace, service] = match as unknown as [string, string, string, string];
  return { trustDomain, namespace, service };
}

/**
 * The URI SANs of a certificate as node reports them. Node joins SANs with ", " and JSON-quotes a value
 * that contains characters such as ',' (CVE-2021-44532), so quoted values are decoded rather than split.
 */
function uriSans(subjectAltName: string | undefined): string[] {
  if (!subjectAltName) return [];
  const entries = subjectAltName.match(/[A-Za-z ]+:(?:"(?:[^"\\]|\\.)*"|[^,]*)/g) ?? [];
  return entries
    .map((entry) => entry.trim())
    .filter((entry) => entry.startsWith("URI:"))
    .map((entry) => entry.slice("URI:".length))
    .map((value) => (value.startsWith('"') ? (JSON.parse(value) as string) : value));
}

/** The SPIFFE ID a peer presented, or undefined when its certificate carries none (or is absent). */
export function peerSpiffeId(
  certificate: Pick<PeerCertificate, "subjectaltname"> | undefined,
): string | undefined {
  // A SPIFFE X.509-SVID carries exactly one URI SAN; more than one is not a valid SVID.
  const spiffeUris = uriSans(certificate?.subjectaltname).filter((uri) => uri.startsWith("spiffe://"));
  return spiffeUris.length === 1 ? spiffeUris[0] : undefined;
}

export class PeerIdentityError extends Error {
  readonly code = "ERR_LOOM_PEER_IDENTITY";
  constructor(
    readonly expected: string,
    readonly presented: string | undefined,
  ) {
    super(
      presented === undefined
        ? `upstream certificate carries no SPIFFE ID; expected ${expected}`
        : `upstream presented identity ${presented}, expected ${expected}`,
    );
    this.name = "PeerIdentityError";
  }
}

/**
 * Checks that a peer is the identity we meant to reach. Shaped like `tls.checkServerIdentity`, so it can
 * replace the hostname check: in the mesh the SPIFFE ID, not the address, says who the peer is.
 */
export function verifyPeerIdentity(
  certificate: Pick<PeerCertificate, "subjectaltname"> | undefined,
  expected: string,
): PeerIdentityError | undefined {
  const presented = peerSpiffeId(certificate);
  return presented === expected ? undefined : new PeerIdentityError(expected, presented);
}
