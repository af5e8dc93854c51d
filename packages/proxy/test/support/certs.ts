import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface KeyPairFiles {
  certFile: string;
  keyFile: string;
}

const EC_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];

/** A root CA made with the openssl CLI, as an operator would. */
export async function makeCa(dir: string, name: string): Promise<KeyPairFiles> {
  const certFile = path.join(dir, `${name}.crt`);
  const keyFile = path.join(dir, `${name}.key`);
  await run("openssl", [
    "req",
    "-x509",
    ...EC_KEY,
    "-keyout",
    keyFile,
    "-out",
    certFile,
    "-subj",
    `/CN=${name}`,
    "-days",
    "1",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  ]);
  return { certFile, keyFile };
}

/** A workload certificate with `uri` as its only URI SAN, signed by `ca` (or self-signed without one). */
export async function makeLeaf(
  dir: string,
  name: string,
  uri: string,
  ca?: KeyPairFiles,
): Promise<KeyPairFiles> {
  const certFile = path.join(dir, `${name}.crt`);
  const keyFile = path.join(dir, `${name}.key`);
  const configFile = path.join(dir, `${name}.cnf`);
  await writeFile(
    configFile,
    [
      "[req]",
      "distinguished_name=dn",
      "[dn]",
      "[leaf]",
      `subjectAltName=URI:${uri}`,
      "basicConstraints=CA:FALSE",
      "keyUsage=critical,digitalSignature,keyEncipherment",
      "extendedKeyUsage=serverAuth,clientAuth",
    ].join("\n"),
  );
  const subject = ["-subj", `/CN=${name}`, "-days", "1"];
  if (!ca) {
    await run("openssl", [
      "req",
      "-x509",
      ...EC_KEY,
      "-keyout",
      keyFile,
      "-out",
      certFile,
      ...subject,
      "-config",
      configFile,
      "-extensions",
      "leaf",
    ]);
    return { certFile, keyFile };
  }
  const csrFile = path.join(dir, `${name}.csr`);
  await run("openssl", [
    "req",
    "-new",
    ...EC_KEY,
    "-keyout",
    keyFile,
    "-out",
    csrFile,
    "-subj",
    `/CN=${name}`,
    "-config",
    configFile,
  ]);
  await run("openssl", [
    "x509",
    "-req",
    "-in",
    csrFile,
    "-CA",
    ca.certFile,
    "-CAkey",
    ca.keyFile,
    // A serial of our own: -CAcreateserial shares one serial file, which races when leaves are made in parallel.
    "-set_serial",
    `0x${randomBytes(8).toString("hex")}`,
    "-out",
    certFile,
    "-days",
    "1",
    "-extfile",
    configFile,
    "-extensions",
    "leaf",
  ]);
  return { certFile, keyFile };
}
