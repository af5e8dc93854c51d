import { webcrypto } from "node:crypto";
import { once } from "node:events";
import tls from "node:tls";
import { afterEach, describe, expect, it } from "vitest";
import { MeshIdentity, peerSpiffeId } from "../../src/tls/index.ts";
import { TestCa } from "./test-ca.ts";

const WEB = "spiffe://loom.local/ns/default/sa/web";
const CALLER = "spiffe://loom.local/ns/default/sa/caller";

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

async function identityFor(ca: TestCa, identity: string, ttlMs: number): Promise<MeshIdentity> {
  const mesh = await MeshIdentity.create({
    requestCertificate: (csrPem) => ca.sign(csrPem, identity, ttlMs),
  });
  cleanups.push(() => mesh.close());
  return mesh;
}

/** An mTLS echo server that answers "<caller's SPIFFE ID>|<client certificate serial>|<line>". */
async function echoServer(identity: MeshIdentity): Promise<number> {
  const server = tls.createServer(
    { ...identity.serverContextOptions(), requestCert: true, rejectUnauthorized: true },
    (socket) => {
      socket.setEncoding("utf8");
      socket.on("data", (line: string) => {
        const peer = socket.getPeerCertificate();
        socket.write(`${peerSpiffeId(peer)}|${peer.serialNumber}|${line}`);
      });
      socket.on("error", () => socket.destroy());
    },
  );
  identity.on("rotated", () => server.setSecureContext(identity.serverContextOptions()));
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  cleanups.push(() => server.close());
  return (server.address() as { port: number }).port;
}

async function connect(port: number, options: tls.ConnectionOptions): Promise<tls.TLSSocket> {
  const socket = tls.connect({ host: "127.0.0.1", port, ...options });
  socket.setEncoding("utf8");
  cleanups.push(() => socket.destroy());
  await once(socket, "secureConnect");
  return socket;
}

async function exchange(socket: tls.TLSSocket, line: string): Promise<string[]> {
  socket.write(line);
  const [reply] = (await once(socket, "data")) as [string];
  return reply.split("|");
}

