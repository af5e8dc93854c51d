import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { DATAPLANE_API } from "@loom/spec";
import { useProcesses, waitFor } from "@loom/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningControlPlane, startControlPlane } from "../../e2e/support/control-plane.ts";
import { makeCa, makeLeaf } from "../../packages/proxy/test/support/certs.ts";
import { reportCounts } from "../report.ts";
import {
  type Attempt,
  type ClientFiles,
  curlClient,
  opensslClient,
  plaintextNode,
  requireTool,
  tlsNode,
} from "./support/clients.ts";
import {
  type CountingApp,
  caFiles,
  dataplaneApi,
  inPool,
  type ManagedProxy,
  opensslCsr,
  registration,
  startCountingApp,
  startManagedProxy,
  waitForProxiesOnline,
} from "./support/mesh.ts";

useProcesses();

/** Attempts per kind of client and per client program. */
const ATTEMPTS = 50;
const CONCURRENCY = 4;
const WEB_ID = "spiffe://loom.local/ns/default/sa/web";

const STRICT_MESH = `kind: Mesh
metadata:
  name: default
spec:
  mtls:
    mode: strict
---
kind: Service
metadata:
  name: backend
spec:
  ports:
    - port: 8080
      protocol: http
---
kind: Service
metadata:
  name: web
spec:
  ports:
    - port: 8080
      protocol: http
`;

type Program = "node" | "openssl" | "curl";

