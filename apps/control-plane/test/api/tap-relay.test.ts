import { freePort, useProcesses, waitFor } from "@loom/test-harness";
import { describe, expect, it } from "vitest";
import { generatedRootFiles } from "../../src/ca/index.ts";
import type { TapEvent } from "../../src/trpc/routers/tap.ts";
import { startManagedProxy, startTrafficApp, tempDir } from "../telemetry/support/mesh.ts";
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

describe("the tap relay (tap.stream)", () => {
  it("streams one real proxy's live requests to an editor, with the token loom-cp gave that proxy", async () => {
    const dir = await tempDir("loom-tap-relay-");
    const controlPlane = await startControlPlane();
    const admin = apiClient(controlPlane.apiUrl, { token: await adminToken(controlPlane.apiUrl) });
    await admin.policies.applyYaml.mutate({ text: MESH_YAML });
    const caFile = generatedRootFiles(controlPlane.dataDir).certFile;
    const managedAs = async (service: string) => ({
      url: controlPlane.dataplaneUrl,
      caFile,
      token: (await admin.tokens.dataplane.create.mutate({ service })).token,
    });
    const app = await startTrafficApp("backend app", { delayMs: 1 });
    const [inboundPort, outboundPort] = await Promise.all([freePort(), freePort()]);
    // Neither bootstrap sets a tapToken: the only one is the token loom-cp derives and hands out at registration.
    const backend = await startManagedProxy(dir, {
      name: "backend-1",
      service: "backend",
      version: "v1",
      controlPlane: await managedAs("backend"),
      inbound: { port: inboundPort, appPort: app.port },
    });
    await startManagedProxy(dir, {
      name: "web-1",
      service: "web",
      version: "v1",
      controlPlane: await managedAs("web"),
      outbounds: [{ service: "backend", port: outboundPort }],
    });
    const call = async (path: string) => (await fetch(`http://127.0.0.1:${outboundPort}${path}`)).status;
    await waitFor(async () => (await call("/warm")) === 200, {
      what: "web to reach backend",
      timeoutMs: 20_000,
    });
    // The proxy's tap is on, and closed to anyone without the token (401, not 403 "disabled").
    expect((await fetch(`http://127.0.0.1:${backend.adminPort}/tap`)).status).toBe(401);

    const [record] = await admin.dataplanes.list.query({ service: "backend" });
    const dataplaneId = record?.id ?? 0;
    const editor = await clientWithRole(controlPlane.apiUrl, admin, "editor");
    const events: TapEvent[] = [];
    const errors: unknown[] = [];
    const subscription = editor.tap.stream.subscribe(
      { dataplaneId, path: "/tapped", direction: "inbound" },
      { onData: (event) => events.push(event as TapEvent), onError: (error) => errors.push(error) },
    );
    // Every filter the proxy knows is passed on: with only successes flowing, a failures-only tap stays empty.
    const failures: TapEvent[] = [];
    const failuresOnly = editor.tap.stream.subscribe(
      { dataplaneId, path: "/tapped", classification: "failure" },
      { onData: (event) => failures.push(event as TapEvent), onError: (error) => errors.push(error) },
    );
    try {
      // The relay has connected once a request made now shows up.
      await waitFor(
        async () => {
          await call("/tapped/probe");
          return events.some((event) => event.event === "request");
        },
        { what: "the first relayed request", timeoutMs: 15_000 },
      );
      for (let index = 0; index < 5; index += 1) expect(await call(`/tapped/${index}`)).toBe(200);
      await call("/untapped");
      await waitFor(
        () =>
          events.filter((event) => event.event === "request" && /\/tapped\/\d$/.test(String(event.data.path)))
            .length === 5,
        { what: "the 5 relayed requests", timeoutMs: 10_000 },
      );
      const requests = events.filter((event) => event.event === "request").map((event) => event.data);
      expect(requests.every((summary) => String(summary.path).startsWith("/tapped"))).toBe(true);
      expect(requests.find((summary) => summary.path === "/tapped/3")).toMatchObject({
        method: "GET",
        status: 200,
        direction: "inbound",
      });
      expect(errors).toEqual([]);
      expect(failures.filter((event) => event.event === "request")).toEqual([]);
    } finally {
      subscription.unsubscribe();
      failuresOnly.unsubscribe();
    }

    // A malformed filter is refused by the relay with the spec's message, before any proxy is dialled.
    const malformed = await new Promise<unknown>((resolve) => {
      const attempt = editor.tap.stream.subscribe(
        { dataplaneId, grpcStatus: "UNAVAILABLE" },
        {
          onData: () => {},
          onError: (error) => {
            attempt.unsubscribe();
            resolve(error);
          },
        },
      );
    });
    expect((malformed as { data?: { code?: string } }).data?.code).toBe("BAD_REQUEST");
    expect(String((malformed as Error).message)).toContain("grpcStatus must be a gRPC status code");

    // Viewers cannot tap: request paths may be sensitive.
    const viewer = await clientWithRole(controlPlane.apiUrl, admin, "viewer");
    const refused = await new Promise<unknown>((resolve) => {
      const attempt = viewer.tap.stream.subscribe(
        { dataplaneId },
        {
          onData: () => {},
          onError: (error) => {
            attempt.unsubscribe();
            resolve(error);
          },
        },
      );
    });
    expect((refused as { data?: { code?: string } }).data?.code).toBe("FORBIDDEN");
  }, 90_000);
});
