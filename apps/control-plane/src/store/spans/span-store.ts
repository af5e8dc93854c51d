import path from "node:path";
import { Worker } from "node:worker_threads";
import { dataDir } from "../database-target.ts";
import type { FromSpanWorker, SpanCall, SpanWorkerData, ToSpanWorker } from "./span-protocol.ts";
import type { SpanRecord, SpanRetention, SpanSearch, TraceSummary } from "./span-types.ts";

export interface SpanStoreOptions {
  /**
   * The SQLite file (default `spans.db` in the data directory, beside `loom.db`); spans never share a
   * database with configuration, even when configuration is on PostgreSQL.
   */
  file?: string;
  /** Spans per insert transaction (default 500). */
  batchSize?: number;
  /** How long a partial batch may wait before it is written (default 200 ms). */
  flushIntervalMs?: number;
  /** Spans waiting or being written beyond which new spans are dropped and counted (default 50 000). */
  maxQueuedSpans?: number;
}

export interface SpanStoreStats {
  /** Spans accepted but not yet committed. */
  queued: number;
  /** Spans given up: over maxQueuedSpans, or in a batch the database refused. */
  dropped: number;
}

export interface SpanStore {
  /** Queues spans for a batched write; never blocks and never throws. */
  write(spans: SpanRecord[]): void;
  /** Resolves once every span written so far is committed. */
  flush(): Promise<void>;
  /** Sees spans once they are committed (see flush). */
  search(search: SpanSearch): Promise<TraceSummary[]>;
  getTrace(traceId: string): Promise<SpanRecord[]>;
  /** Returns how many spans were deleted. */
  prune(retention: SpanRetention): Promise<number>;
  count(): Promise<number>;
  stats(): SpanStoreStats;
  /** Writes what is queued, then stops the worker. */
  close(): Promise<void>;
}

/**
 * Starts span-worker.ts. From TypeScript source the worker needs tsx's loader registered inside it:
 * Node 20 passes neither the parent's loader hooks nor an `--import` execArgv on to a worker's entry.
 */
function startWorker(data: SpanWorkerData): Worker {
  const entry = new URL("./span-worker.ts", import.meta.url).href;
  const bootstrap = [
    `import { register } from ${JSON.stringify(import.meta.resolve("tsx/esm/api"))};`,
    "register();",
    `await import(${JSON.stringify(entry)});`,
  ].join("\n");
  return new Worker(new URL(`data:text/javascript,${encodeURIComponent(bootstrap)}`), { workerData: data });
}

/** Opens the span store; all database work happens on a worker thread. */
export async function openSpanStore(options: SpanStoreOptions = {}): Promise<SpanStore> {
  const batchSize = options.batchSize ?? 500;
  const flushIntervalMs = options.flushIntervalMs ?? 200;
  const maxQueuedSpans = options.maxQueuedSpans ?? 50_000;

  const worker = startWorker({ file: options.file ?? path.join(dataDir(), "spans.db") });
  const calls = new Map<number, { resolve(result: unknown): void; reject(error: Error): void }>();
  let nextCallId = 1;
  /** Accepted spans not yet committed or given up: the filling batch, full batches, and those posted. */
  let queued = 0;
  let dropped = 0;
  let filling: SpanRecord[] = [];
  const fullBatches: SpanRecord[][] = [];
  let postScheduled = false;
  let flushTimer: NodeJS.Timeout | undefined;
  let failure: Error | undefined;

  function failAll(error: Error): void {
    failure ??= error;
    for (const call of calls.values()) call.reject(error);
    calls.clear();
  }

  const ready = new Promise<void>((resolve, reject) => {
    worker.once("error", reject);
    worker.once("message", (message: FromSpanWorker) => {
      if (message.type === "ready") resolve();
    });
  });

  worker.on("message", (message: FromSpanWorker) => {
    switch (message.type) {
      case "written":
        queued -= message.count;
        break;
      case "writeFailed":
        queued -= message.count;
        dropped += message.count;
        break;
      case "result":
      case "failed": {
        const call = calls.get(message.id);
        calls.delete(message.id);
        if (message.type === "result") call?.resolve(message.result);
        else call?.reject(new Error(message.message));
        break;
      }
    }
  });
  worker.on("error", (error) => failAll(error));
  worker.on("exit", (code) => failAll(new Error(`The span worker has stopped (exit code ${code})`)));

  function post(message: ToSpanWorker): void {
    worker.postMessage(message);
  }

  function postBatch(spans: SpanRecord[]): void {
    if (failure) {
      queued -= spans.length;
      dropped += spans.length;
      return;
    }
    post({ type: "write", spans });
  }

  function sealFillingBatch(): void {
    clearTimeout(flushTimer);
    flushTimer = undefined;
    if (filling.length > 0) fullBatches.push(filling);
    filling = [];
  }

  // Copying a batch to the worker is the only work a write costs this thread; one batch per
  // event-loop turn keeps even a huge write from holding the loop for long.
  function postOneBatchPerTurn(): void {
    postScheduled = false;
    const batch = fullBatches.shift();
    if (batch) postBatch(batch);
    if (fullBatches.length > 0) schedulePosting();
  }

  function schedulePosting(): void {
    if (postScheduled) return;
    postScheduled = true;
    setImmediate(postOneBatchPerTurn);
  }

  function call<T>(request: SpanCall): Promise<T> {
    if (failure) return Promise.reject(failure);
    const id = nextCallId++;
    return new Promise<T>((resolve, reject) => {
      calls.set(id, { resolve: resolve as (result: unknown) => void, reject });
      post({ type: "call", id, call: request });
    });
  }

  /** Posts every accepted span, still one batch per event-loop turn. */
  async function postEverything(): Promise<void> {
    sealFillingBatch();
    for (let batch = fullBatches.shift(); batch; batch = fullBatches.shift()) {
      postBatch(batch);
      await new Promise(setImmediate);
    }
  }

  await ready;

  return {
    write(spans) {
      const accepted = spans.slice(0, Math.max(0, maxQueuedSpans - queued));
      dropped += spans.length - accepted.length;
      queued += accepted.length;
      for (const span of accepted) {
        filling.push(span);
        if (filling.length >= batchSize) sealFillingBatch();
      }
      if (fullBatches.length > 0) schedulePosting();
      if (filling.length > 0 && flushTimer === undefined) {
        flushTimer = setTimeout(() => {
          sealFillingBatch();
          schedulePosting();
        }, flushIntervalMs);
        flushTimer.unref();
      }
    },
    async flush() {
      await postEverything();
      await call<null>({ op: "flush" });
    },
    search: (search) => call<TraceSummary[]>({ op: "search", search }),
    getTrace: (traceId) => call<SpanRecord[]>({ op: "getTrace", traceId }),
    prune: (retention) => call<number>({ op: "prune", retention }),
    count: () => call<number>({ op: "count" }),
    stats: () => ({ queued, dropped }),
    async close() {
      if (failure) return;
      await postEverything();
      const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
      post({ type: "close" });
      await exited;
    },
  };
}
