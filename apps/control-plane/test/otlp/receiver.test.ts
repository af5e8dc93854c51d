import { mkdtemp, rm } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { context, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { OTLPTraceExporter as JsonExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { OTLPTraceExporter as ProtobufExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BasicTracerProvider, SimpleSpanProcessor, type SpanExporter } from "@opentelemetry/sdk-trace-base";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOtlpReceiver, OTLP_TRACES_PATH } from "../../src/otlp/index.ts";
import { ExportTraceServiceRequest } from "../../src/otlp/otlp-proto.ts";
import { openSpanStore, type SpanStore } from "../../src/store/spans/index.ts";

const MAX_BODY_BYTES = 256 * 1024;

describe("OTLP/HTTP receiver with the official OpenTelemetry exporters", () => {
  let dir: string;
  let spans: SpanStore;
  let server: http.Server;
  let forwardTarget: http.Server;
  let forwardedBodies = 0;
  let url: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "loom-otlp-test-"));
    spans = await openSpanStore({ file: path.join(dir, "spans.db"), flushIntervalMs: 50 });
    forwardTarget = http.createServer((req, res) => {
      req.resume();
      req.on("end", () => {
        forwardedBodies++;
        res.end("{}");
      });
    });
    const forwardUrl = `http://127.0.0.1:${await listen(forwardTarget)}${OTLP_TRACES_PATH}`;
    const receiver = createOtlpReceiver({ spans, maxBodyBytes: MAX_BODY_BYTES, forwardTo: forwardUrl });
    server = http.createServer((req, res) => {
      if (req.url === OTLP_TRACES_PATH) receiver.handle(req, res);
      else res.writeHead(404).end();
    });
    url = `http://127.0.0.1:${await listen(server)}${OTLP_TRACES_PATH}`;
  });

  afterAll(async () => {
    server?.close();
    forwardTarget?.close();
    await spans?.close();
    await rm(dir, { recursive: true, force: true });
  });

  for (const [encoding, makeExporter] of [
    ["JSON", (target: string) => new JsonExporter({ url: target })],
    ["protobuf", (target: string) => new ProtobufExporter({ url: target })],
  ] as const) {
    it(`stores a trace sent as ${encoding}: searchable, and retrievable with parent and child`, async () => {
      const service = `checkout-${encoding.toLowerCase()}`;
      const { traceId, parentId, childId } = await sendTrace(makeExporter(url), service);
      await spans.flush();

      const [summary] = await spans.search({ service });
      expect(summary?.traceId).toBe(traceId);
      expect(summary?.spanCount).toBe(2);
      expect(summary?.errorCount).toBe(1);
      expect(summary?.rootName).toBe("POST /checkout");
      expect(await spans.search({ service, status: "error", operation: "charge card" })).toHaveLength(1);
      expect(await spans.search({ service, minDurationMs: 60_000 })).toHaveLength(0);

      const stored = await spans.getTrace(traceId);
      const parent = stored.find((span) => span.spanId === parentId);
      const child = stored.find((span) => span.spanId === childId);
      expect(parent?.parentSpanId).toBeNull();
      expect(parent?.kind).toBe(2);
      expect(parent?.attributes).toMatchObject({
        "http.method": "POST",
        "http.status_code": 500,
        retried: true,
      });
      expect(child?.parentSpanId).toBe(parentId);
      expect(child?.service).toBe(service);
      expect(child?.statusCode).toBe(2);
      expect(child?.statusMessage).toBe("card declined");
      expect(child?.events).toEqual([
        expect.objectContaining({ name: "retry", attributes: { attempt: 2, tags: ["a", "b"] } }),
      ]);
      expect(child?.durationMs).toBeGreaterThanOrEqual(0);
    });
  }

  it("forwards a copy of each accepted body to the external OTLP endpoint", async () => {
    await expect.poll(() => forwardedBodies, { timeout: 5_000 }).toBeGreaterThanOrEqual(2);
  });

  it("answers 503 with Retry-After, not a silent drop, while the span store is behind", async () => {
    const busy = http.createServer(createOtlpReceiver({ spans, maxQueuedSpans: 5 }).handle);
    const busyUrl = `http://127.0.0.1:${await listen(busy)}${OTLP_TRACES_PATH}`;
    try {
      const body = JSON.stringify({
        resourceSpans: [
          {
            scopeSpans: [
              {
                spans: Array.from({ length: 10 }, (_, index) => ({
                  traceId: "ef".repeat(16),
                  spanId: index.toString(16).padStart(16, "0"),
                  name: "x",
                  startTimeUnixNano: "1",
                  endTimeUnixNano: "2",
                })),
              },
            ],
          },
        ],
      });
      const answer = await post(busyUrl, Buffer.from(body), "application/json");
      expect(answer.status).toBe(503);
      expect(answer.retryAfter).toBe("1");
      expect(JSON.parse(answer.body)).toEqual({ code: 14, message: "the span store is catching up: retry" });
    } finally {
      busy.close();
    }
  });

  it("answers 200 malformed, mistyped or oversized bodies with 4xx and a reason, and keeps serving", async () => {
    const valid = Buffer.from(
      ExportTraceServiceRequest.encode(
        ExportTraceServiceRequest.fromObject({
          resourceSpans: [
            {
              resource: { attributes: [{ key: "service.name", value: { stringValue: "garbage-test" } }] },
              scopeSpans: [
                {
                  spans: Array.from({ length: 20 }, (_, index) => ({
                    traceId: Buffer.alloc(16, index + 1),
                    spanId: Buffer.alloc(8, index + 1),
                    name: `span ${index}`,
                    startTimeUnixNano: "1700000000000000000",
                    endTimeUnixNano: "1700000000005000000",
                  })),
                },
              ],
            },
          ],
        }),
      ).finish(),
    );
    const validJson = JSON.parse(
      `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"${"ab".repeat(16)}","spanId":"${"cd".repeat(8)}","name":"x","startTimeUnixNano":"1","endTimeUnixNano":"2"}]}]}]}`,
    );
    const mistyped: unknown[] = [
      { resourceSpans: "nope" },
      {
        resourceSpans: [
          { scopeSpans: [{ spans: [{ ...validJson.resourceSpans[0].scopeSpans[0].spans[0], traceId: 5 }] }] },
        ],
      },
      {
        resourceSpans: [
          {
            scopeSpans: [
              { spans: [{ ...validJson.resourceSpans[0].scopeSpans[0].spans[0], spanId: "xyz" }] },
            ],
          },
        ],
      },
      {
        resourceSpans: [
          {
            scopeSpans: [
              {
                spans: [{ ...validJson.resourceSpans[0].scopeSpans[0].spans[0], startTimeUnixNano: "soon" }],
              },
            ],
          },
        ],
      },
      {
        resourceSpans: [
          {
            scopeSpans: [
              { spans: [{ ...validJson.resourceSpans[0].scopeSpans[0].spans[0], kind: "SERVER" }] },
            ],
          },
        ],
      },
      { resourceSpans: [{ resource: { attributes: [{ key: 1 }] } }] },
      [],
      "text",
      null,
    ];
    const bodies: { body: Buffer; type: string; encoding?: string }[] = [];
    for (let index = 0; bodies.length < 120; index++) {
      // Truncated anywhere inside the one top-level field.
      bodies.push({
        body: valid.subarray(0, 1 + ((index * 37) % (valid.length - 1))),
        type: "application/x-protobuf",
      });
    }
    for (let index = 0; bodies.length < 170; index++) {
      const body = mistyped[index % mistyped.length];
      bodies.push({ body: Buffer.from(JSON.stringify(body)), type: "application/json" });
    }
    for (let index = 0; bodies.length < 180; index++)
      bodies.push({
        body: Buffer.from(`{"resourceSpans": [${"[".repeat(index * 100)}`),
        type: "application/json",
      });
    for (let index = 0; bodies.length < 190; index++)
      bodies.push({
        body: Buffer.alloc(MAX_BODY_BYTES + 1 + index * 100_000, 0x41),
        type: "application/json",
      });
    while (bodies.length < 195)
      bodies.push({
        body: gzipSync(Buffer.alloc(20 * MAX_BODY_BYTES)),
        type: "application/x-protobuf",
        encoding: "gzip",
      });
    while (bodies.length < 198)
      bodies.push({ body: Buffer.from("not gzip at all"), type: "application/json", encoding: "gzip" });
    bodies.push({ body: Buffer.from("{}"), type: "text/plain" });
    bodies.push({ body: valid, type: "application/x-protobuf", encoding: "br" });

    const answers = [];
    for (const { body, type, encoding } of bodies) answers.push(await post(url, body, type, encoding));
    const statuses = answers.map((answer) => answer.status);
    expect(statuses.filter((status) => status < 400 || status >= 500)).toEqual([]);
    expect(new Set(statuses)).toEqual(new Set([400, 413, 415]));
    const mistypedAnswer = JSON.parse(answers[121]?.body ?? "{}") as { message?: string };
    expect(mistypedAnswer.message).toMatch(/resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[0\]\.traceId/);

    const afterwards = await post(url, valid, "application/x-protobuf");
    expect(afterwards.status).toBe(200);
    await spans.flush();
    expect(await spans.search({ service: "garbage-test", limit: 100 })).toHaveLength(20);
  });
});

