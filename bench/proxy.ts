// npm run bench:proxy [-- --profile]
// Loom's data plane against no proxy, nginx and HAProxy on the same hop; one table from one run.
import { execFileSync } from "node:child_process";
import { mkdtemp, readdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { freePort, stopAll } from "@loom/test-harness";
import { bundleProxy } from "./proxy/bundle.ts";
import { LOAD_CORE, pinSelfToLoadCore, SERVER_CORE } from "./proxy/cores.ts";
import { summarizeProfile } from "./proxy/cpu-profile.ts";
import { type FixedRateLatency, hey, wrk } from "./proxy/load.ts";
import { issueCertificates, startSidecar } from "./proxy/loom.ts";
import { startApp, startHaproxy, startNginxProxy } from "./proxy/peers.ts";
import { coreBusyMs, cpuMs, observe, rssMb } from "./proxy/process-stats.ts";

const WRK = { warmupSeconds: 2, seconds: 8, connections: 32 };
const FIXED_RATE = { seconds: 10, rps: 1_000, workers: 10 };
const GOALS = { hopVsHaproxy: 0.9, addedP50Ms: 0.3, addedP99Ms: 0.9, rssIdleMb: 64, rssLoadedMb: 128 };

interface Case {
  key: "direct" | "hop" | "bundledHop" | "inboundHop" | "mtls2" | "nginx" | "haproxy";
  label: string;
  url: string;
  /** The proxy processes of this path (none for direct). */
  pids: number[];
}

interface Measured extends Case, FixedRateLatency {
  rps: number;
  /** CPU the path's proxies spent per request under wrk, in µs. */
  cpuUsPerRequest: number;
  rssIdleMb: number;
  rssLoadedMb: number;
}

const TOOLS = ["wrk", "hey", "nginx", "haproxy", "taskset"];

async function main(): Promise<void> {
  const profile = process.argv.includes("--profile");
  const missing = TOOLS.filter((tool) => !hasCommand(tool));
  if (missing.length > 0)
    throw new Error(`missing ${missing.join(", ")}: apt-get install -y nginx haproxy wrk hey`);
  pinSelfToLoadCore();
  const dir = await mkdtemp(path.join(tmpdir(), "loom-bench-proxy-"));
  const started = Date.now();

  const [
    appPort,
    nginxPort,
    haproxyPort,
    hopPort,
    bundledHopPort,
    inboundHopPort,
    frontendPort,
    backendPort,
  ] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
    freePort(),
    freePort(),
    freePort(),
    freePort(),
    freePort(),
  ]);
  const [certificates, bundle] = await Promise.all([
    issueCertificates(dir, ["frontend", "backend"]),
    bundleProxy(dir),
  ]);
  const app = await startApp(dir, appPort);
  const [nginx, haproxy, hop, bundledHop, inboundHop, backend] = await Promise.all([
    startNginxProxy(dir, nginxPort, appPort),
    startHaproxy(dir, haproxyPort, appPort),
    startSidecar(dir, "loom-hop", {
      service: "client",
      mtls: "off",
      outbound: { port: hopPort, to: "app", targetPort: appPort },
    }),
    startSidecar(dir, "loom-hop-bundled", {
      service: "client",
      mtls: "off",
      outbound: { port: bundledHopPort, to: "app", targetPort: appPort },
      entry: bundle,
    }),
    startSidecar(dir, "loom-inbound-hop", {
      service: "app",
      mtls: "off",
      inbound: { port: inboundHopPort, appPort },
    }),
    startSidecar(dir, "loom-backend", {
      service: "backend",
      mtls: "strict",
      tls: certificates.backend,
      inbound: { port: backendPort, appPort },
    }),
  ]);
  const frontend = await startSidecar(dir, "loom-frontend", {
    service: "frontend",
    mtls: "strict",
    tls: certificates.frontend,
    outbound: { port: frontendPort, to: "backend", targetPort: backendPort },
  });

  const cases: Case[] = [
    { key: "direct", label: "Direct (wrk → app)", url: app.url, pids: [] },
    {
      key: "hop",
      label: "Loom, one plaintext hop (outbound listener)",
      url: hop.url,
      pids: [hop.handle.pid],
    },
    {
      key: "bundledHop",
      label: "Loom, one plaintext hop (outbound listener), esbuild bundle",
      url: bundledHop.url,
      pids: [bundledHop.handle.pid],
    },
    {
      key: "inboundHop",
      label: "Loom, one plaintext hop (inbound listener)",
      url: inboundHop.url,
      pids: [inboundHop.handle.pid],
    },
    {
      key: "mtls2",
      label: "Loom, two sidecars with mTLS",
      url: frontend.url,
      pids: [frontend.handle.pid, backend.handle.pid],
    },
    { key: "nginx", label: "nginx 1 worker, one hop", url: nginx.url, pids: [nginx.handle.pid] },
    { key: "haproxy", label: "HAProxy 1 thread, one hop", url: haproxy.url, pids: [haproxy.handle.pid] },
  ];
  for (const { url } of cases) await expectAppAnswer(url);

  const servers = [app, nginx, haproxy, hop, bundledHop, inboundHop, backend, frontend].map(
    (server) => server.handle.pid,
  );
  const competition = { startedAt: Date.now(), coreBusyMs: coreBusyMs(SERVER_CORE), oursMs: cpuMs(servers) };
  const results: Measured[] = [];
  for (const benchCase of cases) {
    process.stderr.write(`measuring ${benchCase.label}...\n`);
    const rssIdleMb = rssMb(benchCase.pids);
    await wrk(benchCase.url, { seconds: WRK.warmupSeconds, connections: WRK.connections });
    const saturated = await observe(benchCase.pids, () =>
      wrk(benchCase.url, { seconds: WRK.seconds, connections: WRK.connections }),
    );
    const latency = await hey(benchCase.url, FIXED_RATE);
    results.push({
      ...benchCase,
      ...latency,
      rps: saturated.result.rps,
      cpuUsPerRequest: (saturated.cpuMs * 1000) / (saturated.result.rps * WRK.seconds),
      rssIdleMb,
      rssLoadedMb: saturated.peakRssMb,
    });
  }

  const foreignMs = coreBusyMs(SERVER_CORE) - competition.coreBusyMs - (cpuMs(servers) - competition.oursMs);
  printReport(results, {
    seconds: (Date.now() - started) / 1000,
    foreignShare: foreignMs / (Date.now() - competition.startedAt),
  });
  if (profile) await profileOneHop(dir);
}

