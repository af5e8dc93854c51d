import { fixedRateLoad, freePort, useProcesses } from "@loom/test-harness";
import { beforeAll, describe, expect, it } from "vitest";
import {
  countBy,
  type RunningApp,
  request,
  type SnapshotInput,
  sendMany,
  snapshot,
  startApp,
  startProxy,
  tempDir,
} from "./support/mesh.ts";

useProcesses();

/** One app behind three sidecars, one per policy; each scenario uses its own path so the app's counts tell them apart. */
describe("inbound policies: permissions, rate limit, fault injection", () => {
  let app: RunningApp;
  let dir: string;

  async function sidecar(name: string, inbound: SnapshotInput["inbound"]): Promise<string> {
    const port = await freePort();
    await startProxy(dir, {
      name,
      service: "backend",
      snapshot: snapshot({ service: "backend", inbound }),
      inbound: [{ port, appPort: app.port }],
    });
    return `http://127.0.0.1:${port}`;
  }

  let authzUrl: string;
  let rateLimitUrl: string;
  let faultUrl: string;

  beforeAll(async () => {
    dir = await tempDir();
    app = await startApp("backend", "v1");
    [authzUrl, rateLimitUrl, faultUrl] = await Promise.all([
      sidecar("authz", {
        trafficPermission: {
          name: "no-private",
          spec: {
            targetRef: { kind: "Mesh" },
            from: [{ targetRef: { kind: "Mesh" }, action: "Deny", match: { paths: ["/private"] } }],
          },
        },
      }),
      sidecar("ratelimit", {
        rateLimit: {
          name: "hundred-rps",
          spec: { targetRef: { kind: "Mesh" }, requests: 100, interval: "1s" },
        },
      }),
      sidecar("fault", {
        faultInjection: {
          name: "chaos",
          spec: {
            targetRef: { kind: "Mesh" },
            abort: { percentage: 10, httpStatus: 503 },
            delay: { percentage: 50, value: "200ms" },
          },
        },
      }),
    ]);
  });

  it("answers a denied caller 403 naming the policy, and the app never sees the request", async () => {
    const denied = await request(`${authzUrl}/private/data`);
    expect(denied.status).toBe(403);
    expect(denied.body).toContain("no-private");
    const allowed = await request(`${authzUrl}/public`);
    expect(allowed.status).toBe(200);
    const counts = await app.counts();
    expect(counts.byPath["/private/data"]).toBeUndefined();
    expect(counts.byPath["/public"]).toBe(1);
  });

  it("passes about 1,000 of 3,000 requests offered at 300 rps for 10 s to a 100 rps limit; the rest get 429", async () => {
    const result = await fixedRateLoad({ url: `${rateLimitUrl}/limited`, rps: 300, durationMs: 10_000 });
    const passed = (await app.counts()).byPath["/limited"] ?? 0;
    console.log(
      `rate limit: ${JSON.stringify(result.byStatus)} errors ${JSON.stringify(result.errors)}; app saw ${passed}`,
    );
    // A full bucket (one interval: 100) plus 10 s × 100/s refill bounds it at 1,100.
    expect(passed).toBeGreaterThanOrEqual(900);
    expect(passed).toBeLessThanOrEqual(1_100);
    expect(result.byStatus["429"]).toBe(result.sent - passed);
    const limited = await request(`${rateLimitUrl}/limited`);
    if (limited.status === 429) expect(Number(limited.headers["retry-after"])).toBeGreaterThanOrEqual(1);
  });

  it("aborts 10 ± 3 % of requests and delays half of them by 200 ms", async () => {
    const timed = await sendMany(1_000, 50, async () => {
      const started = performance.now();
      const response = await request(`${faultUrl}/faulty`);
      return { ...response, body: String(performance.now() - started) };
    });
    const reached = (await app.counts()).byPath["/faulty"] ?? 0;
    const abortedShare = 100 - reached / 10;
    const statuses = countBy(timed, (response) => String(response.status));
    const slow = timed.filter((response) => Number(response.body) >= 200).length;
    console.log(`fault: ${JSON.stringify(statuses)}, app saw ${reached}, ${slow} took ≥ 200 ms`);
    expect(abortedShare).toBeGreaterThanOrEqual(7);
    expect(abortedShare).toBeLessThanOrEqual(13);
    expect(statuses["503"]).toBe(1_000 - reached);
    expect(slow / 1_000).toBeGreaterThan(0.4);
    expect(slow / 1_000).toBeLessThan(0.6);
  });
});
