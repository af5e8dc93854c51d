import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import tls from "node:tls";
import { peerSpiffeId, verifyPeerIdentity } from "./tls/spiffe.ts";

/**
 * The mesh identity a proxy presents and verifies. Standalone mode reads it from files
 * (`FileTlsMaterial`); managed mode gets it from the CA and rotates it (src/tls/ implements this there).
 * Listeners and pools read it per new connection, so a rotated certificate applies without dropping any.
 */
export interface TlsMaterial {
  /** This proxy's SPIFFE ID. */
  readonly identity: string;
  /** When the current certificate expires (for the certificate-expiry metric). */
  readonly notAfter: Date;
  /** Server side of inbound mTLS: this proxy's certificate and the roots callers must chain to. */
  serverContext(): tls.SecureContext;
  /** The same as options, for `tls.Server#setSecureContext`; read again whenever serverContext() changes. */
  serverContextOptions(): tls.SecureContextOptions;
  /** Options to dial a peer proxy whose certificate must carry `expectedIdentity` as URI SAN. */
  clientOptions(expectedIdentity: string): tls.ConnectionOptions;
}

export interface TlsFiles {
  certFile: string;
  keyFile: string;
  caFile: string;
}

/** Static certificate, key and roots read once from files (standalone mode). */
export class FileTlsMaterial implements TlsMaterial {
  readonly identity: string;
  readonly notAfter: Date;
  private readonly options: tls.SecureContextOptions;
  private readonly context: tls.SecureContext;

  constructor(files: TlsFiles) {
    const cert = readFileSync(files.certFile, "utf8");
    const key = readFileSync(files.keyFile, "utf8");
    const ca = readFileSync(files.caFile, "utf8");
    const leaf = new X509Certificate(cert);
    const identity = peerSpiffeId({ subjectaltname: leaf.subjectAltName });
    if (!identity) throw new Error(`${files.certFile} carries no SPIFFE URI SAN`);
    this.identity = identity;
    this.notAfter = new Date(leaf.validTo);
    this.options = { cert, key, ca };
    this.context = tls.createSecureContext(this.options);
  }

  serverContext(): tls.SecureContext {
    return this.context;
  }

  serverContextOptions(): tls.SecureContextOptions {
    return this.options;
  }

  clientOptions(expectedIdentity: string): tls.ConnectionOptions {
    return {
      secureContext: this.context,
      rejectUnauthorized: true,
      checkServerIdentity: (_host, cert) => verifyPeerIdentity(cert, expectedIdentity),
    };
  }
}