describe("strict mTLS at a managed proxy (real loom-cp, real loom-proxy, real clients)", () => {
  let controlPlane: RunningControlPlane;
  let app: CountingApp;
  let backend: ManagedProxy;
  let caPem: string;
  let caFile: string;
  let dir: string;
  /** A certificate the control plane itself issued for web: what a genuine mesh client holds. */
  let meshClient: ClientFiles;
  let issueMeshClient: () => Promise<ClientFiles>;
  const impostors: Record<string, ClientFiles> = {};

  beforeAll(async () => {
    await requireTool("openssl", ["version"]);
    await requireTool("curl", ["--version"]);
    dir = await mkdtemp(path.join(tmpdir(), "loom-reliability-mtls-"));
    controlPlane = await startControlPlane();
    await controlPlane.admin.policies.applyYaml.mutate({ text: STRICT_MESH });
    app = await startCountingApp();
    backend = await startManagedProxy(controlPlane, { service: "backend", appPort: app.port });
    await waitForProxiesOnline(controlPlane, 1);
    caFile = caFiles(controlPlane).certFile;
    caPem = await readFile(caFile, "utf8");

    const { token } = await controlPlane.admin.tokens.dataplane.create.mutate({ service: "web" });
    const registered = await dataplaneApi(controlPlane, caPem, "POST", DATAPLANE_API.register, {
      token,
      body: registration("web-client", "web"),
    });
    expect(registered.status).toBe(200);
    const { dataplaneId } = JSON.parse(registered.body) as { dataplaneId: string };
    // Test-mode certificates live 20 s, less than this suite on a busy machine: each use gets a fresh one.
    let issuedCount = 0;
    issueMeshClient = async () => {
      const name = `web-client-${issuedCount++}`;
      const csr = await opensslCsr(dir, name);
      const issued = await dataplaneApi(controlPlane, caPem, "POST", DATAPLANE_API.csr, {
        token,
        body: { dataplaneId, csrPem: csr.csrPem },
      });
      expect(issued.status).toBe(200);
      const certFile = path.join(dir, `${name}.crt`);
      await writeFile(
        certFile,
        (JSON.parse(issued.body) as { certificateChainPem: string }).certificateChainPem,
      );
      return { certFile, keyFile: csr.keyFile };
    };
    meshClient = await issueMeshClient();

    const meshCa = caFiles(controlPlane);
    const otherCa = await makeCa(dir, "other-root");
    [
      impostors.selfSigned,
      impostors.otherCa,
      impostors.otherTrustDomain,
      impostors.notSpiffe,
      impostors.noWorkload,
    ] = await Promise.all([
      makeLeaf(dir, "self-signed", WEB_ID),
      makeLeaf(dir, "signed-by-other-ca", WEB_ID, otherCa),
      // Signed by the mesh's own root, which only a stolen CA key could do: the name must still be refused.
      makeLeaf(dir, "other-trust-domain", "spiffe://evil.example/ns/default/sa/web", meshCa),
      makeLeaf(dir, "not-spiffe", "https://web.loom.local/", meshCa),
      makeLeaf(dir, "no-workload", "spiffe://loom.local", meshCa),
    ]);

    // The proxy serves strict mTLS once it holds a certificate from the control plane.
    await waitFor(
      async () => (await tlsNode(backend.inboundPort, "/warm-up", caPem, meshClient)).statusLine,
      {
        what: "the backend proxy to accept its first mesh client",
        timeoutMs: 30_000,
      },
    );
  });

  afterAll(async () => {
    await app?.close();
  });

  function attempt(program: Program, pathname: string, client: ClientFiles | undefined): Promise<Attempt> {
    const port = backend.inboundPort;
    if (program === "node") return tlsNode(port, pathname, caPem, client);
    if (program === "openssl") return opensslClient(port, pathname, caFile, client);
    return curlClient(`https://127.0.0.1:${port}${pathname}`, caFile, client);
  }

  /** Sends ATTEMPTS requests per program; returns how many got an HTTP answer and the answers seen. */
  async function campaign(kind: string, programs: Program[], client: ClientFiles | undefined) {
    const answered: string[] = [];
    let sent = 0;
    for (const program of programs) {
      const attempts = await inPool(ATTEMPTS, CONCURRENCY, (index) =>
        attempt(program, `/${kind}/${program}/${index}`, client),
      );
      sent += attempts.length;
      for (const { statusLine } of attempts) if (statusLine !== undefined) answered.push(statusLine);
    }
    return { sent, answered };
  }

  it(`serves a mesh client holding a certificate issued by the control plane (control: ${ATTEMPTS} × node, openssl, curl)`, async () => {
    meshClient = await issueMeshClient();
    const { sent, answered } = await campaign("mesh-client", ["node", "openssl", "curl"], meshClient);
    const ok = answered.filter((line) => / 200/.test(line)).length;
    reportCounts("security/strict-mtls mesh client (control)", {
      sent,
      failed: sent - ok,
      refused: sent - answered.length,
      crashed: backend.process.exitStatus ? 1 : 0,
      notes: { reachedApp: app.hits("/mesh-client/") },
    });
    expect(ok).toBe(sent);
    expect(app.hits("/mesh-client/")).toBe(sent);
  });

  const refusedKinds: [
    string,
    Program[],
    (impostor: Record<string, ClientFiles>) => ClientFiles | undefined,
  ][] = [
    ["no-client-certificate", ["node", "openssl", "curl"], () => undefined],
    ["self-signed", ["node", "openssl", "curl"], (all) => all.selfSigned],
    ["other-ca", ["node", "openssl", "curl"], (all) => all.otherCa],
    ["wrong-spiffe-trust-domain", ["node", "openssl", "curl"], (all) => all.otherTrustDomain],
    ["wrong-spiffe-not-a-spiffe-uri", ["node", "openssl", "curl"], (all) => all.notSpiffe],
    ["wrong-spiffe-no-workload-path", ["node", "openssl", "curl"], (all) => all.noWorkload],
  ];

  for (const [kind, programs, pick] of refusedKinds) {
    it(`refuses 100 % of ${kind} clients (${ATTEMPTS} × ${programs.join(", ")})`, async () => {
      const { sent, answered } = await campaign(kind, programs, pick(impostors));
      const reachedApp = app.hits(`/${kind}/`);
      reportCounts(`security/strict-mtls ${kind}`, {
        sent,
        failed: answered.length,
        refused: sent - answered.length,
        crashed: backend.process.exitStatus ? 1 : 0,
        notes: { reachedApp },
      });
      expect(answered).toEqual([]);
      expect(reachedApp).toBe(0);
      expect(backend.process.exitStatus).toBeUndefined();
    });
  }

  it(`refuses 100 % of plaintext clients (${ATTEMPTS} × node, curl)`, async () => {
    const viaNode = await inPool(ATTEMPTS, CONCURRENCY, (index) =>
      plaintextNode(backend.inboundPort, `/plaintext/node/${index}`),
    );
    const viaCurl = await inPool(ATTEMPTS, CONCURRENCY, (index) =>
      curlClient(`http://127.0.0.1:${backend.inboundPort}/plaintext/curl/${index}`, caFile, undefined),
    );
    const attempts = [...viaNode, ...viaCurl];
    const answered = attempts.filter((attempt) => attempt.statusLine !== undefined);
    reportCounts("security/strict-mtls plaintext", {
      sent: attempts.length,
      failed: answered.length,
      refused: attempts.length - answered.length,
      crashed: backend.process.exitStatus ? 1 : 0,
      notes: { reachedApp: app.hits("/plaintext/") },
    });
    expect(answered).toEqual([]);
    expect(app.hits("/plaintext/")).toBe(0);
  });

  it("still serves the mesh client after every refusal (the refusals cost the proxy nothing lasting)", async () => {
    const after = await tlsNode(backend.inboundPort, "/after", caPem, await issueMeshClient());
    expect(after.statusLine).toMatch(/ 200/);
  });
});
