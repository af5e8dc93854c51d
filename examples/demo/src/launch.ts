import { mkdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { buildConsole, consoleIsBuilt, startConsole } from "./console.ts";
import { applyDemoResources, signInAsAdmin, startControlPlane } from "./control-plane.ts";
import { adminPassword, dataplaneTokens } from "./credentials.ts";
import { waitForLiveGraph } from "./graph.ts";
import { planMesh } from "./layout.ts";
import { type DemoOptions, readOptions, USAGE } from "./options.ts";
import { claimPort } from "./ports.ts";
import { startProxies } from "./proxies.ts";
import { Supervisor } from "./supervisor.ts";
import { CANARY_SERVICE, ENTRY_SERVICE, GATEWAY_SERVICE, SHOP } from "./topology.ts";
import { UsageMeter } from "./usage.ts";
import { waitForHttp } from "./wait.ts";

const started = performance.now();
const elapsed = () => ((performance.now() - started) / 1_000).toFixed(1);
const say = (what: string, text: string) =>
  console.log(`[${elapsed().padStart(6)} s] ${what.padEnd(14)} ${text}`);

const STOP_GRACE_MS = 10_000;

let stopping: Promise<never> | undefined;
const supervisor = new Supervisor((child, how) => {
  // A finished build is expected; anything else that ends before Ctrl-C deserves a look at its log.
  if (stopping === undefined && !(child.name === "console-build" && how === "code 0"))
    say(child.name, `exited (${how}); see ${path.relative(process.cwd(), child.logFile)}`);
});

/**
 * Stops every process once, however many signals arrive: npm passes a Ctrl-C on as well, and a second signal
 * must not cut the proxies' drain short (the exit handler would SIGKILL them).
 */
function stop(reason: string, exitCode: number): Promise<never> {
  stopping ??= (async () => {
    if (supervisor.children.length > 0)
      say("stopping", `${reason}: stopping ${supervisor.children.length} processes …`);
    // Traffic first, so nothing fails while the mesh drains; the control plane last, so proxies never miss it.
    const ordered = ["loadgen", GATEWAY_SERVICE, "control-plane"];
    const rest = supervisor.children.map((child) => child.name).filter((name) => !ordered.includes(name));
    const survivors = await supervisor.stopAll(
      [["loadgen"], [GATEWAY_SERVICE], rest, ["control-plane"]],
      STOP_GRACE_MS,
    );
    if (survivors.length > 0) say("stopped", `but processes of ${survivors.join(", ")} survived SIGKILL`);
    else if (supervisor.children.length > 0) say("stopped", "no demo process is left");
    process.exit(survivors.length > 0 ? 1 : exitCode);
  })();
  return stopping;
}

// SIGHUP too: closing the terminal would otherwise end the launcher alone and leave its process groups running.
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, () => void stop(signal, 0));

