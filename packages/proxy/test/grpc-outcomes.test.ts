import path from "node:path";
import { fileURLToPath } from "node:url";
import { status as GrpcCode } from "@grpc/grpc-js";
import { freePort, startProcess, useProcesses, waitForLine } from "@loom/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeCa, makeLeaf } from "./support/certs.ts";
import { callMany, InventoryClient, type UnaryResult } from "./support/grpc-js-client.ts";
import {
  countBy,
  endpoint,
  type RunningProxy,
  request,
  snapshot,
  startProxy,
  tempDir,
} from "./support/mesh.ts";
import { promtoolCheck, sumSamples } from "./support/metrics-text.ts";
import { SPAN_KIND_CLIENT, SPAN_KIND_SERVER, startOtlpReceiver } from "./support/otlp-receiver.ts";

useProcesses();

const GRPC_JS_APP = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "apps/grpc-js-app.mjs");
const RESERVE_PATH = "/loom.test.Inventory/Reserve";
const SPAN_STATUS_ERROR = 2;

async function startInventoryApp(name: string, env: Record<string, string> = {}) {
  const handle = await startProcess({ name, command: process.execPath, args: [GRPC_JS_APP], env });
  const port = Number((await waitForLine(handle, /listening on (\d+)/))[1]);
  return { port, direct: new InventoryClient(`127.0.0.1:${port}`) };
}

/** JSON access-log lines of a proxy, collected from now on. */
function collectAccessLog(proxy: RunningProxy): { grpcStatus?: number; path: string }[] {
  const entries: { grpcStatus?: number; path: string }[] = [];
  proxy.process.onLine((line) => {
    if (line.startsWith("{") && line.includes('"direction"')) entries.push(JSON.parse(line));
  });
  return entries;
}

const codesOf = (results: UnaryResult[]) => countBy(results, (result) => String(result.code));

/**
 * A @grpc/grpc-js client → web's sidecar → inventory's sidecar (strict mTLS) → a @grpc/grpc-js server.
 * gRPC answers HTTP 200 and puts failures in grpc-status; the sidecars must count them as failures.
 */
