import { freePort, useProcesses } from "@loom/test-harness";
import { beforeAll, describe, expect, it } from "vitest";
import {
  countBy,
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

describe("retries and the retry budget", () => {
  let flaky: RunningApp;
  let broken: RunningApp;
  let flakyUrl: string;
  let brokenUrl: string;
  let adminUrl: string;

  beforeAll(async () => {
    const dir = await tempDir();
    [flaky, broken] = await Promise.all([
      startApp("flaky", "v1", { FAIL_RATE: "0.1" }),
      startApp("broken", "v1", { FAIL_RATE: "0.5" }),
    ]);
    const [flakyPort, brokenPort] = await Promise.all([freePort(), freePort()]);
    const proxy = await startProxy(dir, {
      name: "web",
      service: "web",
      snapshot: snapshot({
        service: "web",
        outbounds: [
          {
            service: "flaky",
            port: flakyPort,
            protocol: "http",
            retry: {
              name: "flaky-retry",
              spec: { attempts: 3, retryOn: ["5xx"], backoff: { base: "1ms", max: "5ms" } },
            },
            endpoints: [endpoint("flaky", flaky.port)],
          },
          {
            service: "broken",
            port: brokenPort,
            protocol: "http",
            retry: {
              name: "broken-retry",
              spec: {
                attempts: 5,
                retryOn: ["5xx"],
                backoff: { base: "1ms", max: "5ms" },
                budget: { percent: 20, minRetriesPerSecond: 0 },
              },
            },
            endpoints: [endpoint("broken", broken.port)],
          },
        ],
      }),
    });
    flakyUrl = `http://127.0.0.1:${flakyPort}/`;
    brokenUrl = `http://127.0.0.1:${brokenPort}/`;
    adminUrl = proxy.adminUrl;
  });

  it("hides an upstream failing 10 % with 503: callers see under 1 % failures", async () => {
    const responses = await sendMany(1_000, 10, () => request(flakyUrl));
    const failures = responses.filter((response) => response.status !== 200).length;
    const attempts = (await flaky.counts()).requests;
    console.log(`flaky: ${failures} failures seen by callers, ${attempts} upstream attempts`);
    expect(failures / 1_000).toBeLessThan(0.01);
  });

  it("keeps retries within a 20 % budget against an upstream failing 50 %, and reports what is left", async () => {
    const responses = await sendMany(1_000, 10, () => request(brokenUrl));
    const attempts = (await broken.counts()).requests;
    const byStatus = countBy(responses, (response) => String(response.status));
    console.log(`broken: callers saw ${JSON.stringify(byStatus)}, upstream attempts ${attempts}`);
    expect(attempts / 1_000).toBeLessThanOrEqual(1.22);
    // The failures the budget could not retry reach the caller, marked as such.
    const failures = responses.filter((response) => response.status === 503);
    expect(failures.length).toBeGreaterThan(200);
    expect(failures.some((response) => response.headers["x-loom-retry-budget"] === "exhausted")).toBe(true);
    const metrics = (await request(`${adminUrl}/metrics`)).body;
    expect(metrics).toMatch(/loom_retries_total\{destination="broken",outcome="budget_exhausted"\} [1-9]/);
  });
});
