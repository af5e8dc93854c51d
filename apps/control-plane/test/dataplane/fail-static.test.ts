import { fixedRateLoad, freePort, useProcesses, waitFor } from "@loom/test-harness";
import { describe, expect, it } from "vitest";
import { generatedRootFiles } from "../../src/ca/index.ts";
import { adminToken, apiClient, startControlPlane } from "../api/control-plane.ts";
import { startManagedProxy, startTrafficApp, tempDir } from "../telemetry/support/mesh.ts";

useProcesses();

const MESH_YAML = `
kind: Mesh
metadata: { name: default }
spec:
  mtls: { mode: strict }
---
kind: Service
metadata: { name: backend }
spec: { ports: [{ port: 8080 }] }
---
kind: Service
metadata: { name: web }
spec: { ports: [{ port: 8080 }] }
---
kind: Service
metadata: { name: batch }
spec: { ports: [{ port: 8080 }] }
---
kind: TrafficPermission
metadata: { name: no-batch-to-backend }
spec:
  targetRef: { kind: Service, name: backend }
  from:
    - targetRef: { kind: Service, name: batch }
      action: Deny
`;

const OUTAGE_MS = 60_000;

/**
 * Fail-static with real processes: three managed proxies under a real loom-cp (web and batch call backend over
 * strict mTLS; batch is denied). The control plane is killed with SIGKILL; for the next minute the proxies keep
 * their last snapshot and certificate, so the deny still holds and web's calls still flow.
 */
describe("proxies without their control plane", () => {
  it("keep enforcing the last deny and carrying allowed traffic for a minute after loom-cp is killed", async () => {
    const dir = await tempDir("loom-fail-static-");
    // Production timers in the control plane: test mode's 20 s certificates would expire inside the outage,
    // and what is under test here is the proxies' last good config, not certificate lifetime.
    const controlPlane = await startControlPlane({ env: { LOOM_TEST_MODE: undefined } });
    const admin = apiClient(controlPlane.apiUrl, { token: await adminToken(controlPlane.apiUrl) });
    await admin.policies.applyYaml.mutate({ text: MESH_YAML });
    const caFile = generatedRootFiles(controlPlane.dataDir).certFile;
    const managedAs = async (service: string) => ({
      url: controlPlane.dataplaneUrl,
      caFile,
      token: (await admin.tokens.dataplane.create.mutate({ service })).token,
    });

    const app = await startTrafficApp("backend app", { delayMs: 2 });
    const [inboundPort, webOutbound, batchOutbound] = await Promise.all([freePort(), freePort(), freePort()]);
    await startManagedProxy(dir, {
      name: "backend-1",
      service: "backend",
      version: "v1",
      controlPlane: await managedAs("backend"),
      inbound: { port: inboundPort, appPort: app.port },
    });
    await Promise.all([
      startManagedProxy(dir, {
        name: "web-1",
        service: "web",
        version: "v1",
        controlPlane: await managedAs("web"),
        outbounds: [{ service: "backend", port: webOutbound }],
      }),
      startManagedProxy(dir, {
        name: "batch-1",
        service: "batch",
        version: "v1",
        controlPlane: await managedAs("batch"),
        outbounds: [{ service: "backend", port: batchOutbound }],
      }),
    ]);
    const webUrl = `http://127.0.0.1:${webOutbound}/orders`;
    const batchUrl = `http://127.0.0.1:${batchOutbound}/orders`;
    const statusOf = async (url: string) => (await fetch(url)).status;
    await waitFor(async () => (await statusOf(webUrl)) === 200 && (await statusOf(batchUrl)) === 403, {
      what: "web allowed and batch denied through the proxies",
      timeoutMs: 30_000,
    });

    controlPlane.process.kill("SIGKILL");
    await controlPlane.process.exited;
    const servedBefore = (await app.counts()).served;

    const [web, batch] = await Promise.all([
      fixedRateLoad({ url: webUrl, rps: 10, durationMs: OUTAGE_MS }),
      fixedRateLoad({ url: batchUrl, rps: 10, durationMs: OUTAGE_MS }),
    ]);
    console.log(
      `control plane down ${OUTAGE_MS / 1000} s: web sent ${web.sent}, ok ${web.succeeded}, failed ${web.failed}; ` +
        `batch sent ${batch.sent}, refused ${batch.byStatus["403"] ?? 0}`,
    );
    expect(web.sent).toBeGreaterThan(500);
    expect(web.failed).toBe(0);
    expect(batch.sent).toBeGreaterThan(500);
    expect(batch.byStatus["403"]).toBe(batch.sent);
    // Only web's calls reached the app: the denied caller never got through.
    expect((await app.counts()).served - servedBefore).toBe(web.succeeded);
  }, 150_000);
});
