import { setTimeout as sleep } from "node:timers/promises";
import type { TrafficRoute } from "@loom/spec";
import { fixedRateLoad, freePort, type LoadResult, useProcesses } from "@loom/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generatedRootFiles } from "../../src/ca/index.ts";
import type { RolloutView } from "../../src/rollout/index.ts";
import type { ServiceGraph } from "../../src/telemetry/index.ts";
import { type ApiClient, adminToken, apiClient, startControlPlane } from "../api/control-plane.ts";
import { startManagedProxy, startTrafficApp, type TrafficApp, tempDir } from "../telemetry/support/mesh.ts";

useProcesses();

const MESH_YAML = `
kind: Mesh
metadata: { name: default }
spec:
  mtls: { mode: strict }
  tracing: { samplingRate: 1 }
---
kind: Service
metadata: { name: web }
spec: { ports: [{ port: 8080 }] }
---
kind: Service
metadata: { name: cart }
spec: { ports: [{ port: 8080 }] }
---
kind: TrafficRoute
metadata: { name: cart }
spec:
  targetRef: { kind: Service, name: cart }
  rules:
    - backendRefs: [{ tags: { version: v1 }, weight: 100 }]
`;

const ROLLOUT = {
  kind: "Rollout" as const,
  metadata: { name: "cart-canary", mesh: "default", namespace: "default" },
  spec: {
    targetRef: { kind: "Service" as const, name: "cart" },
    stable: { tags: { version: "v1" } },
    canary: { tags: { version: "v2" } },
    steps: [{ canaryWeight: 50, hold: "3s" }],
    gates: { maxSuccessRateDrop: 5, maxP99Ratio: 10, minRequests: 20 },
  },
};

/** The first `count` values a subscription sends; then it is closed. */
function firstEvents<T>(
  count: number,
  subscribe: (onData: (value: T) => void, onError: (error: unknown) => void) => { unsubscribe(): void },
): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const values: T[] = [];
    const timeout = setTimeout(
      () => reject(new Error(`got ${values.length} of ${count} events in 10 s`)),
      10_000,
    );
    const subscription = subscribe(
      (value) => {
        values.push(value);
        if (values.length < count) return;
        clearTimeout(timeout);
        subscription.unsubscribe();
        resolve(values);
      },
      (error) => {
        clearTimeout(timeout);
        reject(error);
      },
    );
  });
}

/**
 * The whole path with real processes: loom-cp, three managed proxies with mTLS (web → cart v1/v2), load through
 * web's outbound. The control plane's hub scrapes the proxies it registered, its Rollout controller moves the
 * route, the proxies follow, and the API reports it all; spans go to loom-cp's OTLP receiver.
 */
