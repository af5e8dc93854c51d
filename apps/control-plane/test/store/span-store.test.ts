import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { SPAN_ATTRIBUTES, UNKNOWN_SOURCE } from "@loom/spec";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openSpanStore, type SpanRecord, type SpanStore, spanStatus } from "../../src/store/spans/index.ts";
import { openSpanDatabase } from "../../src/store/spans/span-database.ts";
import { insertSpans } from "../../src/store/spans/span-queries.ts";

const baseMs = Date.UTC(2026, 10, 1, 12, 0, 0);

function span(overrides: Partial<SpanRecord> & Pick<SpanRecord, "traceId" | "spanId">): SpanRecord {
  return {
    parentSpanId: null,
    service: "web",
    name: "GET /",
    kind: 2,
    startTimeUnixNano: `${BigInt(baseMs) * 1_000_000n}`,
    durationMs: 10,
    statusCode: spanStatus.unset,
    attributes: {},
    events: [],
    ...overrides,
  };
}

/** web → cart → db, starting `offsetMs` after baseMs; the db call fails when `failing`. */
function checkoutTrace(
  traceId: string,
  offsetMs: number,
  { failing = false, slowMs = 0 } = {},
): SpanRecord[] {
  const at = (ms: number) => `${BigInt(baseMs + offsetMs + ms) * 1_000_000n + 123_000n}`;
  return [
    span({ traceId, spanId: `${traceId}-1`, startTimeUnixNano: at(0), durationMs: 40 + slowMs }),
    span({
      traceId,
      spanId: `${traceId}-2`,
      parentSpanId: `${traceId}-1`,
      service: "cart",
      name: "POST /checkout",
      startTimeUnixNano: at(5),
      durationMs: 30 + slowMs,
      attributes: { "http.request.method": "POST", "http.response.status_code": failing ? 500 : 200 },
    }),
    span({
      traceId,
      spanId: `${traceId}-3`,
      parentSpanId: `${traceId}-2`,
      service: "db",
      name: "query",
      kind: 3,
      startTimeUnixNano: at(10),
      durationMs: 20 + slowMs,
      statusCode: failing ? spanStatus.error : spanStatus.ok,
      ...(failing && { statusMessage: "deadlock detected" }),
      events: failing ? [{ name: "exception", attributes: { "exception.message": "deadlock" } }] : [],
    }),
  ];
}

