// Owns the span database: every insert, query and prune runs here, off the control plane's event loop.
import { parentPort, workerData } from "node:worker_threads";
import { openSpanDatabase } from "./span-database.ts";
import type { FromSpanWorker, SpanCall, SpanWorkerData, ToSpanWorker } from "./span-protocol.ts";
import { countSpans, getTrace, insertSpans, pruneSpans, searchTraces } from "./span-queries.ts";

if (!parentPort) throw new Error("span-worker.ts runs only as a worker thread");
const port = parentPort;
const db = openSpanDatabase((workerData as SpanWorkerData).file);

function reply(message: FromSpanWorker): void {
  port.postMessage(message);
}

function answer(call: SpanCall): unknown {
  switch (call.op) {
    case "flush":
      return null;
    case "search":
      return searchTraces(db, call.search);
    case "getTrace":
      return getTrace(db, call.traceId);
    case "prune":
      return pruneSpans(db, call.retention);
    case "count":
      return countSpans(db);
  }
}

port.on("message", (message: ToSpanWorker) => {
  if (message.type === "close") {
    db.close();
    port.close();
    return;
  }
  if (message.type === "write") {
    try {
      insertSpans(db, message.spans);
      reply({ type: "written", count: message.spans.length });
    } catch (error) {
      reply({ type: "writeFailed", count: message.spans.length, message: String(error) });
    }
    return;
  }
  try {
    reply({ type: "result", id: message.id, result: answer(message.call) });
  } catch (error) {
    reply({
      type: "failed",
      id: message.id,
      message: error instanceof Error ? error.message : String(error),
    });
  }
});

reply({ type: "ready" });
