import { freePort, useProcesses } from "@loom/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  endpoint,
  type RunningApp,
  type RunningProxy,
  request,
  sendMany,
  snapshot,
  startApp,
  startProxy,
  tempDir,
} from "./support/mesh.ts";
import { promtoolCheck, sumSamples } from "./support/metrics-text.ts";
import {
  type ReceivedSpan,
  SPAN_KIND_CLIENT,
  SPAN_KIND_SERVER,
  startOtlpReceiver,
} from "./support/otlp-receiver.ts";

useProcesses();

describe("telemetry across two hops: app → web's sidecar → backend's sidecar → app", () => {
  let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
  let app: RunningApp;
  let web: RunningProxy;
  let backend: RunningProxy;
  let url: string;
  const REQUESTS = 100;

  beforeAll(async () => {
    const dir = await tempDir();
    receiver = await startOtlpReceiver();
    app = await startApp("backend-app", "v3");
    const [inboundPort, outboundPort] = await Promise.all([freePort(), freePort()]);
    backend = await startProxy(dir, {
      name: "backend",
      service: "backend",
      version: "v3",
      snapshot: snapshot({ service: "backend", version: "v3", samplingRate: 1 }),
      inbound: [{ port: inboundPort, appPort: app.port }],
      otlpUrl: receiver.url,
    });
    web = await startProxy(dir, {
      name: "web",
      service: "web",
      snapshot: snapshot({
        service: "web",
        samplingRate: 1,
        outbounds: [
          {
            service: "backend",
            port: outboundPort,
            protocol: "http",
            endpoints: [endpoint("backend", inboundPort, "v3")],
          },
        ],
      }),
      otlpUrl: receiver.url,
    });
    url = `http://127.0.0.1:${outboundPort}/hello`;
    const responses = await sendMany(REQUESTS, 5, () => request(url));
    expect(responses.every((response) => response.status === 200)).toBe(true);
  });

  afterAll(() => receiver.close());

  it("exposes metrics that pass promtool and count exactly the requests sent", async () => {
    const [webMetrics, backendMetrics] = await Promise.all([
      request(`${web.adminUrl}/metrics`).then((response) => response.body),
      request(`${backend.adminUrl}/metrics`).then((response) => response.body),
    ]);
    for (const text of [webMetrics, backendMetrics]) {
      const check = await promtoolCheck(text);
      expect(check.output).toBe("");
      expect(check.code).toBe(0);
    }
    const edge = { source: "web", destination: "backend", destination_version: "v3", status_class: "2xx" };
    expect(sumSamples(webMetrics, "loom_requests_total", { direction: "outbound", ...edge })).toBe(REQUESTS);
    expect(
      sumSamples(backendMetrics, "loom_requests_total", { direction: "inbound", source: "unknown" }),
    ).toBe(REQUESTS);
    expect(
      sumSamples(webMetrics, "loom_request_duration_seconds_count", { direction: "outbound", ...edge }),
    ).toBe(REQUESTS);
    expect(webMetrics).toContain('loom_config_info{version="1"} 1');
    expect((await app.counts()).requests).toBe(REQUESTS);
  });

  it("exports a client span and a server span per request, linked parent → child across the hop", async () => {
    const byService = (service: string, kind: number) =>
      receiver.spans.filter((span) => span.service === service && span.kind === kind);
    await expect
      .poll(() => byService("backend", SPAN_KIND_SERVER).length, { timeout: 10_000 })
      .toBeGreaterThanOrEqual(REQUESTS);
    await expect
      .poll(() => byService("web", SPAN_KIND_CLIENT).length, { timeout: 10_000 })
      .toBeGreaterThanOrEqual(REQUESTS);
    const clientSpans = new Map(byService("web", SPAN_KIND_CLIENT).map((span) => [span.spanId, span]));
    const serverSpans = byService("backend", SPAN_KIND_SERVER);
    const linked = serverSpans.filter((server: ReceivedSpan) => {
      const parent = server.parentSpanId ? clientSpans.get(server.parentSpanId) : undefined;
      return parent !== undefined && parent.traceId === server.traceId;
    });
    expect(linked.length).toBe(REQUESTS);
    // The app received the traceparent of the backend's server span.
    expect((await app.counts()).traceparents).toBe(REQUESTS);
  });
});
