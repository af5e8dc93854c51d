import { readFile, stat, writeFile } from "node:fs/promises";
import https from "node:https";
import path from "node:path";
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import {
  CsrRejectedError,
  generatedRootFiles,
  issueServerCertificate,
  openCertificateAuthority,
  signWorkloadCsr,
} from "../../src/ca/index.ts";
import { certificateText, openssl, opensslCsr, tempDir, verifyChain } from "./openssl.ts";

const WEB = "spiffe://loom.local/ns/default/sa/web";
const PAYMENTS = "spiffe://loom.local/ns/default/sa/payments";

describe("root CA", () => {
  it("is generated on first start, kept across restarts, with a 0600 key in a 0700 directory", async () => {
    const dataDir = await tempDir();
    const first = await openCertificateAuthority({ dataDir });
    const second = await openCertificateAuthority({ dataDir });
    expect(second.trustBundlePem).toBe(first.trustBundlePem);

    const files = generatedRootFiles(dataDir);
    expect((await stat(files.keyFile)).mode & 0o777).toBe(0o600);
    expect((await stat(path.dirname(files.keyFile))).mode & 0o777).toBe(0o700);
    const text = await certificateText(dataDir, first.trustBundlePem);
    expect(text).toContain("CA:TRUE");
    expect(text).toContain("Certificate Sign");
  });

  it("gives processes starting together on one data directory the same root", async () => {
    const dataDir = await tempDir();
    const opened = await Promise.all([1, 2, 3, 4].map(() => openCertificateAuthority({ dataDir })));
    expect(new Set(opened.map((ca) => ca.trustBundlePem)).size).toBe(1);
  });

  it("keeps its key out of logs: the key is a non-extractable WebCrypto key", async () => {
    const dataDir = await tempDir();
    const ca = await openCertificateAuthority({ dataDir });
    const keyPem = await readFile(generatedRootFiles(dataDir).keyFile, "utf8");
    const keyBody = keyPem.split("\n")[1] ?? "";
    expect(ca.signingKey.privateKey.extractable).toBe(false);
    expect(inspect(ca, { depth: 10 })).not.toContain(keyBody);
    expect(JSON.stringify(ca)).not.toContain(keyBody);
  });

  it("loads the operator's CA (openssl-made root and intermediate) and chains leaves through it", async () => {
    const dir = await tempDir();
    const f = (name: string) => path.join(dir, name);
    await openssl(
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-keyout",
      f("root.key"),
      "-subj",
      "/CN=Operator Root",
      "-days",
      "30",
      "-out",
      f("root.crt"),
      "-addext",
      "basicConstraints=critical,CA:TRUE",
      "-addext",
      "keyUsage=critical,keyCertSign,cRLSign",
    );
    await openssl(
      "req",
      "-new",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-384",
      "-nodes",
      "-keyout",
      f("int.key"),
      "-subj",
      "/CN=Operator Intermediate",
      "-out",
      f("int.csr"),
    );
    await writeFile(
      f("int.ext"),
      "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n",
    );
    await openssl(
      "x509",
      "-req",
      "-in",
      f("int.csr"),
      "-CA",
      f("root.crt"),
      "-CAkey",
      f("root.key"),
      "-CAcreateserial",
      "-days",
      "30",
      "-extfile",
      f("int.ext"),
      "-out",
      f("int.crt"),
    );
    // SEC1 ("EC PRIVATE KEY") is what many operators have on disk.
    await openssl("ec", "-in", f("int.key"), "-out", f("int-sec1.key"));
    await writeFile(
      f("bundle.crt"),
      (await readFile(f("int.crt"), "utf8")) + (await readFile(f("root.crt"), "utf8")),
    );

    const ca = await openCertificateAuthority({
      dataDir: dir,
      operatorFiles: { certFile: f("bundle.crt"), keyFile: f("int-sec1.key") },
    });
    expect(ca.trustBundlePem).toContain((await readFile(f("root.crt"), "utf8")).trim().split("\n")[1]);
    const { csrPem } = await opensslCsr(dir);
    const issued = await signWorkloadCsr(ca, { csrPem, identity: WEB });
    expect(await verifyChain(dir, issued.certificateChainPem, ca.trustBundlePem)).toContain(": OK");
  });

  it("refuses an operator key that does not match the certificate", async () => {
    const dir = await tempDir();
    const f = (name: string) => path.join(dir, name);
    await openssl(
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-keyout",
      f("a.key"),
      "-subj",
      "/CN=A",
      "-days",
      "1",
      "-out",
      f("a.crt"),
    );
    await openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", f("b.key"));
    await expect(
      openCertificateAuthority({
        dataDir: dir,
        operatorFiles: { certFile: f("a.crt"), keyFile: f("b.key") },
      }),
    ).rejects.toThrow(/is not the key of the first certificate/);
  });
});