async function main(options: DemoOptions): Promise<void> {
  if (options.fresh) await rm(options.dataDir, { recursive: true, force: true });
  const dirs = {
    controlPlane: path.join(options.dataDir, "control-plane"),
    proxies: path.join(options.dataDir, "proxies"),
    logs: path.join(options.dataDir, "logs"),
  };
  for (const dir of Object.values(dirs)) await mkdir(dir, { recursive: true, mode: 0o700 });
  const log = (name: string) => path.join(dirs.logs, `${name}.log`);
  const env = process.env;
  const joining = options.controlPlane !== undefined;
  const admin = await adminPassword(options.dataDir, joining);
  console.log(
    `Loom demo: ${SHOP.length} services, ${options.rps} rps, trace sampling ${options.samplingRate * 100} %, ` +
      `state in ${path.relative(process.cwd(), options.dataDir) || "."}; Ctrl-C stops everything`,
  );

  const gatewayPort = await claimPort(options.ports.gateway, "gateway-port");
  const controlPort = await claimPort(options.ports.control, "control-port");
  const consolePort = options.console ? await claimPort(options.ports.console, "console-port") : 0;
  // loom-cp binds 0 itself and says which port it got.
  if (!joining && options.ports.api !== 0) await claimPort(options.ports.api, "api-port");
  if (!joining && options.ports.dataplane !== 0) await claimPort(options.ports.dataplane, "dp-port");

  let consoleBuilt: Promise<void> = Promise.resolve();
  if (options.console && (options.buildConsole || !consoleIsBuilt())) {
    say("console", "building (next build, once; a few minutes on two busy cores) …");
    const buildStarted = performance.now();
    let echo = true;
    consoleBuilt = buildConsole(supervisor, {
      logFile: log("console-build"),
      env,
      onLine: (line) => {
        // The route table at the end is in the log; the progress lines before it are enough here.
        if (/^\s*Route \(/.test(line)) echo = false;
        if (echo && line.trim() !== "") say("console build", line.trim());
      },
    }).then(() => say("console", `built in ${((performance.now() - buildStarted) / 1_000).toFixed(1)} s`));
    // Awaited once the mesh runs; until then a failed build must not count as an unhandled rejection.
    consoleBuilt.catch(() => {});
  }

  const controlPlane =
    options.controlPlane ??
    (await startControlPlane(supervisor, {
      dataDir: dirs.controlPlane,
      apiPort: options.ports.api,
      dataplanePort: options.ports.dataplane,
      adminPassword: admin.password,
      logFile: log("control-plane"),
      env,
    }));
  say(
    "control plane",
    `${controlPlane.apiUrl} (data plane ${controlPlane.dataplaneUrl})${joining ? "" : ", store migrated"}`,
  );

  const api = await signInAsAdmin(controlPlane.apiUrl, admin.password);
  const applied = await applyDemoResources(api, options.samplingRate);
  await writeFile(path.join(options.dataDir, "resources.yaml"), applied.yaml);
  say(
    "mesh",
    `strict mTLS, ${SHOP.length} Services, ${CANARY_SERVICE} ${applied.routeCreated ? "split 100/0" : "keeps its route from an earlier run"} (resources.yaml)`,
  );

  const tokenFiles = await dataplaneTokens(api, dirs.proxies);
  const layout = await planMesh({
    gatewayPort,
    shopControlPort: controlPort,
    advertise: options.advertise,
    controlPlane: { url: controlPlane.dataplaneUrl, caFile: controlPlane.caFile },
    tokenFiles,
    otlpUrl: `${controlPlane.apiUrl}/v1/traces`,
  });

  const shopConfig = path.join(options.dataDir, "shop.json");
  await writeFile(shopConfig, `${JSON.stringify(layout.shop, null, 2)}\n`);
  const shop = supervisor.start({
    name: "shop",
    command: process.execPath,
    args: ["--import", "tsx", path.join(import.meta.dirname, "shop/main.ts"), shopConfig],
    env,
    logFile: log("shop"),
  });
  await shop.waitForLine(/^shop ready/, 60_000);
  const shopUrl = `http://127.0.0.1:${controlPort}`;
  say("shop", `${layout.shop.instances.length} app instances; behaviour and counters at ${shopUrl}`);

  let ready = 0;
  const proxies = await startProxies(supervisor, layout.proxies, {
    dir: dirs.proxies,
    logDir: dirs.logs,
    env,
    onReady: () => {
      ready += 1;
      if (ready === layout.proxies.length || ready % 3 === 0)
        say("proxies", `${ready}/${layout.proxies.length} registered, certified and ready`);
    },
  });
  const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
  const gateway = proxies.find((child) => child.name === GATEWAY_SERVICE);
  if (gateway) await waitForHttp(`${gatewayUrl}/?user=u1`, gateway, 60_000);

  const usage = new UsageMeter();
  usage.sample(supervisor.children.map((child) => child.pid));
  supervisor.start({
    name: "loadgen",
    command: process.execPath,
    args: [
      ...["--import", "tsx", path.join(import.meta.dirname, "loadgen.ts")],
      ...["--target", gatewayUrl, "--rps", String(options.rps)],
    ],
    env,
    logFile: log("loadgen"),
    onLine: (line) => {
      if (!line.startsWith("traffic:")) return;
      const { processes, rssMb, cores } = usage.sample(supervisor.children.map((child) => child.pid));
      say(
        "traffic",
        `${line.slice("traffic:".length).trim()} · demo: ${processes} processes, ${(rssMb / 1024).toFixed(2)} GB, ${cores.toFixed(2)} cores`,
      );
    },
  });
  say("traffic", `${options.rps} rps into the gateway ${gatewayUrl}`);

  const graphLive = waitForLiveGraph(api, 180_000).then(
    (edges) =>
      say("graph", `live: traffic on all ${edges} edges (${ENTRY_SERVICE} and everything behind it)`),
    (error: Error) => say("graph", `not live yet: ${error.message}; the control plane's log may say why`),
  );
  let consoleUrl: string | undefined;
  if (options.console) {
    await consoleBuilt;
    consoleUrl = (
      await startConsole(supervisor, {
        port: consolePort,
        apiUrl: controlPlane.apiUrl,
        logFile: log("console"),
        env,
      })
    ).url;
    say("console", consoleUrl);
  }
  await graphLive;

  const state = {
    launcherPid: process.pid,
    urls: {
      console: consoleUrl,
      gateway: gatewayUrl,
      api: controlPlane.apiUrl,
      dataplane: controlPlane.dataplaneUrl,
      shop: shopUrl,
    },
    processes: supervisor.children.map((child) => ({ name: child.name, pid: child.pid })),
  };
  await writeFile(path.join(options.dataDir, "demo.json"), `${JSON.stringify(state, null, 2)}\n`);
  const password = admin.file
    ? `password in ${path.relative(process.cwd(), admin.file)}: ${admin.password}`
    : "password from LOOM_ADMIN_PASSWORD";
  console.log(`
  console         ${consoleUrl ?? "(not started: --no-console)"}   sign in as admin, ${password}
  shop            ${gatewayUrl}   (the gateway; the load generator shops there too)
  control plane   ${controlPlane.apiUrl}   (loomctl, /v1/traces)
  shop behaviour  curl ${shopUrl}/behaviour   ·   curl ${shopUrl}/counters
                  curl -X POST ${shopUrl}/behaviour -d '{"service":"payments","errorRate":0.2}'
  logs            ${path.relative(process.cwd(), dirs.logs)}/
`);
  console.log(
    `loom demo ready in ${elapsed()} s: console ${consoleUrl ?? "-"} gateway ${gatewayUrl} api ${controlPlane.apiUrl} shop ${shopUrl}`,
  );
}

let options: DemoOptions | "help";
try {
  options = readOptions(process.argv.slice(2));
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(2);
}
if (options === "help") {
  console.log(USAGE);
  process.exit(0);
}
main(options).catch((error: unknown) => {
  if (stopping) return;
  console.error(`\nthe demo did not start: ${error instanceof Error ? error.message : error}`);
  void stop("startup failed", 1);
});
