process.env.LOOM_TEST_MODE = "1";

import { randomBytes, X509Certificate } from "node:crypto";
import { once } from "node:events";
import type { IncomingMessage } from "node:http";
import https from "node:https";
import { MeshIdentity } from "@loom/proxy/tls";
import { type ApplyResult, XdsClient } from "@loom/proxy/xds-client";
import { DATAPLANE_API, type RegisterRequest, type Snapshot } from "@loom/spec";
import { waitFor } from "@loom/test-harness";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { certificateText, opensslCsr, tempDir, verifyChain } from "../ca/openssl.ts";
import { TestControlPlane } from "./control-plane.ts";

let controlPlane: TestControlPlane;
const clients: XdsClient[] = [];

beforeEach(async () => {
  controlPlane = await TestControlPlane.start();
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.stop()));
  await controlPlane.stop();
  expect(controlPlane.errors).toEqual([]);
});

function registration(
  name: string,
  service: string,
  extra: Partial<RegisterRequest["spec"]> = {},
): RegisterRequest {
  return {
    name,
    mesh: "default",
    namespace: "default",
    adminPort: 9901,
    spec: { service, tags: {}, address: "127.0.0.1", inbound: [], outbounds: [], gateway: false, ...extra },
  };
}

interface Proxy {
  client: XdsClient;
  applied: Snapshot[];
}

function proxy(
  token: string,
  request: RegisterRequest,
  apply: (snapshot: Snapshot) => ApplyResult = () => ({ ok: true }),
): Proxy {
  const applied: Snapshot[] = [];
  const client = new XdsClient({
    url: controlPlane.url,
    caPem: controlPlane.caPem,
    token,
    registration: request,
    applySnapshot: (snapshot) => {
      const result = apply(snapshot);
      if (result.ok) applied.push(snapshot);
      return result;
    },
  });
  clients.push(client);
  client.start();
  return { client, applied };
}

const webRegistration = registration("web-1", "web", {
  outbounds: [{ service: "cart", port: 7001 }],
  inbound: [{ port: 8001, appPort: 9001, protocol: "http" }],
});
const cartRegistration = registration("cart-1", "cart", {
  inbound: [{ port: 8101, appPort: 9101, protocol: "http" }],
  tags: { version: "v1" },
});

async function dataplaneRecord(name: string) {
  return controlPlane.store.dataplanes.find({ mesh: "default", name });
}

