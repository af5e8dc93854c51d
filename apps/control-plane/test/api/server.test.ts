import { readFile } from "node:fs/promises";
import https from "node:https";
import path from "node:path";
import { startProcess, useProcesses, waitForLine } from "@loom/test-harness";
import { describe, expect, it } from "vitest";
import { adminToken, apiClient, startControlPlane } from "./control-plane.ts";

useProcesses();

const GENERATED_PASSWORD = /^Created the admin user "admin" with password: (\S+)$/;

function getOverTls(url: string, ca: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    https
      .get(url, { ca, agent: false }, (response) => {
        let text = "";
        response.setEncoding("utf8").on("data", (chunk: string) => (text += chunk));
        response.on("end", () => resolve({ status: response.statusCode ?? 0, text }));
      })
      .on("error", reject);
  });
}

describe("loom-cp", () => {
  it("prints a generated admin password on the first start only, and stops cleanly on SIGTERM", async () => {
    const first = await startControlPlane({ env: { LOOM_ADMIN_PASSWORD: undefined } });
    const [, password = ""] = await waitForLine(first.process, GENERATED_PASSWORD);
    const { token } = await apiClient(first.apiUrl).auth.createCliToken.mutate({
      username: "admin",
      password,
    });
    expect(token).toMatch(/^loom_api_/);

    const stopped = Date.now();
    expect(await first.process.stop({ graceMs: 10_000 })).toEqual({ code: 0, signal: null });
    expect(Date.now() - stopped).toBeLessThan(5_000);

    const second = await startControlPlane({
      dataDir: first.dataDir,
      env: { LOOM_ADMIN_PASSWORD: undefined },
    });
    expect(second.process.logs()).not.toContain(password);
    expect(second.process.logs()).not.toMatch(/Created the admin user/);
    expect(await apiClient(second.apiUrl, { token }).auth.me.query()).toMatchObject({ role: "admin" });
  });

  it("answers /healthz on both listeners, /metrics on the API, and serves the data plane with the CA's certificate", async () => {
    const cp = await startControlPlane();
    expect(await (await fetch(`${cp.apiUrl}/healthz`)).text()).toBe("ok\n");
    const unknown = await fetch(`${cp.apiUrl}/nothing-here`);
    expect(unknown.status).toBe(404);

    const metrics = await (await fetch(`${cp.apiUrl}/metrics`)).text();
    expect(metrics).toMatch(/^loom_cp_http_requests_total\{listener="api",code="200"\} \d+$/m);
    expect(metrics).toContain("loom_cp_process_cpu_seconds_total");

    // Verified against the mesh root, with the host name checked: what a proxy's bootstrap trusts.
    const root = await readFile(path.join(cp.dataDir, "ca", "root.crt"), "utf8");
    expect(await getOverTls(`${cp.dataplaneUrl}/healthz`, root)).toEqual({ status: 200, text: "ok\n" });
    const noToken = await new Promise<number>((resolve, reject) => {
      const request = https.request(`${cp.dataplaneUrl}/dp/v1/register`, {
        method: "POST",
        ca: root,
        agent: false,
      });
      request.on("response", (response) => resolve(response.statusCode ?? 0)).on("error", reject);
      request.end("{}");
    });
    expect(noToken).toBe(401);
    // The API is not on the data-plane listener.
    expect((await getOverTls(`${cp.dataplaneUrl}/api/trpc/auth.me`, root)).status).toBe(404);
  });

  it("ends open subscriptions on SIGTERM instead of waiting for them", async () => {
    const cp = await startControlPlane();
    const token = await adminToken(cp.apiUrl);
    const stream = await fetch(`${cp.apiUrl}/api/trpc/resources.onChange?input=%7B%7D`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(stream.status).toBe(200);
    const stopped = Date.now();
    expect(await cp.process.stop({ graceMs: 10_000 })).toEqual({ code: 0, signal: null });
    expect(Date.now() - stopped).toBeLessThan(5_000);
  });

  it("refuses to start on a bad flag, saying why", async () => {
    const failed = await startProcess({
      name: "loom-cp-bad-flag",
      command: process.execPath,
      args: [path.resolve(import.meta.dirname, "../../bin/loom-cp.js"), "--port", "http"],
    });
    expect((await failed.exited).code).toBe(1);
    expect(failed.logs()).toContain("--port must be a port, got http");
  });

  it("refuses to start on a retention that is not a positive number, naming the variable", async () => {
    const failed = await startProcess({
      name: "loom-cp-bad-retention",
      command: process.execPath,
      args: [path.resolve(import.meta.dirname, "../../bin/loom-cp.js")],
      env: { LOOM_AUDIT_RETENTION_DAYS: "90d" },
    });
    expect((await failed.exited).code).toBe(1);
    expect(failed.logs()).toContain('LOOM_AUDIT_RETENTION_DAYS must be a positive number, got "90d"');
  });
});
