import type { webcrypto } from "node:crypto";
import { isIP } from "node:net";
import { timer } from "@loom/spec";
import * as x509 from "@peculiar/x509";
import type { CertificateAuthority } from "./authority.ts";
import { crypto } from "./signing-key.ts";

export interface IssuedCertificate {
  serial: string;
  identity: string;
  notBefore: Date;
  notAfter: Date;
  /** Leaf first, then the CA's intermediates. */
  certificateChainPem: string;
}

/** A CSR the CA will not sign; the message is safe to return to the caller. */
export class CsrRejectedError extends Error {
  override name = "CsrRejectedError";
}

/** Workload keys the CA accepts: what the proxy generates, and the stronger curve. */
const ACCEPTED_CURVES = ["P-256", "P-384"];

/**
 * Signs a proxy's CSR for `identity`. The identity comes from the caller's dataplane token, never from the
 * CSR: a CSR that asks for any other SPIFFE ID is refused rather than silently re-labelled, so a stolen or
 * misused token shows up as an error.
 */
export async function signWorkloadCsr(
  ca: CertificateAuthority,
  request: { csrPem: string; identity: string; ttlMs?: number; now?: Date },
): Promise<IssuedCertificate> {
  const csr = parseCsr(request.csrPem);
  if (!(await csr.verify(crypto))) throw new CsrRejectedError("the CSR's signature does not verify");
  const keyAlgorithm = csr.publicKey.algorithm as webcrypto.EcKeyAlgorithm;
  if (keyAlgorithm.name !== "ECDSA" || !ACCEPTED_CURVES.includes(keyAlgorithm.namedCurve)) {
    throw new CsrRejectedError("the CSR's key must be ECDSA on P-256 or P-384");
  }
  const foreignUris = requestedUris(csr).filter((uri) => uri !== request.identity);
  if (foreignUris.length > 0) {
    throw new CsrRejectedError(
      `the CSR asks for ${foreignUris.join(", ")} but this dataplane token yields only ${request.identity}`,
    );
  }

  const { notBefore, notAfter } = validity(ca, request.ttlMs ?? timer("certificateTtlMs"), request.now);
  const publicKey = await csr.publicKey.export(crypto);
  const leaf = await x509.X509CertificateGenerator.create(
    {
      issuer: ca.certificate.subject,
      publicKey,
      signingKey: ca.signingKey.privateKey,
      signingAlgorithm: ca.signingKey.algorithm,
      notBefore,
      notAfter,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([
          x509.ExtendedKeyUsage.serverAuth,
          x509.ExtendedKeyUsage.clientAuth,
        ]),
        // The subject is empty (SPIFFE identifies by the URI SAN alone), so RFC 5280 wants the SAN critical.
        new x509.SubjectAlternativeNameExtension([{ type: "url", value: request.identity }], true),
        await x509.SubjectKeyIdentifierExtension.create(publicKey, false, crypto),
        await x509.AuthorityKeyIdentifierExtension.create(ca.certificate, false, crypto),
      ],
    },
    crypto,
  );
  return {
    serial: leaf.serialNumber,
    identity: request.identity,
    notBefore,
    notAfter,
    certificateChainPem: `${leaf.toString("pem")}\n${ca.chainPem}`,
  };
}

/** The control plane's own HTTPS certificate; its key is made here and handed to node's TLS server. */
export async function issueServerCertificate(
  ca: CertificateAuthority,
  request: { hosts: string[]; ttlMs: number },
): Promise<{ certificateChainPem: string; privateKeyPem: string; notAfter: Date }> {
  const keys = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, [
    "sign",
    "verify",
  ]);
  const { notBefore, notAfter } = validity(ca, request.ttlMs);
  const certificate = await x509.X509CertificateGenerator.create(
    {
      subject: "CN=loom-control-plane",
      issuer: ca.certificate.subject,
      publicKey: keys.publicKey,
      signingKey: ca.signingKey.privateKey,
      signingAlgorithm: ca.signingKey.algorithm,
      notBefore,
      notAfter,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension(
          request.hosts.map((host) => ({ type: isIP(host) ? "ip" : "dns", value: host })),
        ),
        await x509.AuthorityKeyIdentifierExtension.create(ca.certificate, false, crypto),
      ],
    },
    crypto,
  );
  return {
    certificateChainPem: `${certificate.toString("pem")}\n${ca.chainPem}`,
    privateKeyPem: x509.PemConverter.encode(
      await crypto.subtle.exportKey("pkcs8", keys.privateKey),
      "PRIVATE KEY",
    ),
    notAfter,
  };
}

function parseCsr(pem: string): x509.Pkcs10CertificateRequest {
  try {
    return new x509.Pkcs10CertificateRequest(pem);
  } catch {
    throw new CsrRejectedError("not a PEM PKCS#10 certificate request");
  }
}

function requestedUris(csr: x509.Pkcs10CertificateRequest): string[] {
  return csr.extensions
    .filter((extension) => extension instanceof x509.SubjectAlternativeNameExtension)
    .flatMap((extension) => extension.names.items)
    .filter((name) => name.type === "url")
    .map((name) => name.value);
}

/** Backdated a little for clock skew between hosts, and never past the CA's own expiry. */
function validity(ca: CertificateAuthority, ttlMs: number, now = new Date()) {
  const notBefore = new Date(now.getTime() - Math.min(10_000, ttlMs / 10));
  const notAfter = new Date(Math.min(now.getTime() + ttlMs, ca.certificate.notAfter.getTime()));
  return { notBefore, notAfter };
}
