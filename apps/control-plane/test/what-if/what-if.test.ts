import { setTimeout as sleep } from "node:timers/promises";
import { type Dataplane, type Resource, type ResourceInput, resourceSchema } from "@loom/spec";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTelemetryHub, type TelemetryHub } from "../../src/telemetry/index.ts";
import { whatIf } from "../../src/what-if/index.ts";
import { startVersionMetrics } from "../rollout/metric-servers.ts";

const WINDOW_MS = 4_000;

/** web calls payments (v1, 50 rps) and cart (v1, 40 rps; v2 deployed, idle); the hub scrapes their /metrics. */
describe("what-if against the traffic the hub observed", () => {
  let hub: TelemetryHub;
  const stops: (() => void)[] = [];
  const resources = [
    resource({ kind: "Mesh", metadata: { name: "default" }, spec: { mtls: { mode: "off" } } }),
    resource({ kind: "Service", metadata: { name: "payments" }, spec: { ports: [{ port: 8080 }] } }),
    resource({ kind: "Service", metadata: { name: "cart" }, spec: { ports: [{ port: 8080 }] } }),
  ];
  const dataplanes = [
    dataplane("web-1", "web", "v1", [
      { service: "payments", port: 10001 },
      { service: "cart", port: 10002 },
    ]),
    dataplane("payments-1", "payments", "v1"),
    dataplane("cart-1", "cart", "v1"),
    dataplane("cart-2", "cart", "v2"),
  ];

  beforeAll(async () => {
    const payments = await startVersionMetrics("payments", {
      v1: { rps: 50, errorShare: 0, latencySeconds: 0.03 },
    });
    const cart = await startVersionMetrics("cart", {
      v1: { rps: 40, errorShare: 0, latencySeconds: 0.02 },
      v2: { rps: 0, errorShare: 0, latencySeconds: 0.02 },
    });
    stops.push(payments.stop, cart.stop);
    hub = createTelemetryHub({
      intervalMs: 250,
      listTargets: async () => [...payments.targets, ...cart.targets],
    });
    hub.start();
    await sleep(WINDOW_MS + 500);
  });

  afterAll(async () => {
    await hub?.close();
    for (const stop of stops) stop();
  });

  const run = (action: "apply" | "delete", proposal: Resource) =>
    whatIf({
      resources,
      dataplanes,
      trustBundle: "",
      metrics: hub,
      action,
      resource: proposal,
      windowMs: WINDOW_MS,
    });

  it("a deny: names the refused traffic and the one proxy that gets new config", async () => {
    const deny = resource({
      kind: "TrafficPermission",
      metadata: { name: "no-web-payments" },
      spec: {
        targetRef: { kind: "Service", name: "payments" },
        from: [{ targetRef: { kind: "Service", name: "web" }, action: "Deny" }],
      },
    });
    const result = await run("apply", deny);
    expect(result.dataplanes.total).toBe(4);
    expect(result.dataplanes.changed.map((changed) => changed.name)).toEqual(["payments-1"]);
    expect(result.traffic).toHaveLength(1);
    const [effect] = result.traffic;
    expect(effect?.summary).toMatch(/^would refuse (4[5-9]|5[0-5]) rps from web to payments$/);
    expect(effect?.rps).toBeGreaterThan(45);
    expect(effect?.rps).toBeLessThan(55);
  });

  it("a split: the share of the observed rps each version would get, and the caller's proxy updated", async () => {
    const split = resource({
      kind: "TrafficRoute",
      metadata: { name: "cart" },
      spec: {
        targetRef: { kind: "Service", name: "cart" },
        rules: [
          {
            backendRefs: [
              { tags: { version: "v1" }, weight: 80 },
              { tags: { version: "v2" }, weight: 20 },
            ],
          },
        ],
      },
    });
    const result = await run("apply", split);
    expect(result.dataplanes.changed.map((changed) => changed.name)).toEqual(["web-1"]);
    const summaries = result.traffic.map((effect) => effect.summary);
    expect(summaries).toHaveLength(2);
    expect(summaries[0]).toMatch(/^sends 80 % of (3[6-9]|4[0-4]) rps to cart v1 \(now 100 %\)$/);
    expect(summaries[1]).toMatch(/^sends 20 % of (3[6-9]|4[0-4]) rps to cart v2 \(now 0 %\)$/);
    expect(result.traffic[1]?.rps).toBeGreaterThan(7);
    expect(result.traffic[1]?.rps).toBeLessThan(9);
  });

  it("strict mTLS for the mesh: the plaintext traffic it would refuse", async () => {
    const strict = resource({
      kind: "Mesh",
      metadata: { name: "default" },
      spec: { mtls: { mode: "strict" } },
    });
    const result = await run("apply", strict);
    expect(result.dataplanes.changed).toHaveLength(4);
    expect(result.traffic.map((effect) => effect.summary).sort()).toEqual([
      expect.stringMatching(
        /^would refuse (3[6-9]|4[0-4]) rps of plaintext from web to cart \(strict mTLS\)$/,
      ),
      expect.stringMatching(
        /^would refuse (4[5-9]|5[0-5]) rps of plaintext from web to payments \(strict mTLS\)$/,
      ),
    ]);
  });

  it("a fault: the share of requests it would fail", async () => {
    const fault = resource({
      kind: "FaultInjection",
      metadata: { name: "payments-chaos" },
      spec: { targetRef: { kind: "Service", name: "payments" }, abort: { percentage: 10, httpStatus: 503 } },
    });
    const [effect] = (await run("apply", fault)).traffic;
    expect(effect?.summary).toMatch(
      /^would fail 10 % of (4[5-9]|5[0-5]) rps to payments \(about [45](\.\d)? rps\) with 503$/,
    );
  });
});

function resource(input: ResourceInput): Resource {
  return resourceSchema.parse(input) as Resource;
}

function dataplane(
  name: string,
  service: string,
  version: string,
  outbounds: { service: string; port: number }[] = [],
): Dataplane {
  return resource({
    kind: "Dataplane",
    metadata: { name },
    spec: {
      service,
      tags: { version },
      inbound: service === "web" ? [] : [{ port: 20000 + name.length, appPort: 8080 }],
      outbounds,
    },
  }) as Dataplane;
}