async function sendTrace(exporter: SpanExporter, service: string) {
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ "service.name": service }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer("receiver-test");
  const parent = tracer.startSpan("POST /checkout", {
    kind: SpanKind.SERVER,
    attributes: { "http.method": "POST", "http.status_code": 500, retried: true },
  });
  const child = tracer.startSpan(
    "charge card",
    { kind: SpanKind.CLIENT },
    trace.setSpan(context.active(), parent),
  );
  child.addEvent("retry", { attempt: 2, tags: ["a", "b"] });
  child.setStatus({ code: SpanStatusCode.ERROR, message: "card declined" });
  child.end();
  parent.end();
  await provider.forceFlush();
  await provider.shutdown();
  return {
    traceId: parent.spanContext().traceId,
    parentId: parent.spanContext().spanId,
    childId: child.spanContext().spanId,
  };
}

function listen(server: http.Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)),
  );
}

function post(
  target: string,
  body: Buffer,
  type: string,
  encoding?: string,
): Promise<{ status: number; body: string; retryAfter: string | undefined }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { "content-type": type, "content-length": body.length };
    if (encoding) headers["content-encoding"] = encoding;
    const request = http.request(target, { method: "POST", headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () =>
        resolve({
          status: response.statusCode ?? 0,
          body: Buffer.concat(chunks).toString(),
          retryAfter: response.headers["retry-after"],
        }),
      );
    });
    // The server may answer 413 and close before it has read everything we send.
    request.on("error", (error: NodeJS.ErrnoException) =>
      error.code === "EPIPE" || error.code === "ECONNRESET" ? undefined : reject(error),
    );
    request.end(body);
  });
}
