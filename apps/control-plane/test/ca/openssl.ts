import { execFile } from "node:child_process";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export async function openssl(...args: string[]): Promise<string> {
  const { stdout, stderr } = await run("openssl", args);
  return stdout + stderr;
}

export function tempDir(): Promise<string> {
  return mkdtemp(path.join(tmpdir(), "loom-ca-test-"));
}

/** A key and CSR made by openssl, so the CA is tested against an independent implementation. */
export async function opensslCsr(
  dir: string,
  options: { subjectAltName?: string; key?: "ec" | "rsa" } = {},
): Promise<{ csrPem: string; keyFile: string }> {
  const keyFile = path.join(dir, `key-${Math.random().toString(36).slice(2)}.pem`);
  const csrFile = `${keyFile}.csr`;
  const keyArgs =
    options.key === "rsa"
      ? ["-newkey", "rsa:2048"]
      : ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"];
  const sanArgs = options.subjectAltName ? ["-addext", `subjectAltName=${options.subjectAltName}`] : [];
  await openssl(
    "req",
    "-new",
    ...keyArgs,
    "-nodes",
    "-keyout",
    keyFile,
    "-subj",
    "/O=test",
    ...sanArgs,
    "-out",
    csrFile,
  );
  return { csrPem: await readFile(csrFile, "utf8"), keyFile };
}

/** `openssl verify` of a leaf against roots, with any intermediates from the chain as untrusted. */
export async function verifyChain(dir: string, chainPem: string, trustBundlePem: string): Promise<string> {
  const chainFile = path.join(dir, `chain-${Math.random().toString(36).slice(2)}.pem`);
  const caFile = `${chainFile}.ca`;
  await writeFile(chainFile, chainPem);
  await writeFile(caFile, trustBundlePem);
  return openssl("verify", "-CAfile", caFile, "-untrusted", chainFile, chainFile);
}

export async function certificateText(dir: string, pem: string): Promise<string> {
  const file = path.join(dir, `cert-${Math.random().toString(36).slice(2)}.pem`);
  await writeFile(file, pem);
  return openssl("x509", "-in", file, "-noout", "-text");
}