describe("data-plane API with the proxy's xds-client over HTTPS", () => {
  it("registers, streams a snapshot, and records the ACK as propagation", async () => {
    const { token } = await controlPlane.token("web");
    const web = proxy(token, webRegistration);
    const [snapshot] = (await once(web.client, "applied")) as [Snapshot];
    expect(snapshot.dataplane).toMatchObject({ name: "web-1", service: "web" });
    expect(snapshot.mesh.trustBundle).toBe(controlPlane.caPem);

    const record = await waitFor(
      async () => {
        const found = await dataplaneRecord("web-1");
        return found?.ackedVersion === snapshot.version && found;
      },
      { what: "the ACK to be recorded" },
    );
    expect(record.status).toBe("online");
    expect(record.ports).toMatchObject({ adminPort: 9901, outbounds: [{ service: "cart", port: 7001 }] });
    const reports = await controlPlane.store.propagationAcks.latestSince([record.id], new Date(0));
    expect(reports.get(record.id)).toMatchObject({ version: snapshot.version, ok: true, error: null });
  });

  it("pushes a new snapshot to the proxies a write affects, and only to them", async () => {
    const web = proxy((await controlPlane.token("web")).token, webRegistration);
    const cart = proxy((await controlPlane.token("cart")).token, cartRegistration);
    await waitFor(() => web.applied.at(-1)?.outbounds[0]?.endpoints.length === 1, {
      what: "web to see cart",
    });
    await waitFor(() => cart.applied.length === 1, { what: "cart's first snapshot" });
    const cartVersions = cart.applied.length;

    await controlPlane.write("Retry", "cart-retry", {
      targetRef: { kind: "Service", name: "cart" },
      attempts: 4,
    });
    const endpointsBefore = web.applied.at(-1)?.outbounds[0]?.endpoints;
    await waitFor(() => web.applied.at(-1)?.outbounds[0]?.retry?.spec.attempts === 4, {
      what: "the retry to reach web",
    });
    // The stream named cart's unchanged endpoint list by digest; the proxy applied it whole all the same.
    expect(web.applied.at(-1)?.outbounds[0]?.endpoints).toEqual(endpointsBefore);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(cart.applied.length).toBe(cartVersions);
  });

  it("records a NACK with its reason, and the proxy keeps the previous snapshot", async () => {
    const refuse = { value: false };
    const web = proxy((await controlPlane.token("web")).token, webRegistration, () =>
      refuse.value ? { ok: false, error: "cannot bind outbound port 7001: EADDRINUSE" } : { ok: true },
    );
    const [first] = (await once(web.client, "applied")) as [Snapshot];
    refuse.value = true;
    const rejected = once(web.client, "rejected");
    await controlPlane.write("Timeout", "mesh-timeout", { targetRef: { kind: "Mesh" }, request: "2s" });
    const [nackedVersion, reason] = (await rejected) as [string, string];
    expect(reason).toBe("cannot bind outbound port 7001: EADDRINUSE");
    expect(web.client.lastSnapshot?.version).toBe(first.version);
    expect(web.client.appliedVersion).toBe(first.version);

    const record = await waitFor(
      async () => {
        const found = await dataplaneRecord("web-1");
        return found?.lastNack && found;
      },
      { what: "the NACK to be recorded" },
    );
    expect(record.lastNack).toBe(reason);
    expect(record.ackedVersion).toBe(first.version);
    const reports = await controlPlane.store.propagationAcks.latestSince([record.id], new Date(0));
    expect(reports.get(record.id)).toMatchObject({ version: nackedVersion, ok: false, error: reason });
  });

  it("reconnects after the control plane restarts and resumes without re-applying", async () => {
    const web = proxy((await controlPlane.token("web")).token, webRegistration);
    await once(web.client, "applied");
    const disconnected = once(web.client, "disconnected");
    await controlPlane.stopServing();
    await disconnected;
    // Fail-static: the snapshot stays in force while the control plane is away.
    expect(web.client.lastSnapshot).toBeDefined();
    await new Promise((resolve) => setTimeout(resolve, 500));

    const reconnected = once(web.client, "connected");
    await controlPlane.listen();
    await reconnected;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(web.applied.length).toBe(1);

    await controlPlane.write("Timeout", "mesh-timeout", { targetRef: { kind: "Mesh" }, request: "3s" });
    await waitFor(() => web.applied.length === 2, { what: "a write after the restart to arrive" });
    expect(web.applied[1]?.outbounds[0]?.timeout?.spec.request).toBe("3s");
  });

  it("marks a silent dataplane offline and removes it from its peers' snapshots within 10 s", async () => {
    const web = proxy((await controlPlane.token("web")).token, webRegistration);
    const cart = proxy((await controlPlane.token("cart")).token, cartRegistration);
    await waitFor(() => web.applied.at(-1)?.outbounds[0]?.endpoints.length === 1, {
      what: "web to see cart",
    });

    const silentAt = Date.now();
    await cart.client.stop();
    await waitFor(() => web.applied.at(-1)?.outbounds[0]?.endpoints.length === 0, {
      what: "cart to leave web's endpoints",
      timeoutMs: 10_000,
    });
    const elapsedMs = Date.now() - silentAt;
    expect(elapsedMs).toBeLessThan(10_000);
    expect((await dataplaneRecord("cart-1"))?.status).toBe("offline");

    // Coming back is an endpoint change too.
    proxy((await controlPlane.token("cart")).token, cartRegistration);
    await waitFor(() => web.applied.at(-1)?.outbounds[0]?.endpoints.length === 1, {
      what: "cart to come back",
    });
  }, 20_000);

  it("sends keep-alive comments on the stream", async () => {
    const { token } = await controlPlane.token("web");
    const registered = await controlPlane.request("POST", DATAPLANE_API.register, {
      token,
      body: JSON.stringify(webRegistration),
    });
    const { dataplaneId, heartbeatIntervalMs } = JSON.parse(registered.body);
    expect(heartbeatIntervalMs).toBe(2_000);
    const request = https.get({
      host: "127.0.0.1",
      port: controlPlane.port,
      path: `${DATAPLANE_API.stream}?dataplaneId=${dataplaneId}`,
      ca: controlPlane.caPem,
      agent: false,
      headers: { authorization: `Bearer ${token}` },
    });
    const [response] = (await once(request, "response")) as [IncomingMessage];
    const chunks: string[] = [];
    response.setEncoding("utf8");
    response.on("data", (chunk: string) => chunks.push(chunk));
    try {
      expect(response.headers["content-type"]).toBe("text/event-stream");
      await waitFor(() => chunks.join("").includes("event: snapshot"), { what: "the snapshot" });
      await waitFor(() => chunks.join("").includes(": keepalive"), {
        what: "a keep-alive",
        timeoutMs: 5_000,
      });
    } finally {
      request.destroy();
    }
  });
});

