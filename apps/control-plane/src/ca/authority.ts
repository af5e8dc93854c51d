import { createPrivateKey, X509Certificate as NodeX509Certificate, randomBytes } from "node:crypto";
import { chmod, mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import * as x509 from "@peculiar/x509";
import { crypto, importSigningKey, type SigningKey } from "./signing-key.ts";

/** The CA that signs mesh certificates: its signing certificate and key, and what peers must trust. */
export interface CertificateAuthority {
  certificate: x509.X509Certificate;
  signingKey: SigningKey;
  /** PEM of the certificates between the signing certificate and the root, sent after each leaf. */
  chainPem: string;
  /** PEM roots that every mesh certificate chains to. */
  trustBundlePem: string;
}

/** The operator's own CA: a certificate file (signing certificate first, up to and including the root) and its key. */
export interface OperatorCaFiles {
  certFile: string;
  keyFile: string;
}

export interface OpenCertificateAuthorityOptions {
  /** The control plane's data directory; a generated root is kept in `<dataDir>/ca/`. */
  dataDir: string;
  operatorFiles?: OperatorCaFiles;
}

const ROOT_VALIDITY_MS = 10 * 365 * 24 * 3_600_000;
const ROOT_KEY_ALGORITHM = { name: "ECDSA", namedCurve: "P-256" } as const;
const ROOT_SIGNING_ALGORITHM = { name: "ECDSA", hash: "SHA-256" } as const;

export function generatedRootFiles(dataDir: string): OperatorCaFiles {
  const dir = path.join(dataDir, "ca");
  return { certFile: path.join(dir, "root.crt"), keyFile: path.join(dir, "root.key") };
}

/**
 * Loads the operator's CA, or the root generated on an earlier start, or generates one. A generated root is
 * written to a temporary directory and renamed into place, so two processes starting together on one data
 * directory end up sharing the same root.
 */
export async function openCertificateAuthority(
  options: OpenCertificateAuthorityOptions,
): Promise<CertificateAuthority> {
  if (options.operatorFiles) return loadCertificateAuthority(options.operatorFiles);
  const files = generatedRootFiles(options.dataDir);
  try {
    return await loadCertificateAuthority(files);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  await createRoot(options.dataDir);
  return loadCertificateAuthority(files);
}

async function loadCertificateAuthority(files: OperatorCaFiles): Promise<CertificateAuthority> {
  const certificates = splitPemCertificates(await readFile(files.certFile, "utf8"));
  const [signingCertificate] = certificates;
  if (!signingCertificate) throw new Error(`${files.certFile} holds no certificate`);
  const keyPem = await readFile(files.keyFile, "utf8");
  if (
    !new NodeX509Certificate(signingCertificate.toString("pem")).checkPrivateKey(createPrivateKey(keyPem))
  ) {
    throw new Error(`${files.keyFile} is not the key of the first certificate in ${files.certFile}`);
  }
  const roots = await selfSigned(certificates);
  if (roots.length === 0)
    throw new Error(`${files.certFile} must include its root (self-signed) certificate`);
  const intermediates = certificates.filter((certificate) => !roots.includes(certificate));
  return {
    certificate: signingCertificate,
    signingKey: await importSigningKey(keyPem),
    chainPem: intermediates.map((certificate) => `${certificate.toString("pem")}\n`).join(""),
    trustBundlePem: roots.map((certificate) => `${certificate.toString("pem")}\n`).join(""),
  };
}

async function createRoot(dataDir: string): Promise<void> {
  const keys = await crypto.subtle.generateKey(ROOT_KEY_ALGORITHM, true, ["sign", "verify"]);
  const now = Date.now();
  const root = await x509.X509CertificateGenerator.createSelfSigned(
    {
      name: "CN=Loom Root CA, O=Loom",
      keys,
      signingAlgorithm: ROOT_SIGNING_ALGORITHM,
      notBefore: new Date(now - 60_000),
      notAfter: new Date(now + ROOT_VALIDITY_MS),
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, crypto),
      ],
    },
    crypto,
  );
  const keyPem = x509.PemConverter.encode(
    await crypto.subtle.exportKey("pkcs8", keys.privateKey),
    "PRIVATE KEY",
  );

  const files = generatedRootFiles(dataDir);
  const finalDir = path.dirname(files.certFile);
  const stagingDir = `${finalDir}.staging-${process.pid}-${randomBytes(4).toString("hex")}`;
  await mkdir(stagingDir, { recursive: true, mode: 0o700 });
  await writeFile(path.join(stagingDir, path.basename(files.keyFile)), keyPem, { mode: 0o600 });
  await writeFile(path.join(stagingDir, path.basename(files.certFile)), `${root.toString("pem")}\n`);
  // mkdir's mode is filtered by the umask; the key's directory must not be readable by others either.
  await chmod(stagingDir, 0o700);
  try {
    await rename(stagingDir, finalDir);
  } catch (error) {
    // Another process created the root first: use that one.
    await rm(stagingDir, { recursive: true, force: true });
    if (!["EEXIST", "ENOTEMPTY"].includes((error as NodeJS.ErrnoException).code ?? "")) throw error;
  }
}

export function splitPemCertificates(pem: string): x509.X509Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((block) => new x509.X509Certificate(block));
}

async function selfSigned(certificates: x509.X509Certificate[]): Promise<x509.X509Certificate[]> {
  const flags = await Promise.all(certificates.map((certificate) => certificate.isSelfSigned(crypto)));
  return certificates.filter((_, index) => flags[index]);
}
