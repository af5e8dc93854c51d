import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Bootstrap } from "@loom/spec";
import { type ProcessHandle, startProcess } from "@loom/test-harness";
import { type ApiClient, signInAsAdmin } from "../../examples/demo/src/control-plane.ts";
import type { InstanceCounters } from "../../examples/demo/src/shop/app-instance.ts";
import { CONSOLE_ENV, REPO_ROOT } from "./paths.ts";

export const DEMO_ADMIN = { username: "admin", password: "demo-flows-admin-password" };

export interface RunningDemo {
  launcher: ProcessHandle;
  urls: { console: string; gateway: string; api: string; shop: string };
  /** The control plane's API as the demo's admin (to read what the browser's clicks did, never to do them). */
  admin: ApiClient;
  /** From the launcher's start until it said the graph was live (traffic on every edge), in seconds. */
  graphLiveSeconds: number;
  /** Until the launcher printed "ready" (the console answering included). */
  readySeconds: number;
  /** Each app instance's own request counters (the shop's control port), e.g. counters["cart-v2"].requests. */
  counters(): Promise<Record<string, InstanceCounters>>;
  /** loom_requests_total of one proxy (e.g. "checkout-v1"), summed over the series matching every label given. */
  requestsAt(proxy: string, labels: Record<string, string>): Promise<number>;
  stop(): Promise<void>;
}

/**
 * `npm run demo` as a user starts it, console included, on free ports with fresh state in a temporary data
 * directory. The console is the one the e2e global setup built (the launcher reuses an existing build).
 */
export async function startDemo(options: { rps: number; sampling: number }): Promise<RunningDemo> {
  const dataDir = await mkdtemp(path.join(tmpdir(), "loom-demo-flows-"));
  const started = performance.now();
  const launcher = await startProcess({
    name: "demo launcher",
    command: "npm",
    args: [
      ...["run", "--silent", "demo", "--", "--free-ports", "--data-dir", dataDir],
      ...["--rps", String(options.rps), "--sampling", String(options.sampling)],
    ],
    cwd: REPO_ROOT,
    env: { ...CONSOLE_ENV, LOOM_ADMIN_PASSWORD: DEMO_ADMIN.password },
    ready: { line: /^loom demo ready in/ },
    readyTimeoutMs: 240_000,
  });
  const readySeconds = (performance.now() - started) / 1000;
  const state = JSON.parse(await readFile(path.join(dataDir, "demo.json"), "utf8")) as {
    urls: { console?: string; gateway: string; api: string; shop: string };
  };
  const { console: consoleUrl, ...urls } = state.urls;
  if (consoleUrl === undefined) throw new Error("the demo started without its console");
  // "[  41.3 s] graph          live: traffic on all 11 edges …"
  const live = /\[\s*([\d.]+) s\] graph\s+live:/.exec(launcher.logs());
  const admin = await signInAsAdmin(urls.api, DEMO_ADMIN.password);

  const adminPorts = new Map<string, number>();
  const adminPortOf = async (proxy: string) => {
    let port = adminPorts.get(proxy);
    if (port === undefined) {
      const file = path.join(dataDir, "proxies", `${proxy}.json`);
      port = (JSON.parse(await readFile(file, "utf8")) as Bootstrap).adminPort;
      adminPorts.set(proxy, port);
    }
    return port;
  };

  return {
    launcher,
    urls: { ...urls, console: consoleUrl },
    admin,
    graphLiveSeconds: live ? Number(live[1]) : Number.NaN,
    readySeconds,
    async counters() {
      const response = await fetch(`${urls.shop}/counters`);
      return (await response.json()) as Record<string, InstanceCounters>;
    },
    async requestsAt(proxy, labels) {
      const text = await (await fetch(`http://127.0.0.1:${await adminPortOf(proxy)}/metrics`)).text();
      const wanted = Object.entries(labels).map(([name, value]) => `${name}="${value}"`);
      return text
        .split("\n")
        .filter(
          (line) => line.startsWith("loom_requests_total{") && wanted.every((pair) => line.includes(pair)),
        )
        .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(" ") + 1)), 0);
    },
    async stop() {
      // Ctrl-C to the whole group, as a terminal does; the launcher stops everything it started.
      launcher.kill("SIGINT");
      await launcher.exited;
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