describe("MeshIdentity", () => {
  it("makes its own key, sends a CSR naming no identity, and learns its identity from the certificate", async () => {
    const ca = await TestCa.create();
    const csrs: string[] = [];
    const mesh = await MeshIdentity.create({
      requestCertificate: (csrPem) => {
        csrs.push(csrPem);
        return ca.sign(csrPem, WEB, 60_000);
      },
    });
    cleanups.push(() => mesh.close());
    expect(mesh.identity).toBe(WEB);
    expect(mesh.notAfter.getTime()).toBeGreaterThan(Date.now() + 50_000);
    expect(csrs[0]).toContain("BEGIN CERTIFICATE REQUEST");
    expect(csrs[0]).not.toContain("PRIVATE KEY");
  });

  it("refuses a certificate issued for another key than its own", async () => {
    const ca = await TestCa.create();
    const other = await webcrypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign"]);
    ca.substituteKey = other.publicKey;
    const giveUp = new AbortController();
    const failures: Error[] = [];
    const attempt = MeshIdentity.create({
      requestCertificate: (csrPem) => ca.sign(csrPem, WEB, 60_000),
      signal: giveUp.signal,
      onRetry: (error) => {
        failures.push(error as Error);
        giveUp.abort(new Error("gave up"));
      },
    });
    await expect(attempt).rejects.toThrow("gave up");
    expect(failures[0]?.message).toMatch(/different key/);
  });

  it("retries the first certificate until the control plane answers", async () => {
    const ca = await TestCa.create();
    ca.failing = true;
    let attempts = 0;
    const mesh = MeshIdentity.create({
      requestCertificate: (csrPem) => ca.sign(csrPem, WEB, 60_000),
      onRetry: () => {
        attempts += 1;
        if (attempts === 2) ca.failing = false;
      },
    });
    const identity = await mesh;
    identity.close();
    expect(attempts).toBe(2);
    expect(identity.identity).toBe(WEB);
  });

  it("carries mTLS both ways: the server reads the caller's identity, the caller verifies the server's", async () => {
    const ca = await TestCa.create();
    const server = await identityFor(ca, WEB, 60_000);
    const caller = await identityFor(ca, CALLER, 60_000);
    const port = await echoServer(server);

    const socket = await connect(port, caller.clientOptions(WEB));
    const [seenCaller, , echoed] = await exchange(socket, "hello");
    expect(seenCaller).toBe(CALLER);
    expect(echoed).toBe("hello");
  });

  it("refuses an upstream with another identity than expected, naming both", async () => {
    const ca = await TestCa.create();
    const server = await identityFor(ca, WEB, 60_000);
    const caller = await identityFor(ca, CALLER, 60_000);
    const port = await echoServer(server);
    const expected = "spiffe://loom.local/ns/default/sa/payments";
    await expect(connect(port, caller.clientOptions(expected))).rejects.toThrow(
      `upstream presented identity ${WEB}, expected ${expected}`,
    );
  });

  it("refuses a peer whose certificate comes from another CA", async () => {
    const server = await identityFor(await TestCa.create(), WEB, 60_000);
    const stranger = await identityFor(await TestCa.create(), CALLER, 60_000);
    const port = await echoServer(server);
    await expect(connect(port, stranger.clientOptions(WEB))).rejects.toThrow(
      /self-signed|unable to verify|certificate/i,
    );
  });

  it("rotates at half-life without dropping an open connection; new connections get the new certificate", async () => {
    const ca = await TestCa.create();
    const ttlMs = 2_000;
    const issuedAt = Date.now();
    const server = await identityFor(ca, WEB, ttlMs);
    const caller = await identityFor(ca, CALLER, ttlMs);
    const port = await echoServer(server);
    // Certificates carry whole seconds, so half-life is measured against the real notAfter, not ttlMs.
    const halfLifeMs = (server.notAfter.getTime() - issuedAt) / 2;
    const callerRotated = once(caller, "rotated");

    const early = await connect(port, caller.clientOptions(WEB));
    const serverSerialBefore = early.getPeerCertificate().serialNumber;
    const [, callerSerialBefore] = await exchange(early, "before");

    await once(server, "rotated");
    const rotatedAfterMs = Date.now() - issuedAt;
    expect(rotatedAfterMs).toBeGreaterThanOrEqual(halfLifeMs - 100);
    expect(rotatedAfterMs).toBeLessThan(halfLifeMs + 500);
    await callerRotated;

    expect((await exchange(early, "during"))[2]).toBe("during");
    const late = await connect(port, caller.clientOptions(WEB));
    expect(late.getPeerCertificate().serialNumber).not.toBe(serverSerialBefore);
    const [seenCaller, callerSerialAfter] = await exchange(late, "after");
    expect(seenCaller).toBe(CALLER);
    expect(callerSerialAfter).not.toBe(callerSerialBefore);

    // Past the first certificates' expiry the early connection still carries traffic.
    await new Promise((resolve) => setTimeout(resolve, issuedAt + ttlMs + 300 - Date.now()));
    expect((await exchange(early, "after expiry"))[2]).toBe("after expiry");
    expect((await exchange(await connect(port, caller.clientOptions(WEB)), "fresh"))[0]).toBe(CALLER);
  });

  it("keeps its certificate when renewal fails and retries until the CA answers (fail-static)", async () => {
    const ca = await TestCa.create();
    const mesh = await identityFor(ca, WEB, 1_000);
    const notAfter = mesh.notAfter;
    const context = mesh.serverContext();
    ca.failing = true;
    const [error] = (await once(mesh, "renewalFailed")) as [Error];
    expect(error.message).toBe("control plane unreachable");
    expect(mesh.notAfter).toEqual(notAfter);
    expect(mesh.serverContext()).toBe(context);

    ca.failing = false;
    await once(mesh, "rotated");
    expect(mesh.serverContext()).not.toBe(context);
    expect(mesh.notAfter.getTime()).toBeGreaterThanOrEqual(notAfter.getTime());
  });
});
