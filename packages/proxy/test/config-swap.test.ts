import net from "node:net";
import { bootstrapSchema, type Snapshot, snapshotSchema } from "@loom/spec";
import { fixedRateLoad, freePort, useProcesses } from "@loom/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LoomProxy } from "../src/index.ts";
import {
  endpoint,
  type OutboundInput,
  type RunningApp,
  request,
  type SnapshotInput,
  snapshot,
  startApp,
} from "./support/mesh.ts";

useProcesses();

/** The proxy runs in the test process so the test can call applySnapshot as the control-plane client will. */
describe("applySnapshot", () => {
  let v1: RunningApp;
  let v2: RunningApp;
  let proxy: LoomProxy;
  let cartPort: number;
  let extraPort: number;
  let adminPort: number;

  const configs: ((version: string) => SnapshotInput)[] = [];

  function web(version: string, outbounds: OutboundInput[]): SnapshotInput {
    return snapshot({ service: "web", snapshotVersion: version, outbounds });
  }

  /** As the stream's decoder hands a snapshot over: validated, defaults filled in. */
  const decoded = (input: SnapshotInput): Snapshot => snapshotSchema.parse(input);

  beforeAll(async () => {
    [v1, v2] = await Promise.all([startApp("cart-v1", "v1"), startApp("cart-v2", "v2")]);
    [cartPort, extraPort, adminPort] = await Promise.all([freePort(), freePort(), freePort()]);
    const both = [endpoint("cart", v1.port, "v1"), endpoint("cart", v2.port, "v2")];
    const cart = (extra: Partial<OutboundInput>): OutboundInput => ({
      service: "cart",
      port: cartPort,
      protocol: "http",
      endpoints: both,
      ...extra,
    });
    const split = (v1Weight: number, v2Weight: number) => ({
      name: "cart-split",
      rules: [
        {
          backendRefs: [
            { tags: { version: "v1" }, weight: v1Weight },
            { tags: { version: "v2" }, weight: v2Weight },
          ],
        },
      ],
    });
    configs.push(
      (version) => web(version, [cart({ route: split(1, 1) })]),
      (version) => web(version, [cart({ route: split(1, 0) })]),
      (version) => web(version, [cart({ endpoints: [endpoint("cart", v1.port, "v1")] })]),
      (version) =>
        web(version, [
          cart({ retry: { name: "cart-retry", spec: { attempts: 2 } }, route: split(0, 1) }),
          { service: "cart", port: extraPort, protocol: "http", endpoints: both },
        ]),
      (version) =>
        web(version, [
          cart({
            timeout: { name: "cart-timeout", spec: { request: "3s" } },
            circuitBreaker: { name: "cart-limits", spec: { targetRef: { kind: "Mesh" }, maxRequests: 500 } },
          }),
        ]),
    );
    const bootstrap = bootstrapSchema.parse({
      name: "web",
      dataplane: { service: "web" },
      adminPort,
      snapshot: configs[0]?.("0"),
    });
    proxy = new LoomProxy(bootstrap);
    await proxy.start();
    expect(await proxy.applySnapshot(decoded(configs[0]?.("0") as SnapshotInput))).toEqual({ ok: true });
  });

  afterAll(async () => {
    await proxy?.shutdown();
  });

  it("swaps the config 50 times under 200 rps without failing a request", async () => {
    const load = fixedRateLoad({ url: `http://127.0.0.1:${cartPort}/swap`, rps: 200, durationMs: 6_000 });
    const results = [];
    for (let version = 1; version <= 50; version++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const config = configs[version % configs.length] as (version: string) => SnapshotInput;
      results.push(await proxy.applySnapshot(decoded(config(String(version)))));
    }
    const result = await load;
    console.log(`swap: ${JSON.stringify(result.byStatus)} errors ${JSON.stringify(result.errors)}`);
    expect(results.every((applied) => applied.ok)).toBe(true);
    expect(result.failed).toBe(0);
    expect(result.succeeded).toBe(result.scheduled);
    const [atV1, atV2] = await Promise.all([v1.counts(), v2.counts()]);
    expect(atV1.byPath["/swap"] ?? 0).toBeGreaterThan(0);
    expect(atV2.byPath["/swap"] ?? 0).toBeGreaterThan(0);
    const metrics = (await request(`http://127.0.0.1:${adminPort}/metrics`)).body;
    expect(metrics).toContain('loom_config_info{version="50"} 1');
  });

  // An invalid snapshot never gets here: the stream's decoder NACKs it (xds-client.test.ts).
  it("refuses an unknown formatVersion and an unbindable port, keeping the previous config", async () => {
    const current = decoded(configs[0]?.("current") as SnapshotInput);
    expect(await proxy.applySnapshot(current)).toEqual({ ok: true });

    const future = await proxy.applySnapshot({ ...current, formatVersion: 2, version: "future" });
    expect(future).toEqual({ ok: false, error: expect.stringContaining("formatVersion 2") });

    const taken = net.createServer();
    const takenPort = await freePort();
    await new Promise<void>((resolve) => taken.listen(takenPort, "127.0.0.1", resolve));
    try {
      const blocked = web("blocked", [
        { service: "cart", port: cartPort, protocol: "http", endpoints: [endpoint("cart", v2.port, "v2")] },
        { service: "cart", port: takenPort, protocol: "http", endpoints: [endpoint("cart", v2.port, "v2")] },
      ]);
      const refused = await proxy.applySnapshot(decoded(blocked));
      expect(refused).toEqual({
        ok: false,
        error: expect.stringContaining(`cannot bind outbound port ${takenPort}`),
      });
    } finally {
      taken.close();
    }
    const config = JSON.parse((await request(`http://127.0.0.1:${adminPort}/config`)).body) as {
      version: string;
    };
    expect(config.version).toBe("current");
    expect((await request(`http://127.0.0.1:${cartPort}/still-here`)).status).toBe(200);
  });
});