describe("span store", () => {
  let dir: string;
  let file: string;
  const opened: SpanStore[] = [];

  async function open(options: Partial<Parameters<typeof openSpanStore>[0]> = {}): Promise<SpanStore> {
    const store = await openSpanStore({ file, ...options });
    opened.push(store);
    return store;
  }

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "loom-spans-test-"));
    file = path.join(dir, "spans.db");
  });

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((store) => store.close()));
    await rm(dir, { recursive: true, force: true });
  });

  it("writes spans to their own file and returns a trace with every field", async () => {
    const spans = await open();
    const trace = checkoutTrace("t1", 0, { failing: true });
    spans.write(trace);
    await spans.flush();

    expect(existsSync(file)).toBe(true);
    const stored = await spans.getTrace("t1");
    expect(stored).toEqual(trace);
    expect(stored[0]?.startTimeUnixNano).toBe(`${BigInt(baseMs) * 1_000_000n + 123_000n}`);
    expect(await spans.getTrace("unknown")).toEqual([]);
  });

  it("commits partial batches on its own after the flush interval", async () => {
    const spans = await open({ flushIntervalMs: 20 });
    spans.write(checkoutTrace("t1", 0));
    expect(spans.stats().queued).toBe(3);
    await expect.poll(() => spans.count(), { timeout: 2_000 }).toBe(3);
    expect(spans.stats()).toEqual({ queued: 0, dropped: 0 });
  });

  it("keeps one copy of a span written twice (exporter retries)", async () => {
    const spans = await open();
    spans.write(checkoutTrace("t1", 0));
    spans.write(checkoutTrace("t1", 0));
    await spans.flush();
    expect(await spans.count()).toBe(3);
  });

  it("searches traces by service, operation, status, duration and time, newest first", async () => {
    const spans = await open({ batchSize: 4 });
    spans.write([
      ...checkoutTrace("ok-early", 0),
      ...checkoutTrace("failed", 60_000, { failing: true }),
      ...checkoutTrace("slow", 120_000, { slowMs: 500 }),
      span({
        traceId: "other",
        spanId: "o-1",
        service: "search",
        name: "GET /q",
        startTimeUnixNano: `${BigInt(baseMs + 180_000) * 1_000_000n}`,
      }),
    ]);
    await spans.flush();
    const ids = async (search: Parameters<SpanStore["search"]>[0]) =>
      (await spans.search(search)).map((trace) => trace.traceId);

    expect(await ids({})).toEqual(["other", "slow", "failed", "ok-early"]);
    expect(await ids({ service: "cart" })).toEqual(["slow", "failed", "ok-early"]);
    expect(await ids({ service: "cart", operation: "POST /checkout", limit: 2 })).toEqual(["slow", "failed"]);
    expect(await ids({ status: "error" })).toEqual(["failed"]);
    expect(await ids({ service: "db", status: "ok" })).toEqual(["slow", "ok-early"]);
    expect(await ids({ minDurationMs: 300 })).toEqual(["slow"]);
    expect(
      await ids({ from: new Date(baseMs + 30_000), to: new Date(baseMs + 150_000), service: "web" }),
    ).toEqual(["slow", "failed"]);

    const [failed] = await spans.search({ status: "error" });
    expect(failed).toEqual({
      traceId: "failed",
      rootService: "web",
      rootName: "GET /",
      startTimeUnixNano: `${BigInt(baseMs + 60_000) * 1_000_000n + 123_000n}`,
      durationMs: 40,
      spanCount: 3,
      errorCount: 1,
      services: ["cart", "db", "web"],
    });
  });

  it("searches an edge's traces: calls from one caller to a service, as either side's proxy recorded them", async () => {
    const spans = await open({ batchSize: 4 });
    const callOf = (traceId: string, caller: string, offsetMs: number, durationMs: number) =>
      span({
        traceId,
        spanId: `${traceId}-1`,
        service: "cart",
        startTimeUnixNano: `${BigInt(baseMs + offsetMs) * 1_000_000n}`,
        durationMs,
        attributes: { [SPAN_ATTRIBUTES.source]: caller },
      });
    spans.write([
      callOf("web-fast", "web", 0, 5),
      callOf("admin-slow", "admin", 1_000, 900),
      callOf("web-slow", "web", 2_000, 700),
      // Cart calling web: the same pair of services the other way round is another edge.
      span({
        traceId: "reverse",
        spanId: "r-1",
        service: "web",
        attributes: { [SPAN_ATTRIBUTES.source]: "cart" },
      }),
      // A plaintext caller: cart's proxy cannot tell who called, web's client span says where it went.
      span({
        traceId: "web-plaintext",
        spanId: "p-1",
        service: "web",
        kind: 3,
        startTimeUnixNano: `${BigInt(baseMs + 3_000) * 1_000_000n}`,
        attributes: { [SPAN_ATTRIBUTES.destination]: "cart" },
      }),
      span({
        traceId: "web-plaintext",
        spanId: "p-2",
        parentSpanId: "p-1",
        service: "cart",
        startTimeUnixNano: `${BigInt(baseMs + 3_001) * 1_000_000n}`,
        attributes: { [SPAN_ATTRIBUTES.source]: UNKNOWN_SOURCE },
      }),
    ]);
    await spans.flush();
    const ids = async (search: Parameters<SpanStore["search"]>[0]) =>
      (await spans.search(search)).map((trace) => trace.traceId);

    expect(await ids({ service: "cart", caller: "web" })).toEqual(["web-plaintext", "web-slow", "web-fast"]);
    expect(await ids({ service: "cart", caller: "web", minDurationMs: 100 })).toEqual(["web-slow"]);
    expect(await ids({ service: "cart", caller: "admin" })).toEqual(["admin-slow"]);
    expect(await ids({ service: "web", caller: "cart" })).toEqual(["reverse"]);
    expect(await ids({ service: "cart", caller: "nobody" })).toEqual([]);
  });

  it("summarises a trace whose root span has not arrived from its earliest span", async () => {
    const spans = await open();
    spans.write(checkoutTrace("partial", 0).slice(1));
    await spans.flush();
    const [summary] = await spans.search({});
    expect(summary).toMatchObject({ rootService: "cart", rootName: "POST /checkout", spanCount: 2 });
  });

  it("prunes by age, then by count, oldest first", async () => {
    const spans = await open();
    const now = Date.now();
    const startedAgo = (ms: number) => `${BigInt(now - ms) * 1_000_000n}`;
    spans.write([
      span({ traceId: "a", spanId: "old", startTimeUnixNano: startedAgo(3_600_000) }),
      span({ traceId: "b", spanId: "older", startTimeUnixNano: startedAgo(7_200_000) }),
      ...[1, 2, 3, 4].map((n) =>
        span({ traceId: "c", spanId: `new-${n}`, startTimeUnixNano: startedAgo(n * 1_000) }),
      ),
    ]);
    await spans.flush();

    expect(await spans.prune({ maxAgeMs: 60_000 })).toBe(2);
    expect(await spans.prune({ maxSpans: 3 })).toBe(1);
    expect((await spans.getTrace("c")).map((stored) => stored.spanId)).toEqual(["new-3", "new-2", "new-1"]);
    expect(await spans.prune({ maxAgeMs: 60_000, maxSpans: 3 })).toBe(0);
  });

  it("defaults to spans.db in LOOM_DATA_DIR, beside loom.db", async () => {
    const saved = process.env.LOOM_DATA_DIR;
    process.env.LOOM_DATA_DIR = dir;
    try {
      const spans = await open({ file: undefined });
      spans.write(checkoutTrace("t1", 0));
      await spans.flush();
    } finally {
      if (saved === undefined) delete process.env.LOOM_DATA_DIR;
      else process.env.LOOM_DATA_DIR = saved;
    }
    expect(existsSync(path.join(dir, "spans.db"))).toBe(true);
  });

  it("fails to open, with the reason, when the file cannot be created", async () => {
    await writeFile(path.join(dir, "not-a-directory"), "");
    await expect(openSpanStore({ file: path.join(dir, "not-a-directory", "spans.db") })).rejects.toThrow(
      /EEXIST|ENOTDIR/,
    );
  });

  it("keeps what was written across close and reopen", async () => {
    const first = await openSpanStore({ file });
    first.write(checkoutTrace("t1", 0));
    await first.close();
    const second = await open();
    expect(await second.getTrace("t1")).toHaveLength(3);
  });

  it("drops and counts spans beyond maxQueuedSpans instead of growing without bound", async () => {
    const spans = await open({ maxQueuedSpans: 1_000, batchSize: 10_000 });
    const flood = Array.from({ length: 5_000 }, (_, n) => span({ traceId: `f${n % 50}`, spanId: `s${n}` }));
    spans.write(flood);
    expect(spans.stats()).toEqual({ queued: 1_000, dropped: 4_000 });
    await spans.flush();
    expect(await spans.count()).toBe(1_000);
  });

  it("absorbs a flood of 100 000 spans with far shorter stalls than inserting on the event loop", async () => {
    const spans = await open({ maxQueuedSpans: 200_000 });
    // Ten large OTLP requests' worth, built before measuring.
    const chunks = Array.from({ length: 10 }, (_, chunk) =>
      Array.from({ length: 10_000 }, (_, n) =>
        span({
          traceId: `trace-${chunk}-${n % 100}`,
          spanId: `span-${n}`,
          attributes: { "http.route": "/checkout", "net.peer.name": "cart" },
        }),
      ),
    );
    // The same flood inserted on this thread, as a design without the worker would: its longest
    // chunk is the stall that design would cause, under whatever load this machine has right now.
    const sameThreadDb = openSpanDatabase(path.join(dir, "same-thread.db"));
    const insertTimesMs = chunks.map((chunk) => {
      const insertStarted = performance.now();
      insertSpans(sameThreadDb, chunk);
      return performance.now() - insertStarted;
    });
    const sameThreadStallMs = Math.max(...insertTimesMs);
    sameThreadDb.close();

    const delay = monitorEventLoopDelay({ resolution: 10 });
    const started = performance.now();
    delay.enable();
    for (const chunk of chunks) {
      spans.write(chunk);
      await sleep(1);
    }
    await spans.flush();
    delay.disable();
    const maxStallMs = delay.max / 1e6;
    console.log(
      `span flood: 100000 spans committed in ${Math.round(performance.now() - started)} ms; event loop max stall ${maxStallMs.toFixed(1)} ms (inserting on the event loop instead: max stall ${sameThreadStallMs.toFixed(1)} ms)`,
    );

    expect(await spans.count()).toBe(100_000);
    expect(maxStallMs).toBeLessThan(sameThreadStallMs);
  });
});
