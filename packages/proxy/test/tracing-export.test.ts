import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { SpanKind } from "@opentelemetry/api";
import { afterAll, beforeAll, expect, it } from "vitest";
import { Tracing } from "../src/telemetry/tracing.ts";

// A collector that refuses this proxy's token, as loom-cp does a revoked one.
const collector = createServer((req, res) => {
  req.resume();
  req.on("end", () => res.writeHead(401, { "content-type": "application/json" }).end('{"error":"revoked"}'));
});
let url = "";
beforeAll(async () => {
  await new Promise<void>((resolve) => collector.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(collector.address() as AddressInfo).port}/v1/traces`;
});
afterAll(() => new Promise((resolve) => collector.close(resolve)));

it("says when spans are lost because the collector refuses them, once per minute at most", async () => {
  const warnings: string[] = [];
  const tracing = new Tracing("web", url, 20, undefined, (line) => warnings.push(line));
  tracing.setSamplingRate(1);
  for (let batch = 0; batch < 3; batch++) {
    for (let span = 0; span < 5; span++) tracing.startSpan("GET /", SpanKind.SERVER, undefined, {}).end();
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  await tracing.shutdown();
  expect(warnings).toHaveLength(1);
  expect(warnings[0]).toContain(`5 spans not exported to ${url}`);
  expect(warnings[0]).toMatch(/401|Unauthorized/);
});
