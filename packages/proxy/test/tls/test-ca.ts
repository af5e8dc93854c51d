import { webcrypto } from "node:crypto";
import type { CsrResponse } from "@loom/spec";
import * as x509 from "@peculiar/x509";

const crypto = webcrypto;
const ALGORITHM = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };

/**
 * A minimal CA standing in for the control plane's (a package's tests do not import an app): signs any CSR
 * for the identity it is told, with a short TTL, and can be made to fail to exercise fail-static renewal.
 */
export class TestCa {
  issued = 0;
  failing = false;
  /** Signs this key instead of the CSR's, to check the proxy refuses a certificate for someone else's key. */
  substituteKey: webcrypto.CryptoKey | undefined;

  private constructor(
    private readonly keys: webcrypto.CryptoKeyPair,
    readonly root: x509.X509Certificate,
  ) {}

  static async create(): Promise<TestCa> {
    const keys = await crypto.subtle.generateKey(ALGORITHM, false, ["sign", "verify"]);
    const root = await x509.X509CertificateGenerator.createSelfSigned(
      {
        name: "CN=Test Root",
        keys,
        signingAlgorithm: ALGORITHM,
        notAfter: new Date(Date.now() + 3_600_000),
        extensions: [new x509.BasicConstraintsExtension(true, undefined, true)],
      },
      crypto,
    );
    return new TestCa(keys, root);
  }

  get trustBundlePem(): string {
    return this.root.toString("pem");
  }

  async sign(csrPem: string, identity: string, ttlMs: number): Promise<CsrResponse> {
    if (this.failing) throw new Error("control plane unreachable");
    const csr = new x509.Pkcs10CertificateRequest(csrPem);
    if (!(await csr.verify(crypto))) throw new Error("bad CSR signature");
    const notAfter = new Date(Date.now() + ttlMs);
    const leaf = await x509.X509CertificateGenerator.create(
      {
        issuer: this.root.subject,
        publicKey: this.substituteKey ?? (await csr.publicKey.export(crypto)),
        signingKey: this.keys.privateKey,
        signingAlgorithm: ALGORITHM,
        notBefore: new Date(Date.now() - 1_000),
        notAfter,
        extensions: [new x509.SubjectAlternativeNameExtension([{ type: "url", value: identity }], true)],
      },
      crypto,
    );
    this.issued += 1;
    return {
      certificateChainPem: leaf.toString("pem"),
      trustBundlePem: this.trustBundlePem,
      notAfter: notAfter.toISOString(),
    };
  }
}
