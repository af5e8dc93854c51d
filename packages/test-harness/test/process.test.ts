import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { freePort, startProcess, stopAll, useProcesses, waitFor } from "../src/index.ts";
import { askService, isRunning, SERVICE_SCRIPT, startService } from "./helpers.ts";

const CRASHING_RUNNER = fileURLToPath(new URL("fixtures/crashing-runner.ts", import.meta.url));

useProcesses();

describe("startProcess", () => {
  it("leaves no process or grandchild behind after stopAll, even when one was SIGKILLed mid-test", async () => {
    const services = await Promise.all([startService("alpha"), startService("beta"), startService("gamma")]);
    const [alpha, beta, gamma] = services as [
      (typeof services)[0],
      (typeof services)[0],
      (typeof services)[0],
    ];
    for (const service of services) {
      expect(await askService(service.port)).toEqual({ pid: service.handle.pid, loomTestMode: "1" });
      expect(isRunning(service.grandchildPid)).toBe(true);
    }

    beta.handle.kill("SIGKILL");
    expect(await beta.handle.exited).toEqual({ code: null, signal: "SIGKILL" });
    await waitFor(() => !isRunning(beta.grandchildPid), {
      what: "beta's grandchild to die",
      timeoutMs: 5_000,
    });
    expect((await askService(alpha.port)).pid).toBe(alpha.handle.pid);
    expect((await askService(gamma.port)).pid).toBe(gamma.handle.pid);

    await stopAll();
    for (const service of services) {
      expect(isRunning(service.handle.pid), `${service.handle.name} pid ${service.handle.pid}`).toBe(false);
      expect(isRunning(service.grandchildPid), `${service.handle.name}'s grandchild`).toBe(false);
    }
    expect(alpha.handle.exitStatus).toEqual({ code: null, signal: "SIGTERM" });
    expect(gamma.handle.exitStatus).toEqual({ code: null, signal: "SIGTERM" });
  });

  it("waits for a ready line", async () => {
    const handle = await startProcess({
      name: "by-line",
      command: process.execPath,
      args: [SERVICE_SCRIPT],
      ready: { line: /listening on \d+/ },
    });
    expect(handle.logs()).toMatch(/listening on \d+/);
  });

  it("escalates to SIGKILL when the group outlasts the grace period", async () => {
    const { handle, grandchildPid } = await startService("stubborn", { IGNORE_SIGTERM: "1" });
    const startedAt = Date.now();
    expect(await handle.stop({ graceMs: 300 })).toEqual({ code: null, signal: "SIGKILL" });
    expect(Date.now() - startedAt).toBeLessThan(3_000);
    expect(handle.logs()).toContain("ignoring SIGTERM");
    expect(isRunning(handle.pid)).toBe(false);
    expect(isRunning(grandchildPid)).toBe(false);
  });

  it("fails fast, with the logs, when the process exits before it is ready, and stops its children", async () => {
    const startedAt = Date.now();
    const failure = await startService("doomed", { EXIT_AT_ONCE: "1" }).catch((error: Error) => error);
    expect(failure).toBeInstanceOf(Error);
    const message = (failure as Error).message;
    expect(message).toMatch(/^doomed did not become ready: exited \(code 3\) before it was ready/);
    expect(message).toContain("fatal: configured to fail");
    expect(Date.now() - startedAt).toBeLessThan(10_000);
    const grandchildPid = Number(/grandchild (\d+)/.exec(message)?.[1]);
    expect(isRunning(grandchildPid)).toBe(false);
  });

  it("names the readiness check that timed out", async () => {
    const silentPort = await freePort();
    const failure = await startProcess({
      name: "elsewhere",
      command: process.execPath,
      args: [SERVICE_SCRIPT],
      ready: { url: `http://127.0.0.1:${silentPort}/health` },
      readyTimeoutMs: 1_000,
    }).catch((error: Error) => error);
    expect((failure as Error).message).toMatch(
      new RegExp(
        `^elsewhere did not become ready: Timed out after 1000 ms waiting for http://127.0.0.1:${silentPort}/health to answer 2xx; last error: .*ECONNREFUSED`,
      ),
    );
  });

  it("reports a command that cannot be started", async () => {
    await expect(startProcess({ name: "ghost", command: "/nonexistent/loom-binary" })).rejects.toThrow(
      /ghost: cannot start \/nonexistent\/loom-binary: .*ENOENT/,
    );
  });

  it("lets the caller drop LOOM_TEST_MODE", async () => {
    const service = await startService("production-timers", { LOOM_TEST_MODE: undefined });
    expect((await askService(service.port)).loomTestMode).toBeNull();
  });

  it("leaves nothing behind when the process that started it is SIGKILLed", async () => {
    const runner = await startProcess({
      name: "crashing-runner",
      command: process.execPath,
      args: ["--import", "tsx", CRASHING_RUNNER],
      ready: { line: /^started \d+ \d+$/ },
    });
    const orphanPids = /started (\d+) (\d+)/.exec(runner.logs())?.slice(1).map(Number) ?? [];
    expect(orphanPids).toHaveLength(2);
    for (const pid of orphanPids) expect(isRunning(pid)).toBe(true);

    process.kill(runner.pid, "SIGKILL");
    await waitFor(() => orphanPids.every((pid) => !isRunning(pid)), {
      what: `the crashed runner's service and its child (${orphanPids.join(", ")}) to be killed`,
      timeoutMs: 5_000,
    });
  });
});