describe("replicas sharing one database", () => {
  it("a write through one replica reaches proxies connected to the other within 1 s", async () => {
    const replica = await TestControlPlane.start({ dataDir: controlPlane.dataDir, watchStoreEveryMs: 200 });
    try {
      const applied: Snapshot[] = [];
      const web = new XdsClient({
        url: replica.url,
        caPem: replica.caPem,
        token: (await controlPlane.token("web")).token,
        registration: webRegistration,
        applySnapshot: (snapshot) => {
          applied.push(snapshot);
          return { ok: true };
        },
      });
      clients.push(web);
      web.start();
      await waitFor(() => applied.length === 1, { what: "the first snapshot from the replica" });

      const writtenAt = Date.now();
      await controlPlane.write("Timeout", "mesh-timeout", { targetRef: { kind: "Mesh" }, request: "4s" });
      await waitFor(() => applied.at(-1)?.outbounds[0]?.timeout?.spec.request === "4s", {
        what: "the write to reach the other replica's proxy",
        timeoutMs: 1_000,
      });
      expect(Date.now() - writtenAt).toBeLessThan(1_000);

      // An endpoint registering through the first replica shows up on the second too.
      proxy((await controlPlane.token("cart")).token, cartRegistration);
      await waitFor(() => applied.at(-1)?.outbounds[0]?.endpoints[0]?.dataplane === "cart-1", {
        what: "cart, registered on the first replica, to reach web on the second",
        timeoutMs: 2_000,
      });
    } finally {
      await Promise.all(clients.splice(0).map((client) => client.stop()));
      await replica.stop();
    }
    expect(replica.errors).toEqual([]);
  });
});

