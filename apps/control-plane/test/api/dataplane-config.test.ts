import { freePort, useProcesses, waitFor } from "@loom/test-harness";
import { describe, expect, it } from "vitest";
import { generatedRootFiles } from "../../src/ca/index.ts";
import { startManagedProxy, tempDir } from "../telemetry/support/mesh.ts";
import { adminToken, apiClient, clientWithRole, startControlPlane } from "./control-plane.ts";

useProcesses();

const MESH_YAML = `
kind: Service
metadata: { name: backend }
spec: { ports: [{ port: 8080 }] }
---
kind: Service
metadata: { name: web }
spec: { ports: [{ port: 8080 }] }
`;

const errorCode = (error: unknown) => (error as { data?: { code?: string } }).data?.code;

describe("a proxy's running config (dataplanes.config)", () => {
  it("is read from the proxy's admin /config, follows a policy write, and is refused for unknown or offline proxies", async () => {
    const dir = await tempDir("loom-dataplane-config-");
    const controlPlane = await startControlPlane();
    const admin = apiClient(controlPlane.apiUrl, { token: await adminToken(controlPlane.apiUrl) });
    await admin.policies.applyYaml.mutate({ text: MESH_YAML });
    const web = await startManagedProxy(dir, {
      name: "web-1",
      service: "web",
      version: "v1",
      controlPlane: {
        url: controlPlane.dataplaneUrl,
        caFile: generatedRootFiles(controlPlane.dataDir).certFile,
        token: (await admin.tokens.dataplane.create.mutate({ service: "web" })).token,
      },
      outbounds: [{ service: "backend", port: await freePort() }],
    });
    const proxy = async () => {
      const [record] = await admin.dataplanes.list.query({ service: "web" });
      if (!record) throw new Error("web-1 has not registered");
      return record;
    };
    await waitFor(async () => (await proxy()).ackedVersion !== null, {
      what: "web-1 to ack",
      timeoutMs: 20_000,
    });
    const { id } = await proxy();

    // Viewers may read it: it holds nothing the policies and proxies pages do not show them already.
    const viewer = await clientWithRole(controlPlane.apiUrl, admin, "viewer");
    const first = await viewer.dataplanes.config.query({ id });
    expect(first.snapshot?.version).toBe(first.ackedVersion);
    expect(first.snapshot?.outbounds.map((outbound) => outbound.service)).toEqual(["backend"]);
    expect(first.snapshot?.outbounds[0]?.timeout).toBeUndefined();

    await admin.policies.applyYaml.mutate({
      text: "kind: Timeout\nmetadata: { name: backend-timeout }\nspec: { targetRef: { kind: Service, name: backend }, request: 2s }\n",
    });
    await waitFor(
      async () =>
        (await viewer.dataplanes.config.query({ id })).snapshot?.outbounds[0]?.timeout !== undefined,
      { what: "web-1 to run the new Timeout", timeoutMs: 20_000 },
    );
    const second = await viewer.dataplanes.config.query({ id });
    expect(second.snapshot?.outbounds[0]?.timeout).toMatchObject({
      name: "backend-timeout",
      spec: { request: "2s" },
    });
    expect(second.snapshot?.version).not.toBe(first.snapshot?.version);

    expect(errorCode(await viewer.dataplanes.config.query({ id: id + 1000 }).catch((error) => error))).toBe(
      "NOT_FOUND",
    );
    await web.process.stop();
    await waitFor(async () => (await proxy()).status === "offline", {
      what: "web-1 offline",
      timeoutMs: 20_000,
    });
    const offline = await viewer.dataplanes.config.query({ id }).catch((error: unknown) => error);
    expect(errorCode(offline)).toBe("PRECONDITION_FAILED");
    expect((offline as Error).message).toBe("dataplane web-1 is offline");
  }, 90_000);
});