interface RunContext {
  seconds: number;
  /** Share of the server core that processes other than the bench's servers used while it measured. */
  foreignShare: number;
}

function printReport(results: Measured[], run: RunContext): void {
  const get = (key: Case["key"]) => results.find((result) => result.key === key) as Measured;
  const direct = get("direct");
  const haproxy = get("haproxy");
  const hop = get("hop");
  const bundledHop = get("bundledHop");
  const mtls2 = get("mtls2");
  const nginx = get("nginx");
  const ms = (value: number) => value.toFixed(2);
  const mb = (value: number) => (value === 0 ? "–" : value.toFixed(1));

  const lines = [
    "",
    `Proxy benchmark: load (wrk -t1 -c${WRK.connections}, hey) on core ${LOAD_CORE}; app (nginx, 1 worker) and proxies on core ${SERVER_CORE}.`,
    "Loom rows run the loom-proxy bin (TypeScript through tsx) unless marked esbuild bundle (plain node, as an image would ship it). Loom's one-hop figures are its outbound listener (app → proxy → service: route, split, retry budget, breaker, P2C); the inbound listener (peer → proxy → app: authz, rate limit, fault) is shown beside it.",
    `Max rps: wrk ${WRK.seconds}s after ${WRK.warmupSeconds}s warm-up. Latency: hey ${FIXED_RATE.workers} connections × ${FIXED_RATE.rps / FIXED_RATE.workers} rps = ${FIXED_RATE.rps} rps for ${FIXED_RATE.seconds}s (0.1 ms resolution). RSS: VmRSS, summed over the path's proxies.`,
    "",
    "| Path | max rps | × HAProxy | proxy CPU µs/req | p50 ms @1k | p99 ms @1k | added p50 ms | added p99 ms | RSS idle MB | RSS loaded MB |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ...results
      .map((result) =>
        [
          result.label,
          Math.round(result.rps).toLocaleString("en"),
          (result.rps / haproxy.rps).toFixed(2),
          result.key === "direct" ? "–" : result.cpuUsPerRequest.toFixed(1),
          ms(result.p50Ms),
          ms(result.p99Ms),
          result.key === "direct" ? "–" : ms(result.p50Ms - direct.p50Ms),
          result.key === "direct" ? "–" : ms(result.p99Ms - direct.p99Ms),
          mb(result.rssIdleMb),
          mb(result.rssLoadedMb),
        ].join(" | "),
      )
      .map((row) => `| ${row} |`),
    "",
    "Goals (issue 3):",
    goal("one plaintext hop ≥ 0.9× HAProxy max rps", hop.rps / haproxy.rps >= GOALS.hopVsHaproxy),
    goal("two mTLS sidecars add ≤ 0.3 ms p50 at 1,000 rps", mtls2.p50Ms - direct.p50Ms <= GOALS.addedP50Ms),
    goal("two mTLS sidecars add ≤ 0.9 ms p99 at 1,000 rps", mtls2.p99Ms - direct.p99Ms <= GOALS.addedP99Ms),
    goal("RSS ≤ 64 MB idle (one-hop proxy)", hop.rssIdleMb <= GOALS.rssIdleMb),
    goal("RSS ≤ 128 MB loaded (one-hop proxy)", hop.rssLoadedMb <= GOALS.rssLoadedMb),
    `(${run.seconds.toFixed(0)} s; other processes used ${(100 * run.foreignShare).toFixed(0)}% of the server core meanwhile${run.foreignShare > 0.05 ? ": the machine was shared, throughput and latency figures are pessimistic" : ""})`,
    "",
    `BENCH proxy.hop_rps ${Math.round(hop.rps)}`,
    `BENCH proxy.hop_rps_vs_haproxy ${(hop.rps / haproxy.rps).toFixed(2)}`,
    `BENCH proxy.hop_rps_vs_nginx ${(hop.rps / nginx.rps).toFixed(2)}`,
    `BENCH proxy.hop_cpu_us_per_request ${hop.cpuUsPerRequest.toFixed(1)}`,
    `BENCH proxy.hop_cpu_vs_haproxy ${(hop.cpuUsPerRequest / haproxy.cpuUsPerRequest).toFixed(2)}`,
    `BENCH proxy.hop_added_p50_ms ${ms(hop.p50Ms - direct.p50Ms)}`,
    `BENCH proxy.hop_added_p99_ms ${ms(hop.p99Ms - direct.p99Ms)}`,
    `BENCH proxy.mtls2_rps_vs_haproxy ${(mtls2.rps / haproxy.rps).toFixed(2)}`,
    `BENCH proxy.mtls2_added_p50_ms ${ms(mtls2.p50Ms - direct.p50Ms)}`,
    `BENCH proxy.mtls2_added_p99_ms ${ms(mtls2.p99Ms - direct.p99Ms)}`,
    `BENCH proxy.rss_idle_mb ${hop.rssIdleMb.toFixed(1)}`,
    `BENCH proxy.rss_loaded_mb ${hop.rssLoadedMb.toFixed(1)}`,
    `BENCH proxy.bundled_hop_rps_vs_haproxy ${(bundledHop.rps / haproxy.rps).toFixed(2)}`,
    `BENCH proxy.bundled_hop_cpu_us_per_request ${bundledHop.cpuUsPerRequest.toFixed(1)}`,
    `BENCH proxy.bundled_rss_idle_mb ${bundledHop.rssIdleMb.toFixed(1)}`,
    `BENCH proxy.bundled_rss_loaded_mb ${bundledHop.rssLoadedMb.toFixed(1)}`,
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
}

function goal(text: string, met: boolean): string {
  return `- ${met ? "met" : "NOT met"}: ${text}`;
}

/**
 * A fresh one-hop proxy under --cpu-prof and wrk, alone on the server core (its app moves to the load
 * core): sharing a core, the profiler would charge the proxy for time the app ran while the proxy sat in a
 * write that woke it. Prints where the proxy's CPU went.
 */
async function profileOneHop(dir: string): Promise<void> {
  const profileDir = path.join(dir, "cpu-profile");
  const [appPort, port] = await Promise.all([freePort(), freePort()]);
  await startApp(dir, appPort, LOAD_CORE);
  const proxy = await startSidecar(dir, "loom-hop-profiled", {
    service: "client",
    mtls: "off",
    outbound: { port, to: "app", targetPort: appPort },
    nodeFlags: ["--cpu-prof", `--cpu-prof-dir=${profileDir}`],
  });
  await wrk(proxy.url, { seconds: WRK.warmupSeconds, connections: WRK.connections });
  await wrk(proxy.url, { seconds: WRK.seconds, connections: WRK.connections });
  await proxy.handle.stop({ signal: "SIGTERM", graceMs: 10_000 });
  // The main thread's profile is the first; tsx's loader thread writes a second one.
  const [file] = (await readdir(profileDir)).sort();
  if (!file) throw new Error(`node --cpu-prof wrote no profile to ${profileDir}`);
  const summary = await summarizeProfile(path.join(profileDir, file), "listeners/outbound-http.ts", 25);
  const table = (title: string, costs: { name: string; percent: number }[]) =>
    [`\n${title}`, ...costs.map((cost) => `${cost.percent.toFixed(1).padStart(6)}%  ${cost.name}`)].join(
      "\n",
    );
  process.stdout.write(
    [
      `\nCPU profile of the one-hop proxy (${path.join(profileDir, file)}), ${summary.busyMs.toFixed(0)} ms busy:`,
      table("Self time by module:", summary.byModule),
      table("Self time by function:", summary.self),
      table("Inclusive time of Loom's functions:", summary.inclusive),
      "",
    ].join("\n"),
  );
}

async function expectAppAnswer(url: string): Promise<void> {
  const response = await fetch(url);
  const body = await response.text();
  if (response.status !== 200 || !body.startsWith("hello from the bench app")) {
    throw new Error(`${url} answered ${response.status}: ${body}`);
  }
}

function hasCommand(command: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

try {
  await main();
} finally {
  await stopAll();
}
