import { execFile } from "node:child_process";
import { freePort, useProcesses } from "@loom/test-harness";
import { beforeAll, describe, expect, it } from "vitest";
import { type KeyPairFiles, makeCa, makeLeaf } from "./support/certs.ts";
import {
  endpoint,
  type RunningApp,
  type RunningProxy,
  request,
  snapshot,
  startApp,
  startProxy,
  tempDir,
} from "./support/mesh.ts";

useProcesses();

const WEB_ID = "spiffe://loom.local/ns/default/sa/web";
const BACKEND_ID = "spiffe://loom.local/ns/default/sa/backend";

interface CommandResult {
  code: number;
  stdout: string;
}

function runCommand(command: string, args: string[], input = ""): Promise<CommandResult> {
  return new Promise((resolve) => {
    const child = execFile(command, args, { timeout: 10_000 }, (error, stdout) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout }),
    );
    // A refused client (openssl s_client) can exit before reading its stdin; EPIPE then is expected.
    child.stdin?.on("error", () => {});
    child.stdin?.end(input);
  });
}

/** curl as an outside client; -k because only the proxy's judgement of the client is under test here. */
function curl(url: string, client?: KeyPairFiles): Promise<CommandResult> {
  const certArgs = client ? ["--cert", client.certFile, "--key", client.keyFile] : [];
  return runCommand("curl", ["-sk", "--max-time", "5", "-o", "-", "-w", "%{http_code}", ...certArgs, url]);
}

/** openssl s_client sends one HTTP request and prints whatever comes back. */
function sClient(port: number, client?: KeyPairFiles): Promise<CommandResult> {
  const certArgs = client ? ["-cert", client.certFile, "-key", client.keyFile] : [];
  return runCommand(
    "openssl",
    ["s_client", "-connect", `127.0.0.1:${port}`, "-quiet", ...certArgs],
    "GET / HTTP/1.1\r\nHost: backend\r\nConnection: close\r\n\r\n",
  );
}