describe("Rollout of a real mesh through loom-cp", () => {
  let admin: ApiClient;
  let cartUrl: string;
  let canary: TrafficApp;
  let stable: TrafficApp;
  let load: Promise<LoadResult> | undefined;

  beforeAll(async () => {
    const dir = await tempDir("loom-rollout-e2e-");
    // loom-cp refuses spans without a valid token, so the trace-store check below also proves that managed
    // proxies send their dataplane token (read from their tokenFile) with every export.
    const controlPlane = await startControlPlane();
    admin = apiClient(controlPlane.apiUrl, { token: await adminToken(controlPlane.apiUrl) });
    await admin.policies.applyYaml.mutate({ text: MESH_YAML });
    const tokens = {
      web: (await admin.tokens.dataplane.create.mutate({ service: "web" })).token,
      cart: (await admin.tokens.dataplane.create.mutate({ service: "cart" })).token,
    };
    const caFile = generatedRootFiles(controlPlane.dataDir).certFile;
    const managed = (token: string) => ({ url: controlPlane.dataplaneUrl, caFile, token });
    const otlpUrl = `${controlPlane.apiUrl}/v1/traces`;
    [stable, canary] = await Promise.all([
      startTrafficApp("cart-v1 app", { delayMs: 5 }),
      startTrafficApp("cart-v2 app", { delayMs: 5, failShare: 0.3 }),
    ]);
    const [inboundV1, inboundV2, cartPort] = await Promise.all([freePort(), freePort(), freePort()]);
    await Promise.all([
      startManagedProxy(dir, {
        name: "cart-v1",
        service: "cart",
        version: "v1",
        controlPlane: managed(tokens.cart),
        inbound: { port: inboundV1, appPort: stable.port },
        otlpUrl,
      }),
      startManagedProxy(dir, {
        name: "cart-v2",
        service: "cart",
        version: "v2",
        controlPlane: managed(tokens.cart),
        inbound: { port: inboundV2, appPort: canary.port },
        otlpUrl,
      }),
      startManagedProxy(dir, {
        name: "web-1",
        service: "web",
        version: "v1",
        controlPlane: managed(tokens.web),
        outbounds: [{ service: "cart", port: cartPort }],
        otlpUrl,
      }),
    ]);
    cartUrl = `http://127.0.0.1:${cartPort}/cart`;
    // Both versions' series exist before the Rollout compares them.
    await fixedRateLoad({ url: cartUrl, rps: 20, durationMs: 1_000 });
    load = fixedRateLoad({ url: cartUrl, rps: 40, durationMs: 40_000 });
  }, 90_000);

  afterAll(async () => {
    await load;
  });

  async function cartSplit(): Promise<Record<string, number>> {
    const route = (await admin.policies.get.query({
      kind: "TrafficRoute",
      mesh: "default",
      name: "cart",
    })) as TrafficRoute;
    return Object.fromEntries(
      (route.spec.rules[0]?.backendRefs ?? []).map((backend) => [backend.tags.version, backend.weight]),
    );
  }

  it("rolls back by itself when the canary answers 30 % errors, and the proxies send it nothing more", async () => {
    await admin.policies.create.mutate(ROLLOUT);
    await expect
      .poll(async () => (await admin.rollouts.get.query({ name: "cart-canary" })).phase, {
        timeout: 30_000,
        interval: 500,
      })
      .toBe("rolledBack");
    const rollout = await admin.rollouts.get.query({ name: "cart-canary" });
    console.log(`rolled back: ${rollout.message}`);
    expect(rollout.message).toMatch(/canary success rate (6\d|7\d)\.\d % vs stable 100\.0 %/);
    expect(await cartSplit()).toEqual({ v1: 100, v2: 0 });
    // The canary did get traffic during the step, and after the rollback reached the proxies, no more.
    await sleep(2_000);
    const servedAfterRollback = (await canary.counts()).served;
    expect(servedAfterRollback).toBeGreaterThan(20);
    await sleep(2_000);
    expect((await canary.counts()).served).toBe(servedAfterRollback);
    const audit = await admin.audit.list.query({ kind: "Rollout", name: "cart-canary" });
    expect(
      audit
        .map((entry) => entry.action)
        .filter((action) => action.startsWith("rollout."))
        .reverse(),
    ).toEqual(["rollout.start", "rollout.step", "rollout.gate", "rollout.rollback"]);
  });

  it("promotes by itself once the canary is healthy (a changed Rollout starts a new run)", async () => {
    await canary.behave({ failShare: 0 });
    const current = await admin.policies.get.query({ kind: "Rollout", mesh: "default", name: "cart-canary" });
    await admin.policies.update.mutate({
      ...ROLLOUT,
      metadata: { ...ROLLOUT.metadata, resourceVersion: current.metadata.resourceVersion },
      spec: { ...ROLLOUT.spec, steps: [{ canaryWeight: 50, hold: "2s" }] },
    });
    await expect
      .poll(async () => (await admin.rollouts.get.query({ name: "cart-canary" })).phase, {
        timeout: 30_000,
        interval: 500,
      })
      .toBe("promoted");
    expect(await cartSplit()).toEqual({ v1: 0, v2: 100 });
    await sleep(2_000);
    const before = await Promise.all([stable.counts(), canary.counts()]);
    await sleep(2_000);
    const after = await Promise.all([stable.counts(), canary.counts()]);
    expect(after[0].served).toBe(before[0].served);
    expect(after[1].served).toBeGreaterThan(before[1].served + 40);
  });

  it("shows the mesh in the graph (mTLS on the edge) and the proxies' spans in the trace store", async () => {
    const graph = await admin.graph.get.query({ window: "1m" });
    const edge = graph.edges.find(
      (candidate) => candidate.source === "web" && candidate.destination === "cart",
    );
    expect(edge?.mtls).toBe("full");
    // Over a 1 m window that the load has filled only partly.
    expect(edge?.metrics.rps).toBeGreaterThan(5);
    expect(
      graph.services.find((service) => service.name === "cart")?.versions.map((version) => version.version),
    ).toEqual(["v1", "v2"]);

    // The newest traces may still miss the callee's span (each proxy exports in its own batches).
    const traces = await admin.traces.search.query({ service: "web", limit: 50 });
    const trace = traces.find((candidate) => candidate.services.includes("cart"));
    expect(trace?.services.sort()).toEqual(["cart", "web"]);
    const spans = await admin.traces.get.query({ traceId: trace?.traceId ?? "" });
    const root = spans.find((span) => span.parentSpanId === null);
    expect(root?.service).toBe("web");
    expect(spans.some((span) => span.service === "cart" && span.parentSpanId !== null)).toBe(true);

    // Live: a new graph after each scrape (1 s in test mode), and the Rollout's progress.
    const started = Date.now();
    const graphs = await firstEvents<ServiceGraph>(2, (onData, onError) =>
      admin.graph.onUpdate.subscribe({ window: "1m" }, { onData, onError }),
    );
    expect(graphs[1]?.edges.length).toBe(1);
    expect(Date.now() - started).toBeLessThan(5_000);
    const [progress] = await firstEvents<RolloutView[]>(1, (onData, onError) =>
      admin.rollouts.onProgress.subscribe({ name: "cart-canary" }, { onData, onError }),
    );
    expect(progress?.map((rollout) => rollout.phase)).toEqual(["promoted"]);

    const versions = await admin.metrics.golden.query({ grouping: "version", service: "cart", window: "1m" });
    expect(versions.map((row) => row.version)).toEqual(["v1", "v2"]);
    const history = await admin.metrics.history.query({ service: "cart", window: "1m", points: 10 });
    expect(history).toHaveLength(10);
    expect(history.at(-1)?.rps).toBeGreaterThan(0);

    // A dry run of a deny: both cart proxies would get new config, and web's calls would be refused.
    const dryRun = await admin.whatIf.run.mutate({
      action: "apply",
      resource: {
        kind: "TrafficPermission",
        metadata: { name: "no-web", mesh: "default" },
        spec: {
          targetRef: { kind: "Service", name: "cart" },
          from: [{ targetRef: { kind: "Service", name: "web" }, action: "Deny" }],
        },
      },
    });
    expect(dryRun.dataplanes.changed.map((dataplane) => dataplane.name).sort()).toEqual([
      "cart-v1",
      "cart-v2",
    ]);
    expect(dryRun.traffic.map((effect) => effect.summary)).toEqual([
      expect.stringMatching(/^would refuse [\d.]+ rps from web to cart$/),
    ]);
    expect(await admin.policies.list.query({ kind: "TrafficPermission" })).toEqual([]);

    const source = await admin.metrics.source.query();
    expect(source.backend).toBe("hub");
    expect(source.targets.map((target) => target.lastError)).toEqual([null, null, null]);
  });
});
