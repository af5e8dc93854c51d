import { createPrivateKey, X509Certificate } from "node:crypto";
import { EventEmitter } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";
import tls from "node:tls";
import type { CsrResponse } from "@loom/spec";
import type { TlsMaterial } from "../tls-material.ts";
import { backoffDelayMs } from "../xds-client/backoff.ts";
import { createCertificateRequest, generateMeshKeyPair } from "./key-pair.ts";
import { peerSpiffeId, verifyPeerIdentity } from "./spiffe.ts";

export interface MeshIdentityOptions {
  /** Sends a CSR to the control plane with this proxy's dataplane token (the xds-client does this). */
  requestCertificate(csrPem: string): Promise<CsrResponse>;
  /** Ends create()'s retries; it then rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Hears each failed attempt at the first certificate, before create() retries it. */
  onRetry?(error: unknown): void;
}

interface IssuedCertificate {
  identity: string;
  notAfter: Date;
  /** When the certificate arrived: rotation is timed from here, so a CA that backdates notBefore does not matter. */
  receivedAt: number;
  contextOptions: tls.SecureContextOptions;
  context: tls.SecureContext;
}

/** setTimeout fires at once above 2^31-1 ms; long-lived certificates just renew a little early. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The proxy's managed mesh identity: a key made in this process, a certificate from the control plane's CA,
 * renewed at half its remaining life with a fresh key. Connections established earlier keep the context they
 * started with; new ones get the current one. When renewal fails the current certificate stays in use and
 * renewal is retried with backoff (fail-static).
 */
export class MeshIdentity extends EventEmitter implements TlsMaterial {
  private renewalTimer: NodeJS.Timeout | undefined;
  private failedRenewals = 0;
  private closed = false;

  private constructor(
    private readonly options: MeshIdentityOptions,
    private current: IssuedCertificate,
  ) {
    super();
    this.scheduleRenewal(renewalDelayMs(current));
  }

  /**
   * Resolves with the first certificate in place, retrying with backoff while the control plane refuses or
   * cannot be reached: a proxy without a certificate cannot serve mTLS, so giving up would help nobody.
   */
  static async create(options: MeshIdentityOptions): Promise<MeshIdentity> {
    for (let failures = 0; ; failures += 1) {
      try {
        return new MeshIdentity(options, await obtainCertificate(options.requestCertificate));
      } catch (error) {
        options.signal?.throwIfAborted();
        options.onRetry?.(error);
        // An abort during the wait rejects with the signal's own reason, like one before it.
        await sleep(backoffDelayMs(failures), undefined, { signal: options.signal }).catch(() =>
          options.signal?.throwIfAborted(),
        );
      }
    }
  }

  get identity(): string {
    return this.current.identity;
  }

  get notAfter(): Date {
    return this.current.notAfter;
  }

  serverContext(): tls.SecureContext {
    return this.current.context;
  }

  /**
   * For `server.setSecureContext()` on "rotated": node consults SNICallback (and so `serverContext()`) only
   * when the client sends SNI, which clients dialling an IP address do not; those get the server's default
   * context.
   */
  serverContextOptions(): tls.SecureContextOptions {
    return this.current.contextOptions;
  }

  clientOptions(expectedIdentity: string): tls.ConnectionOptions {
    return {
      secureContext: this.current.context,
      rejectUnauthorized: true,
      checkServerIdentity: (_host, certificate) => verifyPeerIdentity(certificate, expectedIdentity),
    };
  }

  /** Renews now instead of at half-life (e.g. after the trust bundle changed). */
  async renew(): Promise<void> {
    clearTimeout(this.renewalTimer);
    try {
      this.current = await obtainCertificate(this.options.requestCertificate);
      this.failedRenewals = 0;
      this.scheduleRenewal(renewalDelayMs(this.current));
      this.emit("rotated", this.current.identity, this.current.notAfter);
    } catch (error) {
      this.failedRenewals += 1;
      this.scheduleRenewal(backoffDelayMs(this.failedRenewals));
      this.emit("renewalFailed", error);
    }
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.renewalTimer);
  }

  private scheduleRenewal(delayMs: number): void {
    if (this.closed) return;
    this.renewalTimer = setTimeout(() => void this.renew(), Math.min(delayMs, MAX_TIMER_MS));
    this.renewalTimer.unref();
  }
}

function renewalDelayMs(certificate: IssuedCertificate): number {
  return Math.max(0, (certificate.notAfter.getTime() - certificate.receivedAt) / 2);
}

async function obtainCertificate(
  requestCertificate: MeshIdentityOptions["requestCertificate"],
): Promise<IssuedCertificate> {
  const keyPair = await generateMeshKeyPair();
  const response = await requestCertificate(await createCertificateRequest(keyPair));
  const receivedAt = Date.now();
  const leaf = new X509Certificate(response.certificateChainPem);
  if (!leaf.checkPrivateKey(createPrivateKey(keyPair.privateKeyPem))) {
    throw new Error("the control plane issued a certificate for a different key than this proxy's CSR");
  }
  const identity = peerSpiffeId({ subjectaltname: leaf.subjectAltName });
  if (identity === undefined) throw new Error("the issued certificate carries no SPIFFE ID");
  const contextOptions = {
    key: keyPair.privateKeyPem,
    cert: response.certificateChainPem,
    ca: response.trustBundlePem,
  };
  return {
    identity,
    notAfter: new Date(leaf.validTo),
    receivedAt,
    contextOptions,
    context: tls.createSecureContext(contextOptions),
  };
}