describe("gRPC status through two sidecars over mTLS", () => {
  let app: Awaited<ReturnType<typeof startInventoryApp>>;
  let web: RunningProxy;
  let inventory: RunningProxy;
  let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
  let plain: InventoryClient;
  let retrying: InventoryClient;
  let budgeted: InventoryClient;
  let unreachable: InventoryClient;
  let slow: InventoryClient;
  let webLog: ReturnType<typeof collectAccessLog>;
  let inventoryLog: ReturnType<typeof collectAccessLog>;

  beforeAll(async () => {
    const dir = await tempDir();
    const ca = await makeCa(dir, "mesh-ca");
    const [webCert, inventoryCert] = await Promise.all([
      makeLeaf(dir, "web", "spiffe://loom.local/ns/default/sa/web", ca),
      makeLeaf(dir, "inventory", "spiffe://loom.local/ns/default/sa/inventory", ca),
    ]);
    receiver = await startOtlpReceiver();
    app = await startInventoryApp("inventory-app");
    const [inboundPort, plainPort, retryPort, budgetPort, deadPort, closedPort, slowPort] = await Promise.all(
      [freePort(), freePort(), freePort(), freePort(), freePort(), freePort(), freePort()],
    );
    inventory = await startProxy(dir, {
      name: "inventory",
      service: "inventory",
      snapshot: snapshot({ service: "inventory", mtls: "strict", samplingRate: 1 }),
      inbound: [{ port: inboundPort, appPort: app.port, protocol: "grpc" }],
      tls: { ...inventoryCert, caFile: ca.certFile },
      otlpUrl: receiver.url,
      accessLog: true,
    });
    const outbound = (port: number) => ({
      service: "inventory",
      port,
      protocol: "grpc" as const,
      endpoints: [endpoint("inventory", inboundPort)],
    });
    const backoff = { base: "1ms", max: "5ms" };
    web = await startProxy(dir, {
      name: "web",
      service: "web",
      snapshot: snapshot({
        service: "web",
        mtls: "strict",
        samplingRate: 1,
        outbounds: [
          outbound(plainPort),
          {
            ...outbound(retryPort),
            retry: {
              name: "inventory-retry",
              spec: {
                attempts: 3,
                retryOn: ["grpc-unavailable"],
                backoff,
                budget: { percent: 100, minRetriesPerSecond: 100 },
              },
            },
          },
          {
            service: "warehouse",
            port: deadPort,
            protocol: "grpc",
            // Nothing listens there.
            endpoints: [endpoint("warehouse", closedPort)],
            retry: {
              name: "warehouse-retry",
              spec: { attempts: 3, retryOn: ["connect-failure"], backoff },
            },
          },
          {
            // The same instance under another name, with a short request timeout.
            ...outbound(slowPort),
            service: "reports",
            endpoints: [
              {
                ...endpoint("reports", inboundPort),
                identity: "spiffe://loom.local/ns/default/sa/inventory",
              },
            ],
            timeout: { name: "reports-timeout", spec: { request: "300ms" } },
          },
          {
            ...outbound(budgetPort),
            retry: {
              name: "inventory-budget",
              spec: {
                attempts: 5,
                retryOn: ["grpc-unavailable"],
                backoff,
                budget: { percent: 20, minRetriesPerSecond: 0 },
              },
            },
          },
        ],
      }),
      tls: { ...webCert, caFile: ca.certFile },
      otlpUrl: receiver.url,
      accessLog: true,
    });
    webLog = collectAccessLog(web);
    inventoryLog = collectAccessLog(inventory);
    plain = new InventoryClient(`127.0.0.1:${plainPort}`);
    retrying = new InventoryClient(`127.0.0.1:${retryPort}`);
    budgeted = new InventoryClient(`127.0.0.1:${budgetPort}`);
    unreachable = new InventoryClient(`127.0.0.1:${deadPort}`);
    slow = new InventoryClient(`127.0.0.1:${slowPort}`);
  });

  afterAll(() => {
    for (const client of [plain, retrying, budgeted, unreachable, slow, app?.direct]) client?.close();
    receiver?.close();
  });

  it("counts every failing grpc-status as a failure in metrics, spans and the access log", async () => {
    // Per 10 calls: 5 OK, 3 UNAVAILABLE (trailers-only), 1 INTERNAL (in trailers, after headers), 1 NOT_FOUND.
    const modes = [
      ...Array(5).fill({ mode: "ok" }),
      ...Array(3).fill({ mode: "fail", code: GrpcCode.UNAVAILABLE }),
      { mode: "trailers", code: GrpcCode.INTERNAL },
      { mode: "fail", code: GrpcCode.NOT_FOUND },
    ];
    const results = await callMany(200, 8, (index) =>
      plain.call("Reserve", { id: `a-${index}`, ...modes[index % 10] }),
    );
    const sent = { "0": 100, "14": 60, "13": 20, "5": 20 };
    expect(codesOf(results)).toEqual(sent);
    expect((await app.direct.counts()).calls).toBe(200);

    const [webMetrics, inventoryMetrics] = await Promise.all([
      request(`${web.adminUrl}/metrics`).then((response) => response.body),
      request(`${inventory.adminUrl}/metrics`).then((response) => response.body),
    ]);
    for (const text of [webMetrics, inventoryMetrics]) {
      expect(await promtoolCheck(text)).toEqual({ code: 0, output: "" });
    }
    const seen = { outbound: webMetrics, inbound: inventoryMetrics };
    for (const [direction, metrics] of Object.entries(seen)) {
      const count = (labels: Record<string, string>) =>
        sumSamples(metrics, "loom_requests_total", { direction, destination: "inventory", ...labels });
      const counted = Object.fromEntries(
        Object.keys(sent).map((code) => [code, count({ grpc_status: code, status_class: "2xx" })]),
      );
      console.log(`${direction}: sent ${JSON.stringify(sent)}, counted ${JSON.stringify(counted)}`);
      expect(counted).toEqual(sent);
      expect(count({ classification: "failure" })).toBe(80);
      expect(count({ classification: "success" })).toBe(120);
      expect(count({ grpc_status: "5", classification: "success" })).toBe(20);
      expect(
        sumSamples(metrics, "loom_request_duration_seconds_count", {
          direction,
          grpc_status: "14",
          classification: "failure",
        }),
      ).toBe(60);
    }

    for (const [service, kind] of [
      ["web", SPAN_KIND_CLIENT],
      ["inventory", SPAN_KIND_SERVER],
    ] as const) {
      const spans = () => receiver.spans.filter((span) => span.service === service && span.kind === kind);
      await expect.poll(() => spans().length, { timeout: 15_000 }).toBeGreaterThanOrEqual(200);
      const grpcStatusOf = (span: (typeof receiver.spans)[number]) =>
        span.attributes?.find((attribute) => attribute.key === "rpc.grpc.status_code")?.value.intValue;
      const errors = spans().filter((span) => span.status?.code === SPAN_STATUS_ERROR);
      console.log(
        `${service} ${kind === SPAN_KIND_CLIENT ? "client" : "server"} spans: ${errors.length} ERROR`,
      );
      expect(errors.length).toBe(80);
      expect(countBy(errors, (span) => String(grpcStatusOf(span)))).toEqual({ "14": 60, "13": 20 });
    }

    for (const log of [webLog, inventoryLog]) {
      const reserves = log.filter((entry) => entry.path === RESERVE_PATH);
      expect(reserves.length).toBe(200);
      expect(countBy(reserves, (entry) => String(entry.grpcStatus))).toEqual(sent);
    }
  });

  it("retries UNAVAILABLE, trailers-only or in trailers, resending the buffered request", async () => {
    await app.direct.reset();
    const results = await callMany(150, 8, (index) =>
      retrying.call("Reserve", {
        id: `r-${index}`,
        mode: index < 100 ? "fail-first" : "trailers-first",
        code: GrpcCode.UNAVAILABLE,
      }),
    );
    expect(codesOf(results)).toEqual({ "0": 150 });
    expect(countBy(results, (result) => String(result.attempts))).toEqual({ "2": 150 });
    const counts = await app.direct.counts();
    console.log(`150 calls, each failing once: ${counts.calls} attempts reached the app`);
    expect(counts.calls).toBe(300);
    expect(Object.values(counts.byId).every((attempts) => attempts === 2)).toBe(true);
    const webMetrics = (await request(`${web.adminUrl}/metrics`)).body;
    expect(sumSamples(webMetrics, "loom_retries_total", { destination: "inventory", outcome: "sent" })).toBe(
      150,
    );
  });

  it("does not retry a status it was not asked to, nor a body beyond the replay cap", async () => {
    await app.direct.reset();
    const notFound = await retrying.call("Reserve", {
      id: "n-1",
      mode: "fail-first",
      code: GrpcCode.NOT_FOUND,
    });
    expect(notFound.code).toBe(GrpcCode.NOT_FOUND);
    // 70 kB of JSON: above the 64 KiB kept for a resend, so the first answer goes to the caller.
    const large = await retrying.call("Reserve", {
      id: "big-1",
      mode: "fail-first",
      code: GrpcCode.UNAVAILABLE,
      padding: "x".repeat(70_000),
    });
    expect(large.code).toBe(GrpcCode.UNAVAILABLE);
    const small = await retrying.call("Reserve", {
      id: "small-1",
      mode: "fail-first",
      code: GrpcCode.UNAVAILABLE,
      padding: "x".repeat(30_000),
    });
    expect(small).toMatchObject({ code: GrpcCode.OK, attempts: 2 });
    expect((await app.direct.counts()).byId).toEqual({ "n-1": 1, "big-1": 1, "small-1": 2 });
  });

  it("retries a connect failure, then answers UNAVAILABLE itself", async () => {
    const results = await callMany(5, 1, (index) => unreachable.call("Reserve", { id: `d-${index}` }));
    expect(codesOf(results)).toEqual({ [String(GrpcCode.UNAVAILABLE)]: 5 });
    expect(results[0]?.details).toBe("upstream connect error");
    const webMetrics = (await request(`${web.adminUrl}/metrics`)).body;
    expect(sumSamples(webMetrics, "loom_retries_total", { destination: "warehouse", outcome: "sent" })).toBe(
      10,
    );
    expect(
      sumSamples(webMetrics, "loom_requests_total", {
        destination: "warehouse",
        grpc_status: "14",
        classification: "failure",
      }),
    ).toBe(5);
  });

  it("answers DEADLINE_EXCEEDED itself when the request timeout passes before response headers", async () => {
    const result = await slow.call("Reserve", { id: "s-1", mode: "slow", ms: 2_000 });
    expect(result).toMatchObject({ code: GrpcCode.DEADLINE_EXCEEDED, details: "upstream request timeout" });
    const webMetrics = (await request(`${web.adminUrl}/metrics`)).body;
    expect(
      sumSamples(webMetrics, "loom_requests_total", {
        destination: "reports",
        grpc_status: String(GrpcCode.DEADLINE_EXCEEDED),
        classification: "failure",
      }),
    ).toBe(1);
  });

  it("keeps retries within the budget and reports the failures left", async () => {
    await app.direct.reset();
    const calls = 200;
    const results = await callMany(calls, 4, (index) =>
      budgeted.call("Reserve", { id: `b-${index}`, mode: "fail", code: GrpcCode.UNAVAILABLE }),
    );
    expect(codesOf(results)).toEqual({ "14": calls });
    const attempts = (await app.direct.counts()).calls;
    console.log(`${calls} calls always failing, 20 % budget: ${attempts} attempts reached the app`);
    expect(attempts).toBeGreaterThan(calls);
    expect(attempts).toBeLessThanOrEqual(calls * 1.22);
    const webMetrics = (await request(`${web.adminUrl}/metrics`)).body;
    expect(
      sumSamples(webMetrics, "loom_retries_total", { destination: "inventory", outcome: "budget_exhausted" }),
    ).toBeGreaterThan(0);
  });
});

