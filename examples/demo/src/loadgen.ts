import http from "node:http";
import { parseArgs } from "node:util";
import { PRODUCTS, USER_COUNT } from "./shop/app-kit.ts";

/**
 * Steady outside traffic into the gateway: open loop at a fixed rate (a slow mesh does not slow the offered
 * load, as with real users), with a cap on requests in flight so a stalled mesh cannot pile them up.
 */
const { values } = parseArgs({
  options: {
    target: { type: "string" },
    rps: { type: "string", default: "30" },
    "report-every": { type: "string", default: "30" },
  },
});
if (values.target === undefined) throw new Error("usage: loadgen --target http://127.0.0.1:8080 [--rps 30]");
const target = new URL(values.target);
const rps = Number(values.rps);
const reportEveryMs = Number(values["report-every"]) * 1_000;
if (!(rps > 0)) throw new Error(`--rps must be above 0, got ${values.rps}`);

const TICK_MS = 50;
const MAX_IN_FLIGHT = 64;

/** A shopper's visit, weighted: mostly browsing, some adding to the cart, a few buying. */
const MIX: { weight: number; request: (user: string) => { method: string; path: string; body?: unknown } }[] =
  [
    { weight: 45, request: (user) => ({ method: "GET", path: `/?user=${user}` }) },
    { weight: 30, request: (user) => ({ method: "GET", path: `/products/${randomProduct()}?user=${user}` }) },
    {
      weight: 15,
      request: (user) => ({
        method: "POST",
        path: "/cart/items",
        body: { user, productId: randomProduct(), quantity: 1 + Math.floor(Math.random() * 2) },
      }),
    },
    { weight: 10, request: (user) => ({ method: "POST", path: "/checkout", body: { user } }) },
  ];
const TOTAL_WEIGHT = MIX.reduce((sum, entry) => sum + entry.weight, 0);

function randomProduct(): string {
  return (PRODUCTS[Math.floor(Math.random() * PRODUCTS.length)] ?? PRODUCTS[0])?.id ?? "p1";
}

function nextRequest() {
  const user = `u${1 + Math.floor(Math.random() * USER_COUNT)}`;
  let roll = Math.random() * TOTAL_WEIGHT;
  for (const entry of MIX) {
    roll -= entry.weight;
    if (roll < 0) return entry.request(user);
  }
  return MIX[0]?.request(user) ?? { method: "GET", path: "/" };
}

const agent = new http.Agent({ keepAlive: true, maxSockets: MAX_IN_FLIGHT });
let inFlight = 0;
let window = { sent: 0, ok: 0, failed: 0, skipped: 0, latencies: [] as number[] };

function send(): void {
  if (inFlight >= MAX_IN_FLIGHT) {
    window.skipped += 1;
    return;
  }
  const { method, path, body } = nextRequest();
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const started = performance.now();
  inFlight += 1;
  window.sent += 1;
  const finish = (ok: boolean) => {
    inFlight -= 1;
    if (ok) window.ok += 1;
    else window.failed += 1;
    window.latencies.push(performance.now() - started);
  };
  const request = http.request(
    {
      host: target.hostname,
      port: target.port,
      method,
      path,
      agent,
      timeout: 10_000,
      headers: {
        host: "shop.local",
        "user-agent": "loom-demo-loadgen",
        ...(payload !== undefined && {
          "content-type": "application/json",
          "content-length": Buffer.byteLength(payload),
        }),
      },
    },
    (response) => {
      response.resume();
      response.on("end", () => finish((response.statusCode ?? 0) < 400));
      response.on("error", () => finish(false));
    },
  );
  request.on("timeout", () => request.destroy(new Error("timeout")));
  request.on("error", () => finish(false));
  request.end(payload);
}

let owed = 0;
setInterval(() => {
  owed += (rps * TICK_MS) / 1_000;
  for (; owed >= 1; owed -= 1) send();
}, TICK_MS);

function percentile(sorted: number[], share: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * share))] ?? 0;
}

setInterval(() => {
  const { sent, ok, failed, skipped, latencies } = window;
  window = { sent: 0, ok: 0, failed: 0, skipped: 0, latencies: [] };
  const sorted = latencies.sort((a, b) => a - b);
  const seconds = reportEveryMs / 1_000;
  const answered = ok + failed;
  console.log(
    `traffic: ${(sent / seconds).toFixed(1)} rps, ${answered === 0 ? "-" : ((ok / answered) * 100).toFixed(1)} % ok, ` +
      `p50 ${percentile(sorted, 0.5).toFixed(0)} ms, p99 ${percentile(sorted, 0.99).toFixed(0)} ms` +
      (skipped > 0 ? `, ${skipped} skipped (${MAX_IN_FLIGHT} in flight)` : ""),
  );
}, reportEveryMs);

console.log(`loadgen: ${rps} rps into ${target.origin}`);
for (const signal of ["SIGTERM", "SIGINT"] as const) process.once(signal, () => process.exit(0));