describe("workload certificates", () => {
  it("carry the SPIFFE URI SAN, a short TTL, client and server auth, and verify with openssl", async () => {
    const dir = await tempDir();
    const ca = await openCertificateAuthority({ dataDir: dir });
    const { csrPem } = await opensslCsr(dir);
    const before = Date.now();
    const issued = await signWorkloadCsr(ca, { csrPem, identity: WEB, ttlMs: 60_000 });

    expect(await verifyChain(dir, issued.certificateChainPem, ca.trustBundlePem)).toContain(": OK");
    const text = await certificateText(dir, issued.certificateChainPem);
    expect(text).toContain(`URI:${WEB}`);
    expect(text).toContain("CA:FALSE");
    expect(text).toContain("TLS Web Server Authentication, TLS Web Client Authentication");
    expect(issued.notAfter.getTime() - before).toBeGreaterThanOrEqual(59_000);
    expect(issued.notAfter.getTime() - before).toBeLessThanOrEqual(61_000);
    expect(issued.serial).toMatch(/^[0-9a-f]+$/);
    expect(text.replace(/:/g, "")).toContain(issued.serial);
  });

  it("default to the timer's TTL (24 h in production)", async () => {
    const dir = await tempDir();
    const ca = await openCertificateAuthority({ dataDir: dir });
    const { csrPem } = await opensslCsr(dir);
    const issued = await signWorkloadCsr(ca, { csrPem, identity: WEB });
    const expected = process.env.LOOM_TEST_MODE === "1" ? 20_000 : 24 * 3_600_000;
    expect(Math.abs(issued.notAfter.getTime() - Date.now() - expected)).toBeLessThan(2_000);
  });

  it("accept a CSR that asks for the token's own identity", async () => {
    const dir = await tempDir();
    const ca = await openCertificateAuthority({ dataDir: dir });
    const { csrPem } = await opensslCsr(dir, { subjectAltName: `URI:${WEB}` });
    await expect(signWorkloadCsr(ca, { csrPem, identity: WEB })).resolves.toMatchObject({ identity: WEB });
  });

  it("refuse a CSR that asks for another identity than the token's", async () => {
    const dir = await tempDir();
    const ca = await openCertificateAuthority({ dataDir: dir });
    const { csrPem } = await opensslCsr(dir, { subjectAltName: `URI:${PAYMENTS}` });
    const attempt = signWorkloadCsr(ca, { csrPem, identity: WEB });
    await expect(attempt).rejects.toBeInstanceOf(CsrRejectedError);
    await expect(attempt).rejects.toThrow(
      `the CSR asks for ${PAYMENTS} but this dataplane token yields only ${WEB}`,
    );
  });

  it("refuse a CSR whose signature does not verify, an RSA key, and garbage", async () => {
    const dir = await tempDir();
    const ca = await openCertificateAuthority({ dataDir: dir });
    const { csrPem } = await opensslCsr(dir);
    const der = Buffer.from(csrPem.replace(/-----[A-Z ]+-----|\s/g, ""), "base64");
    der[der.length - 3] = (der[der.length - 3] ?? 0) ^ 0xff;
    const tampered = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString("base64")}\n-----END CERTIFICATE REQUEST-----`;
    await expect(signWorkloadCsr(ca, { csrPem: tampered, identity: WEB })).rejects.toThrow(
      /signature does not verify|not a PEM PKCS#10/,
    );

    const rsa = await opensslCsr(dir, { key: "rsa" });
    await expect(signWorkloadCsr(ca, { csrPem: rsa.csrPem, identity: WEB })).rejects.toThrow(/ECDSA/);
    await expect(
      signWorkloadCsr(ca, {
        csrPem: "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----",
        identity: WEB,
      }),
    ).rejects.toThrow(/not a PEM PKCS#10/);
  });

  it("never outlive the CA", async () => {
    const dir = await tempDir();
    const ca = await openCertificateAuthority({ dataDir: dir });
    const { csrPem } = await opensslCsr(dir);
    const issued = await signWorkloadCsr(ca, { csrPem, identity: WEB, ttlMs: 100 * 365 * 24 * 3_600_000 });
    expect(issued.notAfter.getTime()).toBeLessThanOrEqual(ca.certificate.notAfter.getTime());
  });
});

describe("control plane server certificate", () => {
  it("serves HTTPS on 127.0.0.1 and localhost to clients trusting only the mesh root", async () => {
    const dir = await tempDir();
    const ca = await openCertificateAuthority({ dataDir: dir });
    const tlsMaterial = await issueServerCertificate(ca, {
      hosts: ["127.0.0.1", "localhost"],
      ttlMs: 3_600_000,
    });
    const server = https.createServer(
      { cert: tlsMaterial.certificateChainPem, key: tlsMaterial.privateKeyPem },
      (_req, res) => res.end("ok"),
    );
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as { port: number };
    try {
      // Connecting to 127.0.0.1 checks the IP SAN; the same with servername "localhost" checks the DNS SAN.
      for (const servername of [undefined, "localhost"]) {
        const body = await new Promise<string>((resolve, reject) => {
          https
            .get({ host: "127.0.0.1", servername, port, ca: ca.trustBundlePem, agent: false }, (res) => {
              res.setEncoding("utf8");
              let text = "";
              res.on("data", (chunk) => (text += chunk));
              res.on("end", () => resolve(text));
            })
            .on("error", reject);
        });
        expect(body).toBe("ok");
      }
    } finally {
      server.close();
    }
  });
});
