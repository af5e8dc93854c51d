import { createPrivateKey, webcrypto } from "node:crypto";

export const crypto = webcrypto;

export interface SigningKey {
  privateKey: webcrypto.CryptoKey;
  algorithm: webcrypto.AlgorithmIdentifier | webcrypto.EcdsaParams;
}

const WEBCRYPTO_CURVES: Record<string, "P-256" | "P-384"> = { prime256v1: "P-256", secp384r1: "P-384" };

/**
 * Imports a CA key as a non-extractable WebCrypto key, so nothing later in the process can export (or log)
 * it. Accepts what operators have: PKCS#8, SEC1 ("EC PRIVATE KEY") or PKCS#1 ("RSA PRIVATE KEY") PEM.
 */
export async function importSigningKey(pem: string): Promise<SigningKey> {
  const key = createPrivateKey(pem);
  const pkcs8 = key.export({ type: "pkcs8", format: "der" });
  if (key.asymmetricKeyType === "ec") {
    const namedCurve = WEBCRYPTO_CURVES[key.asymmetricKeyDetails?.namedCurve ?? ""];
    if (!namedCurve) throw new Error("the CA key must be on curve P-256 or P-384");
    const privateKey = await crypto.subtle.importKey("pkcs8", pkcs8, { name: "ECDSA", namedCurve }, false, [
      "sign",
    ]);
    return { privateKey, algorithm: { name: "ECDSA", hash: namedCurve === "P-384" ? "SHA-384" : "SHA-256" } };
  }
  if (key.asymmetricKeyType === "rsa") {
    const algorithm = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
    const privateKey = await crypto.subtle.importKey("pkcs8", pkcs8, algorithm, false, ["sign"]);
    return { privateKey, algorithm };
  }
  throw new Error(`the CA key must be an EC or RSA key, not ${key.asymmetricKeyType}`);
}
