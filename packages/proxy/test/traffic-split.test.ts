import { freePort, useProcesses } from "@loom/test-harness";
import { beforeAll, describe, expect, it } from "vitest";
import {
  endpoint,
  type RunningApp,
  request,
  sendMany,
  snapshot,
  startApp,
  startProxy,
  tempDir,
} from "./support/mesh.ts";

useProcesses();

describe("traffic split, header match and mirroring (one proxy, HTTP/1.1)", () => {
  let v1: RunningApp;
  let v2: RunningApp;
  let audit: RunningApp;
  let cartUrl: string;

  beforeAll(async () => {
    const dir = await tempDir();
    [v1, v2, audit] = await Promise.all([
      startApp("cart-v1", "v1"),
      startApp("cart-v2", "v2"),
      startApp("audit", "v1"),
    ]);
    // The mirror target is slow and failing: neither may show to the caller.
    await audit.behave({ failRate: 1, failStatus: 500, delayMs: 1_000 });
    const cartPort = await freePort();
    await startProxy(dir, {
      name: "web",
      service: "web",
      snapshot: snapshot({
        service: "web",
        outbounds: [
          {
            service: "cart",
            port: cartPort,
            protocol: "http",
            route: {
              name: "cart-route",
              rules: [
                {
                  matches: [{ headers: [{ name: "x-canary", value: "true" }] }],
                  backendRefs: [{ tags: { version: "v2" } }],
                },
                {
                  matches: [{ path: { type: "PathPrefix", value: "/mirrored" } }],
                  backendRefs: [{ tags: { version: "v1" } }],
                  filters: [{ type: "RequestMirror", requestMirror: { backendRef: { name: "audit" } } }],
                },
                {
                  backendRefs: [
                    { tags: { version: "v1" }, weight: 90 },
                    { tags: { version: "v2" }, weight: 10 },
                  ],
                },
              ],
            },
            endpoints: [
              endpoint("cart", v1.port, "v1"),
              endpoint("cart", v2.port, "v2"),
              endpoint("audit", audit.port),
            ],
          },
        ],
      }),
    });
    cartUrl = `http://127.0.0.1:${cartPort}`;
  });

  it("splits 90/10 over 2,000 requests: v2 receives 10 ± 3 points", async () => {
    await Promise.all([v1.reset(), v2.reset()]);
    const responses = await sendMany(2_000, 16, () => request(`${cartUrl}/split`));
    expect(responses.every((response) => response.status === 200)).toBe(true);
    const [atV1, atV2] = await Promise.all([v1.counts(), v2.counts()]);
    expect(atV1.requests + atV2.requests).toBe(2_000);
    const v2Share = (100 * atV2.requests) / 2_000;
    console.log(`split: v1=${atV1.requests} v2=${atV2.requests} (${v2Share.toFixed(1)} %)`);
    expect(v2Share).toBeGreaterThanOrEqual(7);
    expect(v2Share).toBeLessThanOrEqual(13);
  });

  it("routes every request with the matching header to v2", async () => {
    await Promise.all([v1.reset(), v2.reset()]);
    await sendMany(200, 8, () => request(`${cartUrl}/split`, { headers: { "x-canary": "true" } }));
    expect((await v1.counts()).requests).toBe(0);
    expect((await v2.counts()).requests).toBe(200);
  });

  it("mirrors copies to the shadow target while callers see only the primary's responses, undelayed", async () => {
    await Promise.all([v1.reset(), audit.reset()]);
    const started = performance.now();
    const responses = await sendMany(50, 5, () => request(`${cartUrl}/mirrored/item`));
    const elapsedMs = performance.now() - started;
    expect(responses.map((response) => `${response.status} ${response.body.trim()}`)).toEqual(
      Array(50).fill("200 v1"),
    );
    // 10 sequential rounds; a mirror that delayed callers would add 1 s to each.
    expect(elapsedMs).toBeLessThan(3_000);
    expect((await v1.counts()).requests).toBe(50);
    await expect
      .poll(async () => (await audit.counts()).byPath["/mirrored/item"], { timeout: 5_000 })
      .toBe(50);
  });
});
