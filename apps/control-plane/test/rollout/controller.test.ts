import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { type ResourceInput, resourceSchema, type TrafficRoute } from "@loom/spec";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEventBus, type LoomEvent } from "../../src/events.ts";
import { createResourceWriter } from "../../src/resources/resource-writer.ts";
import { toResource } from "../../src/resources/to-resource.ts";
import {
  assertRouteWritable,
  createRolloutController,
  type RolloutController,
  RouteOwnedByRolloutError,
} from "../../src/rollout/index.ts";
import { openStore, type Store } from "../../src/store/index.ts";
import { createTelemetryHub, type ScrapeTarget, type TelemetryHub } from "../../src/telemetry/index.ts";
import { startVersionMetrics, type VersionBehaviour } from "./metric-servers.ts";

const keyOfRoute = { kind: "TrafficRoute", mesh: "default", name: "cart" };
const HEALTHY: VersionBehaviour = { rps: 80, errorShare: 0, latencySeconds: 0.02 };

describe("Rollout controller (real store, real hub scraping real /metrics endpoints)", () => {
  let dir: string;
  let store: Store;
  let hub: TelemetryHub;
  let controller: RolloutController;
  const published: LoomEvent[] = [];
  const targets: ScrapeTarget[] = [];
  const stops: (() => void)[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "loom-rollout-test-"));
    store = await openStore({ databaseUrl: `file:${path.join(dir, "loom.db")}` });
    hub = createTelemetryHub({ intervalMs: 200, listTargets: async () => targets });
    hub.start();
    const events = createEventBus();
    events.subscribe((event) => published.push(event));
    controller = createRolloutController({ store, metrics: hub, events, minHoldMs: 1_000, tickMs: 100 });
    controller.start();
  });

  afterAll(async () => {
    await controller?.close();
    await hub?.close();
    for (const stop of stops) stop();
    await store?.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function serviceWithVersions(service: string, canary: VersionBehaviour) {
    const metrics = await startVersionMetrics(service, { v1: HEALTHY, v2: canary });
    targets.push(...metrics.targets);
    stops.push(metrics.stop);
    await create({
      kind: "TrafficRoute",
      metadata: { name: service },
      spec: {
        targetRef: { kind: "Service", name: service },
        rules: [
          { matches: [{ path: { value: "/admin" } }], backendRefs: [{ name: "admin", tags: {} }] },
          { backendRefs: [{ tags: { version: "v1" }, weight: 1 }] },
        ],
      },
    });
  }

  async function startRollout(name: string, service: string, spec: Record<string, unknown> = {}) {
    await create({
      kind: "Rollout",
      metadata: { name },
      spec: {
        targetRef: { kind: "Service", name: service },
        stable: { tags: { version: "v1" } },
        canary: { tags: { version: "v2" } },
        steps: [
          { canaryWeight: 20, hold: "1s" },
          { canaryWeight: 50, hold: "1s" },
        ],
        gates: { maxSuccessRateDrop: 5, minRequests: 20 },
        ...spec,
      },
    });
  }

  async function create(input: ResourceInput) {
    const resource = resourceSchema.parse(input);
    await store.resources.create(resource, { actor: "test" });
  }

  async function splitOf(route: string): Promise<Record<string, number>> {
    const stored = await store.resources.get({ kind: "TrafficRoute", mesh: "default", name: route });
    const rules = (toResource(stored ?? never()) as TrafficRoute).spec.rules;
    return Object.fromEntries(
      (rules[1]?.backendRefs ?? []).map((backend) => [backend.tags.version ?? "", backend.weight]),
    );
  }

  /** The controller's entries (the test's own create of the Rollout is in the log too). */
  async function rolloutAudit(name: string) {
    const entries = await store.auditLog.list({ kind: "Rollout", name });
    return entries.filter((entry) => entry.action.startsWith("rollout."));
  }

  async function phaseOf(name: string) {
    return (await controller.get({ mesh: "default", namespace: "default", name })).phase;
  }

  it("advances through its steps and promotes a healthy canary, auditing every step", async () => {
    await serviceWithVersions("cart", HEALTHY);
    await startRollout("cart-canary", "cart");
    await expect.poll(() => splitOf("cart"), { timeout: 5_000 }).toEqual({ v1: 80, v2: 20 });
    expect(await phaseOf("cart-canary")).toBe("progressing");

    // While it runs, the route belongs to the Rollout: another writer is refused with its name.
    const route = await store.resources.get({ kind: "TrafficRoute", mesh: "default", name: "cart" });
    const foreignWrite = assertRouteWritable(store, route ?? never(), "user:alice");
    await expect(foreignWrite).rejects.toBeInstanceOf(RouteOwnedByRolloutError);
    await expect(foreignWrite).rejects.toThrow(/Rollout "cart-canary"/);
    await expect(assertRouteWritable(store, { metadata: { name: "cart" } })).rejects.toThrow(
      /pause or abort/,
    );
    // The API's writer asks the same question for every kind of route write.
    const writer = createResourceWriter({ store, events: createEventBus() });
    for (const name of ["cart", "admin"]) {
      const service = {
        kind: "Service",
        metadata: { name, mesh: "default" },
        spec: { ports: [{ port: 80 }] },
      };
      await store.resources.create(service, { actor: "test" });
    }
    const current = toResource(route ?? never());
    await expect(writer.update(current, "user:alice")).rejects.toThrow(/managed by Rollout "cart-canary"/);
    await expect(writer.remove(keyOfRoute, undefined, "user:alice")).rejects.toThrow(/Rollout "cart-canary"/);
    await expect(writer.rollback(keyOfRoute, { toVersion: 1 }, "user:alice")).rejects.toThrow(
      /Rollout "cart-canary"/,
    );

    await expect.poll(() => splitOf("cart"), { timeout: 10_000 }).toEqual({ v1: 50, v2: 50 });
    await expect.poll(() => phaseOf("cart-canary"), { timeout: 10_000 }).toBe("promoted");
    expect(await splitOf("cart")).toEqual({ v1: 0, v2: 100 });
    // The rule sending /admin elsewhere kept its backend.
    const promoted = toResource(
      (await store.resources.get({ kind: "TrafficRoute", mesh: "default", name: "cart" })) ?? never(),
    ) as TrafficRoute;
    expect(promoted.spec.rules[0]?.backendRefs).toEqual([{ name: "admin", tags: {}, weight: 1 }]);

    const view = await controller.get({ mesh: "default", namespace: "default", name: "cart-canary" });
    expect(
      view.history
        .filter((event) => event.type === "gate")
        .map((event) => event.type === "gate" && event.result.verdict),
    ).toEqual(["pass", "pass"]);
    expect(view.lastGate?.canary?.successRate).toBe(1);

    const audit = await rolloutAudit("cart-canary");
    expect(audit.map((entry) => entry.action).reverse()).toEqual([
      "rollout.start",
      "rollout.step",
      "rollout.gate",
      "rollout.step",
      "rollout.gate",
      "rollout.promote",
    ]);
    expect(new Set(audit.map((entry) => entry.actor))).toEqual(new Set(["rollout:cart-canary"]));
    const routeHistory = await store.resources.history({
      kind: "TrafficRoute",
      mesh: "default",
      name: "cart",
    });
    expect(routeHistory.slice(1).map((revision) => revision.actor)).toEqual(
      Array(3).fill("rollout:cart-canary"),
    );
    expect(published.filter((event) => event.type === "resource" && event.name === "cart")).toHaveLength(3);

    // Finished, the route is the operators' again.
    await expect(assertRouteWritable(store, route ?? never(), "user:alice")).resolves.toBeUndefined();
  });

  it("rolls back by itself when the canary answers 30 % errors: weights back to 100/0", async () => {
    await serviceWithVersions("payments", { ...HEALTHY, errorShare: 0.3 });
    await startRollout("payments-canary", "payments");
    await expect.poll(() => phaseOf("payments-canary"), { timeout: 10_000 }).toBe("rolledBack");
    expect(await splitOf("payments")).toEqual({ v1: 100, v2: 0 });
    const view = await controller.get({ mesh: "default", namespace: "default", name: "payments-canary" });
    expect(view.lastGate?.verdict).toBe("fail");
    expect(view.message).toMatch(
      /gate failed at step 1: canary success rate (6\d|7\d)\.\d % vs stable 100\.0 %/,
    );
    const audit = await rolloutAudit("payments-canary");
    expect(audit.map((entry) => entry.action).reverse()).toEqual([
      "rollout.start",
      "rollout.step",
      "rollout.gate",
      "rollout.rollback",
    ]);
  });

  it("waits without judging while the canary has fewer requests than minRequests", async () => {
    await serviceWithVersions("search", { ...HEALTHY, rps: 0 });
    await startRollout("search-canary", "search");
    await expect
      .poll(
        async () =>
          (await controller.get({ mesh: "default", namespace: "default", name: "search-canary" })).message,
        { timeout: 5_000 },
      )
      .toMatch(/waiting for traffic: the canary has 0 of the 20 requests needed/);
    expect(await phaseOf("search-canary")).toBe("progressing");
    await controller.abort({ mesh: "default", namespace: "default", name: "search-canary" }, "user:alice");
  });

  it("pauses (the route is writable again), resumes, and aborts back to the stable version", async () => {
    await serviceWithVersions("orders", HEALTHY);
    await startRollout("orders-canary", "orders", { steps: [{ canaryWeight: 30, hold: "1h" }] });
    const key = { mesh: "default", namespace: "default", name: "orders-canary" };
    await expect.poll(() => splitOf("orders"), { timeout: 5_000 }).toEqual({ v1: 70, v2: 30 });

    const paused = await controller.pause(key, "user:alice");
    expect(paused.phase).toBe("paused");
    await expect(
      assertRouteWritable(store, { metadata: { name: "orders" } }, "user:alice"),
    ).resolves.toBeUndefined();
    await expect(controller.pause(key, "user:alice")).rejects.toThrow(/cannot pause: it is paused/);

    expect((await controller.resume(key, "user:bob")).phase).toBe("progressing");
    await expect(assertRouteWritable(store, { metadata: { name: "orders" } }, "user:alice")).rejects.toThrow(
      /Rollout "orders-canary"/,
    );

    // A second Rollout of the same service waits for the first to end.
    await startRollout("orders-canary-2", "orders", { steps: [{ canaryWeight: 10, hold: "1h" }] });
    const second = { ...key, name: "orders-canary-2" };
    await expect
      .poll(async () => (await controller.get(second)).message, { timeout: 5_000 })
      .toBe('waiting for Rollout "orders-canary" of orders to end');
    expect((await controller.get(second)).phase).toBe("pending");

    const aborted = await controller.abort(key, "user:bob");
    expect(aborted.phase).toBe("aborted");
    expect(aborted.canaryWeight).toBe(0);
    expect(await splitOf("orders")).toEqual({ v1: 100, v2: 0 });
    const audit = await rolloutAudit("orders-canary");
    expect(audit.map((entry) => `${entry.action} by ${entry.actor}`).reverse()).toEqual([
      "rollout.start by rollout:orders-canary",
      "rollout.step by rollout:orders-canary",
      "rollout.pause by user:alice",
      "rollout.resume by user:bob",
      "rollout.abort by user:bob",
    ]);
    await expect
      .poll(async () => (await controller.get(second)).phase, { timeout: 5_000 })
      .toBe("progressing");
    await expect.poll(() => splitOf("orders"), { timeout: 5_000 }).toEqual({ v1: 90, v2: 10 });
    await controller.abort(second, "user:bob");
  });
});

function never(): never {
  throw new Error("expected a stored resource");
}
