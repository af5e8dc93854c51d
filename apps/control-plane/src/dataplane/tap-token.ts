import { createHash, createHmac } from "node:crypto";
import { readFile } from "node:fs/promises";

/**
 * The key each proxy's admin /tap token is derived from: a hash of the mesh CA's private key, which every
 * replica holds already (HA replicas share the operator's CA), so no new secret has to be stored or shared,
 * and the tokens survive restarts.
 */
export async function loadTapSecret(caKeyFile: string): Promise<Buffer> {
  const keyPem = await readFile(caKeyFile);
  return createHash("sha256").update("loom tap token key\0").update(keyPem).digest();
}

/** The bearer token the control plane gives a proxy at registration and presents to that proxy's /tap. */
export function tapTokenFor(secret: Buffer, dataplaneId: number): string {
  return `loom_tap_${createHmac("sha256", secret).update(`dataplane:${dataplaneId}`).digest("base64url")}`;
}
