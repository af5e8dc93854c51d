import { webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";

const KEY_ALGORITHM = { name: "ECDSA", namedCurve: "P-256" } as const;
const SIGNING_ALGORITHM = { name: "ECDSA", hash: "SHA-256" } as const;
const crypto = webcrypto;

export interface MeshKeyPair {
  keys: webcrypto.CryptoKeyPair;
  /** PKCS#8 PEM for node's TLS contexts; it lives only in this process's memory. */
  privateKeyPem: string;
}

export async function generateMeshKeyPair(): Promise<MeshKeyPair> {
  const keys = await crypto.subtle.generateKey(KEY_ALGORITHM, true, ["sign", "verify"]);
  const pkcs8 = await crypto.subtle.exportKey("pkcs8", keys.privateKey);
  return {
    keys,
    privateKeyPem: x509.PemConverter.encode(pkcs8, "PRIVATE KEY"),
  };
}

/**
 * A CSR for this proxy's key. It names no identity: the CA derives the identity from the dataplane token,
 * so there is nothing here a proxy could use to ask for someone else's.
 */
export async function createCertificateRequest(keyPair: MeshKeyPair): Promise<string> {
  const csr = await x509.Pkcs10CertificateRequestGenerator.create(
    { keys: keyPair.keys, signingAlgorithm: SIGNING_ALGORITHM },
    crypto,
  );
  return csr.toString("pem");
}
