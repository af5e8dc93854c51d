import { X509Certificate } from "node:crypto";
import { mkdtemp, readdir, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { DATAPLANE_API } from "@loom/spec";
import { useProcesses, waitFor } from "@loom/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningControlPlane, startControlPlane } from "../../e2e/support/control-plane.ts";
import { reportCounts } from "../report.ts";
import { requireTool } from "./support/clients.ts";
import {
  type CountingApp,
  caFiles,
  type DataplaneApiAnswer,
  dataplaneApi,
  opensslCsr,
  registration,
  startCountingApp,
  startManagedProxy,
  waitForProxiesOnline,
} from "./support/mesh.ts";

useProcesses();

/** Attempts per kind of misuse. */
const ATTEMPTS = 20;
const WEB_ID = "spiffe://loom.local/ns/default/sa/web";
const CART_ID = "spiffe://loom.local/ns/default/sa/cart";

const SERVICES = ["web", "cart", "pay"]
  .map((name) => `kind: Service\nmetadata:\n  name: ${name}\nspec:\n  ports:\n    - port: 8080\n`)
  .join("---\n");

describe("dataplane tokens against a real loom-cp", () => {
  let controlPlane: RunningControlPlane;
  let caPem: string;
  let dir: string;
  let app: CountingApp;

  beforeAll(async () => {
    await requireTool("openssl", ["version"]);
    dir = await mkdtemp(path.join(tmpdir(), "loom-reliability-tokens-"));
    controlPlane = await startControlPlane();
    await controlPlane.admin.policies.applyYaml.mutate({ text: SERVICES });
    caPem = await readFile(caFiles(controlPlane).certFile, "utf8");
    app = await startCountingApp();
  });

  afterAll(async () => {
    await app?.close();
  });

  const api = (method: "GET" | "POST", apiPath: string, init: { token?: string; body?: unknown }) =>
    dataplaneApi(controlPlane, caPem, method, apiPath, init);

  async function register(token: string, name: string, service: string): Promise<string> {
    const answer = await api("POST", DATAPLANE_API.register, { token, body: registration(name, service) });
    expect(answer.status).toBe(200);
    return (JSON.parse(answer.body) as { dataplaneId: string }).dataplaneId;
  }

  it(`a stolen token for web gets no certificate, registration or stream for cart (${ATTEMPTS} × 7 ways)`, async () => {
    const { token: cartToken } = await controlPlane.admin.tokens.dataplane.create.mutate({ service: "cart" });
    const cartDataplane = await register(cartToken, "cart-1", "cart");
    const { token: stolen } = await controlPlane.admin.tokens.dataplane.create.mutate({ service: "web" });
    // The thief also registers web's own dataplane, which the token allows, and asks through it.
    const webDataplane = await register(stolen, "web-1", "web");

    const csrs = {
      cartSan: await opensslCsr(dir, "ask-cart", `URI:${CART_ID}`),
      webAndCartSans: await opensslCsr(dir, "ask-both", `URI:${WEB_ID},URI:${CART_ID}`),
      cartCommonNameOnly: await opensslCsr(dir, "cart"),
      cartInOtherDomain: await opensslCsr(
        dir,
        "ask-other-domain",
        "URI:spiffe://evil.example/ns/default/sa/cart",
      ),
    };
    const misuses: [string, () => Promise<DataplaneApiAnswer>][] = [
      [
        "register as cart",
        () => api("POST", DATAPLANE_API.register, { token: stolen, body: registration("cart-2", "cart") }),
      ],
      [
        "CSR for cart's dataplane",
        () =>
          api("POST", DATAPLANE_API.csr, {
            token: stolen,
            body: { dataplaneId: cartDataplane, csrPem: csrs.cartCommonNameOnly.csrPem },
          }),
      ],
      [
        "stream of cart's dataplane",
        () => api("GET", `${DATAPLANE_API.stream}?dataplaneId=${cartDataplane}`, { token: stolen }),
      ],
      [
        "ack for cart's dataplane",
        () =>
          api("POST", DATAPLANE_API.ack, {
            token: stolen,
            body: { dataplaneId: cartDataplane, version: "1", ok: true },
          }),
      ],
      [
        "CSR with cart's SPIFFE ID",
        () =>
          api("POST", DATAPLANE_API.csr, {
            token: stolen,
            body: { dataplaneId: webDataplane, csrPem: csrs.cartSan.csrPem },
          }),
      ],
      [
        "CSR with web's and cart's SPIFFE IDs",
        () =>
          api("POST", DATAPLANE_API.csr, {
            token: stolen,
            body: { dataplaneId: webDataplane, csrPem: csrs.webAndCartSans.csrPem },
          }),
      ],
      [
        "CSR with cart in another trust domain",
        () =>
          api("POST", DATAPLANE_API.csr, {
            token: stolen,
            body: { dataplaneId: webDataplane, csrPem: csrs.cartInOtherDomain.csrPem },
          }),
      ],
    ];

    let sent = 0;
    let refused = 0;
    const granted: string[] = [];
    for (const [what, misuse] of misuses) {
      for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
        const answer = await misuse();
        sent++;
        if (answer.status >= 400 && answer.status < 500) refused++;
        else granted.push(`${what}: ${answer.status} ${answer.body.slice(0, 200)}`);
        expect(answer.body, what).toMatch(/"error":".+"/);
      }
    }
    // A CSR that only says "cart" in its subject gets a certificate, but one naming web alone.
    const commonNameOnly = await api("POST", DATAPLANE_API.csr, {
      token: stolen,
      body: { dataplaneId: webDataplane, csrPem: csrs.cartCommonNameOnly.csrPem },
    });
    expect(commonNameOnly.status).toBe(200);
    const leaf = new X509Certificate(
      (JSON.parse(commonNameOnly.body) as { certificateChainPem: string }).certificateChainPem,
    );
    expect(leaf.subjectAltName).toBe(`URI:${WEB_ID}`);

    const cartCertificates = await controlPlane.admin.security.certificates.query({ identity: CART_ID });
    const otherDomain = await controlPlane.admin.security.certificates.query({
      identity: "spiffe://evil.example/ns/default/sa/cart",
    });
    reportCounts("security/dataplane-tokens stolen token for another service", {
      sent,
      failed: granted.length,
      refused,
      crashed: controlPlane.process.exitStatus ? 1 : 0,
      notes: { cartCertificatesIssued: cartCertificates.length + otherDomain.length },
    });
    expect(granted).toEqual([]);
    expect(cartCertificates).toEqual([]);
    expect(otherDomain).toEqual([]);
    const registered = await controlPlane.admin.dataplanes.list.query({});
    expect(registered.filter((dataplane) => dataplane.service === "cart").map((d) => d.name)).toEqual([
      "cart-1",
    ]);
  });

  it(`a revoked token can neither register nor renew; its running proxy gets no new certificate (${ATTEMPTS} × 3 ways)`, async () => {
    const proxy = await startManagedProxy(controlPlane, { service: "pay", appPort: app.port });
    await waitForProxiesOnline(controlPlane, 1);
    const [payToken] = (await controlPlane.admin.tokens.dataplane.list.query({ service: "pay" })).filter(
      (token) => token.revokedAt === null,
    );
    if (!payToken) throw new Error("the pay proxy's token is not listed");
    const [payDataplane] = (await controlPlane.admin.dataplanes.list.query({})).filter(
      (d) => d.service === "pay",
    );
    if (!payDataplane) throw new Error("the pay proxy did not register");
    const payCertificates = () =>
      controlPlane.admin.security.certificates.query({ dataplaneId: payDataplane.id });
    // Renewal works while the token is good (half-life of a 20 s test certificate): the control for what follows.
    await waitFor(async () => (await payCertificates()).length >= 2, {
      what: "the pay proxy to renew its certificate once",
      timeoutMs: 40_000,
    });

    // The proxy's token is in its bootstrap file: that is what an attacker holding the file would replay.
    const bootstrapName = (await readdir(controlPlane.dataDir)).find((file) => file.startsWith("pay-"));
    const bootstrap = JSON.parse(
      await readFile(path.join(controlPlane.dataDir, `${bootstrapName}`), "utf8"),
    ) as {
      controlPlane: { token: string };
    };
    const token = bootstrap.controlPlane.token;

    await controlPlane.admin.tokens.dataplane.revoke.mutate({ id: payToken.id });
    const issuedBeforeRevocation = (await payCertificates()).length;
    const revokedAt = Date.now();

    const csr = await opensslCsr(dir, "pay-renewal");
    const misuses: [string, () => Promise<DataplaneApiAnswer>][] = [
      ["register", () => api("POST", DATAPLANE_API.register, { token, body: registration("pay-2", "pay") })],
      [
        "renew (CSR)",
        () =>
          api("POST", DATAPLANE_API.csr, {
            token,
            body: { dataplaneId: String(payDataplane.id), csrPem: csr.csrPem },
          }),
      ],
      ["stream", () => api("GET", `${DATAPLANE_API.stream}?dataplaneId=${payDataplane.id}`, { token })],
    ];
    let sent = 0;
    let refused = 0;
    const granted: string[] = [];
    for (const [what, misuse] of misuses) {
      for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
        const answer = await misuse();
        sent++;
        if (answer.status === 401 && answer.body.includes("the dataplane token is invalid or revoked"))
          refused++;
        else granted.push(`${what}: ${answer.status} ${answer.body.slice(0, 200)}`);
      }
    }
    // The running proxy itself keeps trying (re-registration, renewal at half-life): a full certificate lifetime
    // later it still has had nothing new, and the control plane marks it offline.
    await waitFor(
      async () =>
        (await controlPlane.admin.dataplanes.list.query({})).find((d) => d.id === payDataplane.id)?.status ===
        "offline",
      { what: "the revoked proxy to be marked offline", timeoutMs: 30_000 },
    );
    const waitMs = 20_000 - (Date.now() - revokedAt);
    if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
    const issuedAfter = (await payCertificates()).length - issuedBeforeRevocation;

    reportCounts("security/dataplane-tokens revoked token", {
      sent,
      failed: granted.length + issuedAfter,
      refused,
      crashed: controlPlane.process.exitStatus || proxy.process.exitStatus ? 1 : 0,
      notes: {
        certificatesBeforeRevocation: issuedBeforeRevocation,
        certificatesAfterRevocation: issuedAfter,
      },
    });
    expect(granted).toEqual([]);
    expect(issuedAfter).toBe(0);
  });
});