describe("outlier detection on gRPC status", () => {
  it("ejects the instance answering UNAVAILABLE after consecutiveGatewayErrors calls", async () => {
    const dir = await tempDir();
    const [healthy, failing] = await Promise.all([
      startInventoryApp("inventory-healthy"),
      startInventoryApp("inventory-failing", { FAIL_ALL: String(GrpcCode.UNAVAILABLE) }),
    ]);
    const [healthyInbound, failingInbound, outboundPort] = await Promise.all([
      freePort(),
      freePort(),
      freePort(),
    ]);
    await Promise.all(
      [
        ["inventory-a", healthyInbound, healthy.port],
        ["inventory-b", failingInbound, failing.port],
      ].map(([name, port, appPort]) =>
        startProxy(dir, {
          name: String(name),
          service: "inventory",
          snapshot: snapshot({ service: "inventory" }),
          inbound: [{ port: Number(port), appPort: Number(appPort), protocol: "grpc" }],
        }),
      ),
    );
    const web = await startProxy(dir, {
      name: "web-outliers",
      service: "web",
      snapshot: snapshot({
        service: "web",
        outbounds: [
          {
            service: "inventory",
            port: outboundPort,
            protocol: "grpc",
            circuitBreaker: {
              name: "inventory-outliers",
              spec: {
                targetRef: { kind: "Service", name: "inventory" },
                outlierDetection: {
                  consecutiveGatewayErrors: 3,
                  baseEjectionTime: "60s",
                  maxEjectionPercent: 50,
                },
              },
            },
            endpoints: [
              endpoint("inventory", healthyInbound),
              { ...endpoint("inventory", failingInbound), dataplane: "inventory-b" },
            ],
          },
        ],
      }),
    });
    const client = new InventoryClient(`127.0.0.1:${outboundPort}`);
    const ejections = async () =>
      sumSamples((await request(`${web.adminUrl}/metrics`)).body, "loom_outlier_ejections_total", {
        endpoint: `127.0.0.1:${failingInbound}`,
      });
    try {
      // P2C favours the faster instance, so calls go in concurrent batches until the failing one is ejected.
      const results: UnaryResult[] = [];
      const since = performance.now();
      while ((await ejections()) === 0 && performance.now() - since < 10_000) {
        results.push(...(await callMany(20, 4, () => client.call("Reserve", { id: "o" }))));
      }
      const failingCalls = (await failing.direct.counts()).calls;
      console.log(
        `ejected after ${results.length} calls, ${failingCalls} of them to the instance answering UNAVAILABLE`,
      );
      expect(await ejections()).toBe(1);
      // Three in a row eject it; calls already on their way when the third failed may still land there.
      expect(failingCalls).toBeGreaterThanOrEqual(3);
      expect(failingCalls).toBeLessThan(3 + 4);
      expect(codesOf(results)[String(GrpcCode.UNAVAILABLE)]).toBe(failingCalls);

      const after = await callMany(100, 4, () => client.call("Reserve", { id: "p" }));
      expect(codesOf(after)).toEqual({ "0": 100 });
      expect((await failing.direct.counts()).calls).toBe(failingCalls);
    } finally {
      client.close();
      healthy.direct.close();
      failing.direct.close();
    }
  });
});

