import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Bootstrap } from "@loom/spec";
import { type ProcessHandle, startProcess, useProcesses, waitFor } from "@loom/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiClient, signInAsAdmin } from "../src/control-plane.ts";
import { canaryRouteResource, toYaml } from "../src/resources.ts";
import type { InstanceCounters } from "../src/shop/app-instance.ts";
import { CANARY_SERVICE, GATEWAY_SERVICE, instanceName, SHOP } from "../src/topology.ts";

useProcesses();

const REPO_ROOT = path.resolve(import.meta.dirname, "../../..");
const ADMIN_PASSWORD = "demo-test-password";
const INSTANCES = SHOP.flatMap((service) =>
  Object.keys(service.versions).map((version) => instanceName(service.name, version)),
);

interface DemoState {
  launcherPid: number;
  urls: { gateway: string; api: string; shop: string };
  processes: { name: string; pid: number }[];
}

/** Running processes (not zombies) whose pid or process group is one of `pids`, read from /proc. */
function survivors(pids: readonly number[]): string[] {
  const found: string[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue;
    }
    const [state, , group] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (state !== "Z" && (pids.includes(Number(entry)) || pids.includes(Number(group))))
      found.push(`${entry} (${stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"))})`);
  }
  return found;
}

async function counters(shopUrl: string): Promise<Record<string, InstanceCounters>> {
  return (await (await fetch(`${shopUrl}/counters`)).json()) as Record<string, InstanceCounters>;
}

/**
 * The real launcher (`npm run demo` without the console): the whole shop behind managed sidecars, the gateway,
 * the load generator and loom-cp, on free ports with fresh state; then Ctrl-C must leave nothing behind.
 */
describe("npm run demo", () => {
  let launcher: ProcessHandle;
  let dataDir: string;
  let state: DemoState;
  let admin: ApiClient;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), "loom-demo-test-"));
    const started = performance.now();
    launcher = await startProcess({
      name: "demo launcher",
      // Through npm, as a user starts it: a Ctrl-C then reaches npm, sh and the launcher, and npm passes it on.
      command: "npm",
      args: [
        ...["run", "--silent", "demo", "--", "--no-console", "--free-ports", "--data-dir", dataDir],
        // Every trace sampled, so one crossing three services reaches the control plane within seconds.
        ...["--rps", "20", "--sampling", "1"],
      ],
      cwd: REPO_ROOT,
      env: { LOOM_ADMIN_PASSWORD: ADMIN_PASSWORD },
      ready: { line: /^loom demo ready in/ },
      readyTimeoutMs: 150_000,
    });
    console.log(`demo: ready after ${((performance.now() - started) / 1000).toFixed(1)} s`);
    state = JSON.parse(await readFile(path.join(dataDir, "demo.json"), "utf8")) as DemoState;
    admin = await signInAsAdmin(state.urls.api, ADMIN_PASSWORD);
  }, 180_000);

  afterAll(async () => {
    await launcher?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it("serves every service, each request counted by the app itself", async () => {
    const requestsByService = async () => {
      const now = await counters(state.urls.shop);
      return Object.fromEntries(
        SHOP.map((service) => [
          service.name,
          Object.keys(service.versions).reduce(
            (sum, version) => sum + (now[instanceName(service.name, version)]?.requests ?? 0),
            0,
          ),
        ]),
      );
    };
    const before = await requestsByService();
    await waitFor(
      async () => {
        const now = await requestsByService();
        return SHOP.every((service) => (now[service.name] ?? 0) > (before[service.name] ?? 0));
      },
      { what: "every service's request counter to increase", timeoutMs: 20_000, intervalMs: 1_000 },
    );
  });

  it("starts cart at 100/0, and a new split reaches the idle canary through the control plane", async () => {
    const canary = instanceName(CANARY_SERVICE, "v2");
    const before = (await counters(state.urls.shop))[canary]?.requests;
    expect(before).toBe(0);
    const route = canaryRouteResource();
    const [stable, idle] = route.spec.rules[0]?.backendRefs ?? [];
    if (stable === undefined || idle === undefined) throw new Error("the demo's route has two backends");
    [stable.weight, idle.weight] = [50, 50];
    await admin.policies.applyYaml.mutate({ text: toYaml([route]) });
    await waitFor(async () => ((await counters(state.urls.shop))[canary]?.requests ?? 0) > 10, {
      what: `${canary} to get requests`,
      timeoutMs: 20_000,
      intervalMs: 500,
    });
  });

  it("carries every call between sidecars over mTLS", async () => {
    const bootstraps = await Promise.all(
      [...INSTANCES, GATEWAY_SERVICE].map(
        async (name) =>
          JSON.parse(await readFile(path.join(dataDir, "proxies", `${name}.json`), "utf8")) as Bootstrap,
      ),
    );
    for (const bootstrap of bootstraps) {
      const metrics = await (await fetch(`http://127.0.0.1:${bootstrap.adminPort}/metrics`)).text();
      const series = metrics
        .split("\n")
        .filter((line) => line.startsWith("loom_requests_total{") && !line.endsWith(" 0"));
      const direction = bootstrap.dataplane.gateway ? "outbound" : "inbound";
      const mine = series.filter((line) => line.includes(`direction="${direction}"`));
      expect(mine.length, `${bootstrap.name} counts ${direction} requests`).toBeGreaterThan(0);
      // The gateway's own inbound is the public, plaintext side; every hop between proxies is mTLS.
      for (const line of mine) expect(line, bootstrap.name).toContain('tls="true"');
    }
    const graph = await admin.graph.get.query({ window: "1m" });
    expect(graph.edges.length).toBeGreaterThanOrEqual(11);
    for (const edge of graph.edges) expect(edge.mtls, `${edge.source} → ${edge.destination}`).toBe("full");
  });

  it("sends traces that cross at least three services to the control plane", async () => {
    // Proxies export spans in batches: a trace a few seconds old has all of its spans in.
    const trace = await waitFor(
      async () =>
        (await admin.traces.search.query({ limit: 50, to: new Date(Date.now() - 5_000).toISOString() })).find(
          (found) => found.services.length >= 3,
        ),
      { what: "a trace through three services", timeoutMs: 30_000, intervalMs: 1_000 },
    );
    const spans = await admin.traces.get.query({ traceId: trace.traceId });
    const ids = new Set(spans.map((span) => span.spanId));
    const children = spans.filter((span) => span.parentSpanId !== null && ids.has(span.parentSpanId));
    expect(new Set(spans.map((span) => span.service)).size).toBeGreaterThanOrEqual(3);
    expect(children.length).toBeGreaterThanOrEqual(spans.length - 1);
  });

  it("stops everything on Ctrl-C and leaves no process behind", async () => {
    // npm's process group (npm, sh, the launcher) and every group the launcher started.
    const pids = [launcher.pid, state.launcherPid, ...state.processes.map((entry) => entry.pid)];
    expect(survivors(pids).length).toBeGreaterThanOrEqual(pids.length);
    launcher.kill("SIGINT"); // to the whole group, as a terminal does
    // npm waits for the launcher, then ends itself by the same signal, as npm does for a Ctrl-C.
    expect(await launcher.exited).toEqual({ code: null, signal: "SIGINT" });
    expect(launcher.logs()).toContain("no demo process is left");
    expect(survivors(pids)).toEqual([]);
  }, 60_000);
});