describe("identity and tokens", () => {
  it("issues a certificate for the token's own service, recorded in the store, that openssl verifies", async () => {
    const web = proxy((await controlPlane.token("web")).token, webRegistration);
    const identity = await MeshIdentity.create({
      requestCertificate: (csrPem) => web.client.requestCertificate(csrPem),
    });
    identity.close();
    expect(identity.identity).toBe("spiffe://loom.local/ns/default/sa/web");

    const [certificate] = await controlPlane.store.certificates.list({ identity: identity.identity });
    expect(certificate?.dataplaneId).toBe(Number(web.client.dataplaneId));
    expect(certificate?.notAfter.getTime()).toBeGreaterThan(Date.now());
    // Test mode: 20 s certificates.
    expect((certificate?.notAfter.getTime() ?? 0) - Date.now()).toBeLessThanOrEqual(21_000);
  });

  it("rotates through the API at half-life, and keeps the certificate once its token is revoked", async () => {
    await controlPlane.stopServing();
    controlPlane.certificateTtlMs = 3_000;
    await controlPlane.listen();
    const { token, id } = await controlPlane.token("web");
    const web = proxy(token, webRegistration);
    const identity = await MeshIdentity.create({
      requestCertificate: (csrPem) => web.client.requestCertificate(csrPem),
    });
    try {
      const first = identity.serverContext();
      await once(identity, "rotated");
      expect(identity.serverContext()).not.toBe(first);
      expect(await controlPlane.store.certificates.list({ identity: identity.identity })).toHaveLength(2);

      await controlPlane.store.dataplaneTokens.revoke(id, { actor: "test" });
      const [error] = (await once(identity, "renewalFailed")) as [Error];
      expect(error.message).toContain("401 the dataplane token is invalid or revoked");
      expect(await controlPlane.store.certificates.list({ identity: identity.identity })).toHaveLength(2);
    } finally {
      identity.close();
    }
  });

  it("uses the mesh's trust domain, and openssl verifies the chain and reads the URI SAN", async () => {
    await controlPlane.write("Mesh", "default", { mtls: { mode: "strict", trustDomain: "shop.example" } });
    const { token } = await controlPlane.token("web");
    const web = proxy(token, webRegistration);
    await once(web.client, "registered");
    const dir = await tempDir();
    const { csrPem } = await opensslCsr(dir);
    const answer = await web.client.requestCertificate(csrPem);
    expect(await verifyChain(dir, answer.certificateChainPem, answer.trustBundlePem)).toContain(": OK");
    expect(await certificateText(dir, answer.certificateChainPem)).toContain(
      "URI:spiffe://shop.example/ns/default/sa/web",
    );
  });

  it("a stolen token for service A cannot get a certificate, a registration or a stream for service B", async () => {
    const cart = proxy((await controlPlane.token("cart")).token, cartRegistration);
    await once(cart.client, "registered");
    const stolen = (await controlPlane.token("web")).token;
    const dir = await tempDir();

    const asB = await controlPlane.request("POST", DATAPLANE_API.register, {
      token: stolen,
      body: JSON.stringify(cartRegistration),
    });
    expect(asB.status).toBe(403);
    expect(JSON.parse(asB.body).error).toContain('cannot register a dataplane of service "cart"');

    const forBsDataplane = await controlPlane.request("POST", DATAPLANE_API.csr, {
      token: stolen,
      body: JSON.stringify({ dataplaneId: cart.client.dataplaneId, csrPem: (await opensslCsr(dir)).csrPem }),
    });
    expect(forBsDataplane.status).toBe(403);

    const streamOfB = await controlPlane.request(
      "GET",
      `${DATAPLANE_API.stream}?dataplaneId=${cart.client.dataplaneId}`,
      {
        token: stolen,
      },
    );
    expect(streamOfB.status).toBe(403);

    // With its own dataplane, A's token still cannot ask for B's identity...
    const web = proxy(stolen, webRegistration);
    await once(web.client, "registered");
    const askingForB = await controlPlane.request("POST", DATAPLANE_API.csr, {
      token: stolen,
      body: JSON.stringify({
        dataplaneId: web.client.dataplaneId,
        csrPem: (await opensslCsr(dir, { subjectAltName: "URI:spiffe://loom.local/ns/default/sa/cart" }))
          .csrPem,
      }),
    });
    expect(askingForB.status).toBe(400);
    expect(JSON.parse(askingForB.body).error).toContain("yields only spiffe://loom.local/ns/default/sa/web");
    // ...and what it does get names A.
    const granted = await web.client.requestCertificate((await opensslCsr(dir)).csrPem);
    expect(new X509Certificate(granted.certificateChainPem).subjectAltName).toBe(
      "URI:spiffe://loom.local/ns/default/sa/web",
    );
    expect(
      await controlPlane.store.certificates.list({ identity: "spiffe://loom.local/ns/default/sa/cart" }),
    ).toEqual([]);
  });

  it("a revoked token can neither register nor renew, and loses its open stream", async () => {
    const { token, id } = await controlPlane.token("web");
    const web = proxy(token, webRegistration);
    await once(web.client, "applied");
    const dataplaneId = web.client.dataplaneId;
    const dir = await tempDir();

    const disconnected = once(web.client, "disconnected");
    await controlPlane.store.dataplaneTokens.revoke(id, { actor: "test" });
    await disconnected;

    const register = await controlPlane.request("POST", DATAPLANE_API.register, {
      token,
      body: JSON.stringify(webRegistration),
    });
    expect(register.status).toBe(401);
    expect(JSON.parse(register.body).error).toBe("the dataplane token is invalid or revoked");
    await expect(web.client.requestCertificate((await opensslCsr(dir)).csrPem)).rejects.toThrow(
      /401 the dataplane token is invalid or revoked/,
    );
    const renew = await controlPlane.request("POST", DATAPLANE_API.csr, {
      token,
      body: JSON.stringify({ dataplaneId, csrPem: (await opensslCsr(dir)).csrPem }),
    });
    expect(renew.status).toBe(401);
  });
});