describe("the proxy's own answers to gRPC calls", () => {
  it("denies with PERMISSION_DENIED naming the policy, and the app sees nothing", async () => {
    const dir = await tempDir();
    const app = await startInventoryApp("inventory-denied");
    const inboundPort = await freePort();
    const sidecar = await startProxy(dir, {
      name: "inventory-deny",
      service: "inventory",
      snapshot: snapshot({ service: "inventory", defaultTrafficPermission: "Deny" }),
      inbound: [{ port: inboundPort, appPort: app.port, protocol: "grpc" }],
    });
    const client = new InventoryClient(`127.0.0.1:${inboundPort}`);
    try {
      const results = await callMany(10, 2, (index) => client.call("Reserve", { id: `x-${index}` }));
      expect(codesOf(results)).toEqual({ [String(GrpcCode.PERMISSION_DENIED)]: 10 });
      expect(results[0]?.details).toBe("denied by the default TrafficPermission of mesh default");
      expect((await app.direct.counts()).calls).toBe(0);
      const metrics = (await request(`${sidecar.adminUrl}/metrics`)).body;
      expect(
        sumSamples(metrics, "loom_requests_total", {
          direction: "inbound",
          grpc_status: String(GrpcCode.PERMISSION_DENIED),
          classification: "success",
        }),
      ).toBe(10);
    } finally {
      client.close();
      app.direct.close();
    }
  });
});
