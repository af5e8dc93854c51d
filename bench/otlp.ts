// npm run bench:otlp [-- --spans N]
// OTLP/HTTP protobuf ingest into the embedded span store through the receiver, then trace search and
// get-by-id over what was stored (1M spans by default).

import { mkdtemp, rm } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { createOtlpReceiver, OTLP_TRACES_PATH } from "../apps/control-plane/src/otlp/index.ts";
import { ExportTraceServiceRequest } from "../apps/control-plane/src/otlp/otlp-proto.ts";
import { openSpanStore } from "../apps/control-plane/src/store/spans/index.ts";

const SPANS_PER_TRACE = 10;
const TRACES_PER_REQUEST = 50;
const CONCURRENCY = 4;
const SERVICES = 20;
const OPERATIONS = 10;
const QUERIES = 50;
const GOALS = { spansPerSecond: 20_000, queryP95Ms: 100 };

const { values } = parseArgs({ options: { spans: { type: "string", default: "1000000" } } });
const totalSpans = Number(values.spans);
const requests = Math.ceil(totalSpans / (SPANS_PER_TRACE * TRACES_PER_REQUEST));

function hex(value: number, digits: number): string {
  return value.toString(16).padStart(digits, "0");
}

/** One request: 50 traces of 10 spans (a root and its children), each trace within one of 20 services. */
function requestBody(index: number): Buffer {
  const now = BigInt(Date.now()) * 1_000_000n;
  const byService = new Map<number, unknown[]>();
  for (let trace = 0; trace < TRACES_PER_REQUEST; trace++) {
    const traceNumber = index * TRACES_PER_REQUEST + trace;
    const service = traceNumber % SERVICES;
    const traceId = Buffer.from(hex(traceNumber + 1, 32), "hex");
    const spans = byService.get(service) ?? [];
    for (let span = 0; span < SPANS_PER_TRACE; span++) {
      const durationMs = 1 + ((traceNumber * 7 + span * 13) % 500);
      spans.push({
        traceId,
        spanId: Buffer.from(hex(traceNumber * SPANS_PER_TRACE + span + 1, 16), "hex"),
        parentSpanId: span === 0 ? undefined : Buffer.from(hex(traceNumber * SPANS_PER_TRACE + 1, 16), "hex"),
        name: `operation-${(traceNumber + span) % OPERATIONS}`,
        kind: span === 0 ? 2 : 3,
        startTimeUnixNano: String(now),
        endTimeUnixNano: String(now + BigInt(durationMs) * 1_000_000n),
        attributes: [{ key: "http.method", value: { stringValue: "GET" } }],
        status: { code: traceNumber % 50 === 0 ? 2 : 0 },
      });
    }
    byService.set(service, spans);
  }
  const message = ExportTraceServiceRequest.fromObject({
    resourceSpans: [...byService].map(([service, spans]) => ({
      resource: { attributes: [{ key: "service.name", value: { stringValue: `service-${service}` } }] },
      scopeSpans: [{ spans }],
    })),
  });
  return Buffer.from(ExportTraceServiceRequest.encode(message).finish());
}

const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });

function post(url: string, body: Buffer): Promise<{ status: number; retryAfterMs: number }> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      url,
      {
        method: "POST",
        agent,
        headers: { "content-type": "application/x-protobuf", "content-length": body.length },
      },
      (response) => {
        response.resume();
        response.on("end", () =>
          resolve({
            status: response.statusCode ?? 0,
            retryAfterMs: Number(response.headers["retry-after"] ?? 0) * 1000,
          }),
        );
      },
    );
    request.on("error", reject);
    request.end(body);
  });
}

function percentile(sorted: number[], quantile: number): number {
  return sorted[Math.max(0, Math.ceil(quantile * sorted.length) - 1)] ?? Number.NaN;
}

async function timed(run: () => Promise<unknown>): Promise<number[]> {
  const durations: number[] = [];
  for (let index = 0; index < QUERIES; index++) {
    const started = performance.now();
    await run();
    durations.push(performance.now() - started);
  }
  return durations.sort((a, b) => a - b);
}

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), "loom-bench-otlp-"));
  const spans = await openSpanStore({ file: path.join(dir, "spans.db") });
  const receiver = createOtlpReceiver({ spans });
  const server = http.createServer(receiver.handle);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${OTLP_TRACES_PATH}`;

  let next = 0;
  let retries = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let index = next++; index < requests; index = next++) {
        const body = requestBody(index);
        for (;;) {
          const { status, retryAfterMs } = await post(url, body);
          if (status === 200) break;
          if (status !== 503) throw new Error(`request ${index} answered ${status}`);
          retries++;
          await new Promise((resolve) => setTimeout(resolve, Math.min(retryAfterMs, 200)));
        }
      }
    }),
  );
  await spans.flush();
  const ingestSeconds = (performance.now() - started) / 1000;
  const stored = await spans.count();
  const spansPerSecond = stored / ingestSeconds;

  const traces = requests * TRACES_PER_REQUEST;
  let query = 0;
  const searchByService = await timed(() =>
    spans.search({ service: `service-${query++ % SERVICES}`, limit: 20 }),
  );
  const searchSlowErrors = await timed(() =>
    spans.search({
      service: `service-${query++ % SERVICES}`,
      status: "error",
      minDurationMs: 250,
      limit: 20,
    }),
  );
  const searchOperation = await timed(() =>
    spans.search({ operation: `operation-${query++ % OPERATIONS}`, limit: 20 }),
  );
  const getById = await timed(() => spans.getTrace(hex(1 + ((query++ * 7919) % traces), 32)));
  const searchP95 = Math.max(
    ...[searchByService, searchSlowErrors, searchOperation].map((sorted) => percentile(sorted, 0.95)),
  );
  const getP95 = percentile(getById, 0.95);

  console.table([
    {
      "spans stored": stored,
      "ingest (s)": Number(ingestSeconds.toFixed(1)),
      "spans/s": Math.round(spansPerSecond),
      "503 retries": retries,
      dropped: spans.stats().dropped,
      "goal spans/s": GOALS.spansPerSecond,
      "spans/s / goal": Number((spansPerSecond / GOALS.spansPerSecond).toFixed(2)),
    },
  ]);
  console.table(
    Object.entries({
      "search by service": searchByService,
      "search errors ≥ 250 ms": searchSlowErrors,
      "search by operation": searchOperation,
      "get by id": getById,
    }).map(([query, sorted]) => ({
      query,
      "p50 (ms)": Number(percentile(sorted, 0.5).toFixed(1)),
      "p95 (ms)": Number(percentile(sorted, 0.95).toFixed(1)),
      "goal p95 (ms)": GOALS.queryP95Ms,
      "p95 / goal": Number((percentile(sorted, 0.95) / GOALS.queryP95Ms).toFixed(2)),
    })),
  );
  console.log(`BENCH otlp.spans_per_s ${Math.round(spansPerSecond)}`);
  console.log(`BENCH otlp.search_p95_ms ${searchP95.toFixed(1)}`);
  console.log(`BENCH otlp.get_p95_ms ${getP95.toFixed(1)}`);
  console.log(`BENCH otlp.query_p95_ms ${Math.max(searchP95, getP95).toFixed(1)}`);
  server.close();
  agent.destroy();
  await spans.close();
  await rm(dir, { recursive: true, force: true });
}

await main();