describe("malformed requests", () => {
  it("answer 4xx naming the problem, and the API keeps serving", async () => {
    const { token } = await controlPlane.token("web");
    const cases: [string, string, { token?: string; body?: string | Buffer }, number, RegExp][] = [
      ["POST", DATAPLANE_API.register, { body: "{}" }, 401, /missing dataplane token/],
      ["POST", DATAPLANE_API.register, { token: "loom_dp_nonsense", body: "{}" }, 401, /invalid or revoked/],
      ["POST", DATAPLANE_API.register, { token, body: "{not json" }, 400, /not JSON/],
      ["POST", DATAPLANE_API.register, { token, body: JSON.stringify({ name: "Web!" }) }, 400, /name: /],
      ["POST", DATAPLANE_API.register, { token, body: Buffer.alloc(200_000, 97) }, 413, /larger than/],
      ["GET", DATAPLANE_API.register, { token }, 405, /use POST/],
      [
        "POST",
        DATAPLANE_API.ack,
        { token, body: JSON.stringify({ dataplaneId: "1", version: "x", ok: false }) },
        400,
        /error/,
      ],
      [
        "POST",
        DATAPLANE_API.csr,
        { token, body: JSON.stringify({ dataplaneId: "999", csrPem: "CERTIFICATE REQUEST" }) },
        404,
        /not registered/,
      ],
      ["GET", `${DATAPLANE_API.stream}?dataplaneId=abc`, { token }, 404, /not registered/],
    ];
    for (const [method, urlPath, options, status, error] of cases) {
      const answer = await controlPlane.request(method, urlPath, options);
      expect({ urlPath, status: answer.status }).toEqual({ urlPath, status });
      expect(JSON.parse(answer.body).error).toMatch(error);
    }
    const web = proxy(token, webRegistration);
    await once(web.client, "applied");
  });

  it("1,000 garbage or oversized requests to each endpoint all get a 4xx, and the API keeps serving", async () => {
    const { token } = await controlPlane.token("web");
    const agent = new https.Agent({ keepAlive: true, maxSockets: 8, ca: controlPlane.caPem });
    // Every byte escaped, invalid UTF-8 included (encodeURIComponent threw on a surrogate cut in half).
    const percentEncoded = (bytes: Buffer) =>
      [...bytes].map((byte) => `%${byte.toString(16).padStart(2, "0")}`).join("");
    const garbage = (index: number): string | Buffer => {
      switch (index % 8) {
        case 0:
          return randomBytes(index % 300);
        case 1:
          return JSON.stringify({ dataplaneId: index, version: [index], ok: "yes", csrPem: { x: 1 } });
        case 2:
          return JSON.stringify([null, index, "CERTIFICATE REQUEST"]);
        case 3:
          return Buffer.alloc(70_000 + index, 123);
        case 4:
          return JSON.stringify({
            name: "x".repeat(index),
            spec: { service: "web", inbound: [{ port: -index }] },
          });
        case 5:
          return `{"csrPem":"-----BEGIN CERTIFICATE REQUEST-----\\n${"A".repeat(index)}","dataplaneId":"1"}`;
        case 6:
          return "";
        default:
          return JSON.stringify({ dataplaneId: "１", version: "\u0000", ok: false, error: "" });
      }
    };
    const send = (method: string, urlPath: string, body: string | Buffer, withToken: boolean) =>
      new Promise<number>((resolve) => {
        const request = https.request(
          {
            host: "127.0.0.1",
            port: controlPlane.port,
            path: urlPath,
            method,
            agent,
            headers: withToken ? { authorization: `Bearer ${token}` } : {},
          },
          (response) => {
            response.resume();
            response.on("end", () => resolve(response.statusCode ?? 0));
          },
        );
        request.on("error", () => resolve(-1));
        request.end(body);
      });
    const endpoints: [string, string][] = [
      ["POST", DATAPLANE_API.register],
      ["POST", DATAPLANE_API.ack],
      ["POST", DATAPLANE_API.csr],
      ["GET", `${DATAPLANE_API.stream}?dataplaneId=`],
    ];
    const statuses = new Map<number, number>();
    for (const [method, urlPath] of endpoints) {
      for (let batch = 0; batch < 1_000; batch += 50) {
        const answers = await Promise.all(
          Array.from({ length: 50 }, (_, offset) => {
            const index = batch + offset;
            const target =
              method === "GET"
                ? `${urlPath}${percentEncoded(Buffer.from(garbage(index)).subarray(0, 100))}`
                : urlPath;
            return send(method, target, method === "GET" ? "" : garbage(index), index % 10 !== 9);
          }),
        );
        for (const status of answers) statuses.set(status, (statuses.get(status) ?? 0) + 1);
      }
    }
    agent.destroy();
    expect([...statuses].filter(([status]) => status < 400 || status > 499)).toEqual([]);
    const web = proxy(token, webRegistration);
    await once(web.client, "applied");
  }, 120_000);
});
