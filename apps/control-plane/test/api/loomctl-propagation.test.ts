import { spawn } from "node:child_process";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { freePort, useProcesses, waitFor } from "@loom/test-harness";
import { describe, expect, it } from "vitest";
import { generatedRootFiles } from "../../src/ca/index.ts";
import { startManagedProxy, startTrafficApp, tempDir } from "../telemetry/support/mesh.ts";
import { adminToken, apiClient, startControlPlane } from "./control-plane.ts";

useProcesses();

const LOOMCTL = path.resolve(import.meta.dirname, "../../../cli/bin/loomctl.js");
const CALLERS = ["web", "shop", "batch", "report"];
const DENIED = ["batch", "report"];

const MESH_YAML = [
  "kind: Mesh\nmetadata: { name: default }\nspec:\n  mtls: { mode: strict }\n",
  ...["backend", ...CALLERS].map(
    (service) => `kind: Service\nmetadata: { name: ${service} }\nspec: { ports: [{ port: 8080 }] }\n`,
  ),
].join("---\n");

const DENY_YAML = `kind: TrafficPermission
metadata: { name: deny-batch-jobs }
spec:
  targetRef: { kind: Service, name: backend }
  from:
${DENIED.map((service) => `    - targetRef: { kind: Service, name: ${service} }\n      action: Deny\n`).join("")}`;

function loomctl(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [LOOMCTL, ...args], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("a policy applied with loomctl", () => {
  it("reaches 5 real proxies, each ACKs its version, and their traffic obeys it", async () => {
    const dir = await tempDir("loom-propagation-");
    const controlPlane = await startControlPlane();
    const token = await adminToken(controlPlane.apiUrl);
    const admin = apiClient(controlPlane.apiUrl, { token });
    await admin.policies.applyYaml.mutate({ text: MESH_YAML });
    const caFile = generatedRootFiles(controlPlane.dataDir).certFile;
    const managedAs = async (service: string) => ({
      url: controlPlane.dataplaneUrl,
      caFile,
      token: (await admin.tokens.dataplane.create.mutate({ service })).token,
    });

    const app = await startTrafficApp("backend app", { delayMs: 1 });
    const inboundPort = await freePort();
    await startManagedProxy(dir, {
      name: "backend-1",
      service: "backend",
      version: "v1",
      controlPlane: await managedAs("backend"),
      inbound: { port: inboundPort, appPort: app.port },
    });
    const outbound = new Map<string, number>();
    for (const service of CALLERS) outbound.set(service, await freePort());
    await Promise.all(
      CALLERS.map(async (service) =>
        startManagedProxy(dir, {
          name: `${service}-1`,
          service,
          version: "v1",
          controlPlane: await managedAs(service),
          outbounds: [{ service: "backend", port: outbound.get(service) ?? 0 }],
        }),
      ),
    );
    const statusOf = async (service: string) =>
      (await fetch(`http://127.0.0.1:${outbound.get(service)}/orders`)).status;
    const statuses = async () => Promise.all(CALLERS.map(statusOf));
    await waitFor(async () => (await statuses()).every((status) => status === 200), {
      what: "all four callers reach backend before the deny",
      timeoutMs: 30_000,
    });

    const file = path.join(dir, "deny.yaml");
    await writeFile(file, DENY_YAML);
    const started = performance.now();
    const applied = await loomctl(["apply", "-f", file], {
      LOOM_SERVER: controlPlane.apiUrl,
      LOOM_TOKEN: token,
    });
    expect(applied).toMatchObject({ code: 0, stdout: "TrafficPermission/deny-batch-jobs created\n" });

    const [revision] = await admin.history.list.query({ kind: "TrafficPermission", name: "deny-batch-jobs" });
    const version = revision?.version ?? 0;
    expect(version).toBe(1);
    let progress = await admin.propagation.status.query({
      kind: "TrafficPermission",
      name: "deny-batch-jobs",
      version,
    });
    await waitFor(
      async () => {
        progress = await admin.propagation.status.query({
          kind: "TrafficPermission",
          name: "deny-batch-jobs",
          version,
        });
        return progress.acked === 5;
      },
      { what: "5 ACKs of the deny", timeoutMs: 30_000 },
    );
    const ackedMs = performance.now() - started;
    expect(progress).toMatchObject({ total: 5, acked: 5, nacked: 0, pending: 0 });
    expect(progress.dataplanes.map((dataplane) => dataplane.service).sort()).toEqual(
      ["backend", ...CALLERS].sort(),
    );
    expect(progress.dataplanes.every((dataplane) => dataplane.state === "acked")).toBe(true);

    // Acked means enforced: the denied callers get 403 from the proxies, the others still reach the app.
    const servedBefore = (await app.counts()).served;
    const after = await statuses();
    console.log(
      `loomctl apply -> 5 ACKs in ${Math.round(ackedMs)} ms; statuses ${CALLERS.map((service, i) => `${service}=${after[i]}`).join(" ")}`,
    );
    expect(after).toEqual(CALLERS.map((service) => (DENIED.includes(service) ? 403 : 200)));
    expect((await app.counts()).served - servedBefore).toBe(CALLERS.length - DENIED.length);
  }, 120_000);
});