describe("mTLS between sidecars", () => {
  let app: RunningApp;
  let backend: RunningProxy;
  let web: RunningProxy;
  let strictPort: number;
  let permissivePort: number;
  let webOutbound: string;
  let impostorOutbound: string;
  const certs: Record<string, KeyPairFiles> = {};
  let caFile: string;

  beforeAll(async () => {
    const dir = await tempDir();
    const ca = await makeCa(dir, "mesh-ca");
    const otherCa = await makeCa(dir, "other-ca");
    caFile = ca.certFile;
    [certs.web, certs.backend, certs.payments, certs.selfSigned, certs.otherCa, certs.otherDomain] =
      await Promise.all([
        makeLeaf(dir, "web", WEB_ID, ca),
        makeLeaf(dir, "backend", BACKEND_ID, ca),
        makeLeaf(dir, "payments", "spiffe://loom.local/ns/default/sa/payments", ca),
        makeLeaf(dir, "self-signed", WEB_ID),
        makeLeaf(dir, "signed-by-other-ca", WEB_ID, otherCa),
        makeLeaf(dir, "other-domain", "spiffe://evil.example/ns/default/sa/web", ca),
      ]);
    const tlsFiles = (name: string) => ({ ...(certs[name] as KeyPairFiles), caFile });
    app = await startApp("backend-app", "v1");
    [strictPort, permissivePort] = await Promise.all([freePort(), freePort()]);
    const [impostorPort, webPort, impostorOutboundPort] = await Promise.all([
      freePort(),
      freePort(),
      freePort(),
    ]);
    [backend] = await Promise.all([
      startProxy(dir, {
        name: "backend",
        service: "backend",
        snapshot: snapshot({ service: "backend", mtls: "strict" }),
        inbound: [{ port: strictPort, appPort: app.port }],
        tls: tlsFiles("backend"),
      }),
      startProxy(dir, {
        name: "backend-permissive",
        service: "backend",
        snapshot: snapshot({ service: "backend", mtls: "permissive" }),
        inbound: [{ port: permissivePort, appPort: app.port }],
        tls: tlsFiles("backend"),
      }),
      // A genuine mesh member, but not the service web means to call.
      startProxy(dir, {
        name: "payments",
        service: "payments",
        snapshot: snapshot({ service: "payments", mtls: "strict" }),
        inbound: [{ port: impostorPort, appPort: app.port }],
        tls: tlsFiles("payments"),
      }),
    ]);
    web = await startProxy(dir, {
      name: "web",
      service: "web",
      snapshot: snapshot({
        service: "web",
        mtls: "strict",
        outbounds: [
          {
            service: "backend",
            port: webPort,
            protocol: "http",
            endpoints: [endpoint("backend", strictPort)],
          },
          {
            service: "backend",
            port: impostorOutboundPort,
            protocol: "http",
            endpoints: [endpoint("backend", impostorPort)],
          },
        ],
      }),
      tls: tlsFiles("web"),
    });
    webOutbound = `http://127.0.0.1:${webPort}/via-mesh`;
    impostorOutbound = `http://127.0.0.1:${impostorOutboundPort}/to-impostor`;
  });

  it("carries a call between two strict sidecars, which see each other's identity", async () => {
    const response = await request(webOutbound);
    expect(response.status).toBe(200);
    expect((await app.counts()).byPath["/via-mesh"]).toBe(1);
    const backendMetrics = (await request(`${backend.adminUrl}/metrics`)).body;
    expect(backendMetrics).toMatch(
      /loom_requests_total\{direction="inbound",source="web",[^}]*tls="true"\} 1/,
    );
    const webMetrics = (await request(`${web.adminUrl}/metrics`)).body;
    expect(webMetrics).toMatch(
      /loom_requests_total\{direction="outbound",source="web",destination="backend",[^}]*tls="true"\} 1/,
    );
  });

  it("refuses an upstream whose certificate names another workload", async () => {
    const response = await request(impostorOutbound);
    expect(response.status).toBe(503);
    expect((await app.counts()).byPath["/to-impostor"]).toBeUndefined();
  });

  it("accepts a client with a mesh certificate (control for the refusals below)", async () => {
    const accepted = await curl(`https://127.0.0.1:${strictPort}/outside`, certs.web);
    expect(accepted.stdout).toMatch(/200$/);
    const viaOpenssl = await sClient(strictPort, certs.web);
    expect(viaOpenssl.stdout).toContain("HTTP/1.1 200");
  });

  it("in strict mode refuses plaintext, no certificate, self-signed, other-CA and other-trust-domain clients", async () => {
    const plaintext = await curl(`http://127.0.0.1:${strictPort}/refused`);
    expect(plaintext.code).not.toBe(0);
    for (const client of [undefined, certs.selfSigned, certs.otherCa, certs.otherDomain]) {
      const viaCurl = await curl(`https://127.0.0.1:${strictPort}/refused`, client);
      expect(viaCurl.stdout).not.toMatch(/200$/);
      expect(viaCurl.code).not.toBe(0);
      const viaOpenssl = await sClient(strictPort, client);
      expect(viaOpenssl.stdout).not.toContain("HTTP/1.1");
    }
    expect((await app.counts()).byPath["/refused"]).toBeUndefined();
  });

  it("in permissive mode accepts plaintext and mTLS on the same port", async () => {
    const plaintext = await curl(`http://127.0.0.1:${permissivePort}/permissive`);
    expect(plaintext.stdout).toMatch(/200$/);
    const mutual = await curl(`https://127.0.0.1:${permissivePort}/permissive`, certs.web);
    expect(mutual.stdout).toMatch(/200$/);
    const refused = await curl(`https://127.0.0.1:${permissivePort}/permissive`, certs.otherCa);
    expect(refused.code).not.toBe(0);
    expect((await app.counts()).byPath["/permissive"]).toBe(2);
  });
});
