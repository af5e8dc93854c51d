import { writeFile } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import type { BootstrapInput } from "@loom/spec";
import { freePort, startProcess, useProcesses, waitFor } from "@loom/test-harness";
import { describe, expect, it } from "vitest";
import { generatedRootFiles } from "../../src/ca/index.ts";
import { startManagedProxy, startTrafficApp, tempDir } from "../telemetry/support/mesh.ts";
import { adminToken, apiClient, startControlPlane } from "./control-plane.ts";

useProcesses();

const PROXY_BIN = path.resolve(import.meta.dirname, "../../../../packages/proxy/bin/loom-proxy.js");

const MESH_YAML = `
kind: Service
metadata: { name: backend }
spec: { ports: [{ port: 8080 }] }
---
kind: Service
metadata: { name: web }
spec: { ports: [{ port: 8080 }] }
`;

const timeoutYaml = (request: string) =>
  `kind: Timeout\nmetadata: { name: backend-timeout }\nspec:\n  targetRef: { kind: Service, name: backend }\n  request: ${request}\n`;

/**
 * The stand-in proxies of live.test.ts and dataplane/api.test.ts cover how the API records a NACK, and
 * packages/proxy/test/config-swap.test.ts how a proxy refuses a snapshot whose port it cannot bind. This joins
 * them with real processes: outbound ports come from a proxy's registration, so a real loom-proxy gets a new one
 * when it re-registers with a bootstrap that adds it. That port is taken: the proxy NACKs with the reason, the
 * API keeps its old acked version and shows the reason in dataplanes.list and in the propagation of a write;
 * once the port is free, the next write is ACKed.
 */
describe("a real proxy that cannot bind a new outbound port", () => {
  it("NACKs; the API keeps its old version and shows the reason; once the port is free it ACKs again", async () => {
    const dir = await tempDir("loom-nack-bind-");
    const controlPlane = await startControlPlane();
    const admin = apiClient(controlPlane.apiUrl, { token: await adminToken(controlPlane.apiUrl) });
    await admin.policies.applyYaml.mutate({ text: MESH_YAML });
    const caFile = generatedRootFiles(controlPlane.dataDir).certFile;
    const app = await startTrafficApp("backend app", { delayMs: 1 });
    const [inboundPort, firstOutbound, takenOutbound] = await Promise.all([
      freePort(),
      freePort(),
      freePort(),
    ]);
    await startManagedProxy(dir, {
      name: "backend-1",
      service: "backend",
      version: "v1",
      controlPlane: {
        url: controlPlane.dataplaneUrl,
        caFile,
        token: (await admin.tokens.dataplane.create.mutate({ service: "backend" })).token,
      },
      inbound: { port: inboundPort, appPort: app.port },
    });
    const webToken = (await admin.tokens.dataplane.create.mutate({ service: "web" })).token;
    const first = await startManagedProxy(dir, {
      name: "web-1",
      service: "web",
      version: "v1",
      controlPlane: { url: controlPlane.dataplaneUrl, caFile, token: webToken },
      outbounds: [{ service: "backend", port: firstOutbound }],
    });
    const web = async () => (await admin.dataplanes.list.query({ service: "web" }))[0];
    const oldVersion = await waitFor(async () => (await web())?.ackedVersion, {
      what: "web-1 to ACK its first snapshot",
      timeoutMs: 20_000,
    });
    await first.process.stop();

    // Something else holds the port the new bootstrap adds.
    const squatter = net.createServer();
    await new Promise<void>((resolve) => squatter.listen(takenOutbound, "127.0.0.1", resolve));
    const adminPort = await freePort();
    const bootstrap: BootstrapInput = {
      name: "web-1",
      dataplane: {
        service: "web",
        tags: { version: "v1" },
        inbound: [],
        outbounds: [
          { service: "backend", port: firstOutbound },
          { service: "backend", port: takenOutbound },
        ],
      },
      adminPort,
      controlPlane: { url: controlPlane.dataplaneUrl, caFile, tokenFile: path.join(dir, "web-1.token") },
      tracing: {},
    };
    const file = path.join(dir, "web-1-more-outbounds.json");
    await writeFile(file, JSON.stringify(bootstrap));
    const restarted = await startProcess({
      name: "proxy web-1 (more outbounds)",
      command: process.execPath,
      args: [PROXY_BIN, "--bootstrap", file],
    });

    const reason = `cannot bind outbound port ${takenOutbound} for backend`;
    const nacked = await waitFor(
      async () => {
        const view = await web();
        return view?.lastNack?.includes(reason) && view;
      },
      { what: "the NACK in dataplanes.list", timeoutMs: 20_000 },
    );
    console.log(`dataplanes.list: ackedVersion ${nacked.ackedVersion}, lastNack "${nacked.lastNack}"`);
    expect(nacked).toMatchObject({ status: "online", ackedVersion: oldVersion });
    expect(nacked.lastNack).toContain("EADDRINUSE");
    expect(restarted.exitStatus).toBeUndefined();

    // A write: the propagation API shows web-1 refusing the config that carries it, with the reason.
    const { results } = await admin.policies.applyYaml.mutate({ text: timeoutYaml("3s") });
    const version = Number(results[0]?.resourceVersion);
    const key = { kind: "Timeout" as const, name: "backend-timeout" };
    const refused = await waitFor(
      async () => {
        const progress = await admin.propagation.status.query({ ...key, version });
        return progress.nacked === 1 && progress;
      },
      { what: "web-1 to NACK the write", timeoutMs: 20_000 },
    );
    expect(refused).toMatchObject({ total: 2, acked: 1, nacked: 1, pending: 0 });
    expect(refused.dataplanes.find((dataplane) => dataplane.name === "web-1")).toMatchObject({
      state: "nacked",
      error: expect.stringContaining(reason),
    });
    expect((await web())?.ackedVersion).toBe(oldVersion);

    // The port is free again: the next write is ACKed by both.
    await new Promise<void>((resolve) => squatter.close(() => resolve()));
    const again = await admin.policies.applyYaml.mutate({ text: timeoutYaml("4s") });
    const next = Number(again.results[0]?.resourceVersion);
    await waitFor(async () => (await admin.propagation.status.query({ ...key, version: next })).acked === 2, {
      what: "both proxies to ACK the next write",
      timeoutMs: 20_000,
    });
    const recovered = await web();
    expect(recovered?.lastNack).toBeNull();
    expect(recovered?.ackedVersion).not.toBe(oldVersion);
  }, 120_000);
});
