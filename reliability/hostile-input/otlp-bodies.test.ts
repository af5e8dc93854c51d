import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { useProcesses, waitFor } from "@loom/test-harness";
import { TRPCClientError } from "@trpc/client";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import {
  type ApiClient,
  adminToken,
  apiClient,
  type RunningControlPlane,
  startControlPlane,
} from "../../apps/control-plane/test/api/control-plane.ts";
import { reportCounts } from "../report.ts";
import { CORPUS_DIR, readCorpus } from "./support/corpus.ts";
import { hugeRequest, type OtlpRequest, otlpRequest } from "./support/otlp-arbitrary.ts";

useProcesses();

const BODIES = Number(process.env.LOOM_OTLP_BODIES ?? 10_000);
/** Over-limit bodies are megabytes each: a few are enough to show they are refused without being read. */
const HUGE_BODIES = 10;
// Fixed so a failure replays; LOOM_FUZZ_SEED explores further.
const SEED = Number(process.env.LOOM_FUZZ_SEED ?? 7_002);
const CONCURRENCY = 8;

interface Answer {
  status: number;
  /** The start of the answer's body, to tell why a valid export was refused. */
  text?: string;
  /** Set when no HTTP answer came, even after one retry on a fresh connection. */
  error?: string;
  retried: boolean;
}

/**
 * An over-limit body on its own connection, sent as RFC 9112 §9.6 asks: in pieces, stopping once the early
 * answer arrives (the receiver answers 413 before the body has all been sent, then drains the rest).
 */
function sendHuge(url: string, request: OtlpRequest): Promise<Answer> {
  const { hostname, port, pathname } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), hostname);
    let received = "";
    socket.on("data", (chunk: Buffer) => {
      if (received.length < 1024) received += chunk.toString("latin1");
    });
    socket.on("error", () => {});
    socket.setTimeout(60_000, () => socket.destroy());
    socket.on("close", () => {
      const status = /^HTTP\/1\.1 (\d{3})/.exec(received)?.[1];
      resolve(
        status === undefined
          ? { status: 0, error: `closed without an answer (${received.length} bytes)`, retried: false }
          : { status: Number(status), text: received.slice(0, 200), retried: false },
      );
    });
    const headers = [
      `${request.method} ${pathname} HTTP/1.1`,
      `Host: ${hostname}`,
      `Content-Type: ${request.contentType}`,
      ...(request.contentEncoding === undefined ? [] : [`Content-Encoding: ${request.contentEncoding}`]),
      `Content-Length: ${request.body.length}`,
      "Connection: close",
    ];
    socket.write(`${headers.join("\r\n")}\r\n\r\n`);
    const PIECE = 64 * 1024;
    const writeFrom = (at: number): void => {
      if (received !== "" || socket.destroyed) return;
      // No half-close after the body: node:http drops a request whose client ended its side first.
      if (at >= request.body.length) return;
      // A pause between pieces lets the early answer be read before the server's close resets the socket.
      if (socket.write(request.body.subarray(at, at + PIECE))) setTimeout(writeFrom, 5, at + PIECE);
      else socket.once("drain", () => setTimeout(writeFrom, 5, at + PIECE));
    };
    writeFrom(0);
  });
}

/** POSTs one request; a keep-alive connection the server closed just as it was reused is retried once. */
async function send(url: string, request: OtlpRequest): Promise<Answer> {
  if (request.kind.startsWith("huge")) return sendHuge(url, request);
  const headers: Record<string, string> = {};
  if (request.contentType !== undefined) headers["content-type"] = request.contentType;
  if (request.contentEncoding !== undefined) headers["content-encoding"] = request.contentEncoding;
  const attempt = async () => {
    const response = await fetch(url, {
      method: request.method,
      headers,
      body: request.method === "GET" ? undefined : request.body,
    });
    return { status: response.status, text: (await response.text()).slice(0, 200) };
  };
  try {
    return { ...(await attempt()), retried: false };
  } catch {
    try {
      return { ...(await attempt()), retried: true };
    } catch (error) {
      return { status: 0, error: `${String(error)} ${String((error as Error).cause ?? "")}`, retried: true };
    }
  }
}

/** Keeps an input that got a 5xx or no answer, so it is replayed by the corpus test from now on. */
function keepInCorpus(request: OtlpRequest, answer: Answer): string {
  const name = `otlp-${createHash("sha256").update(request.body).digest("hex").slice(0, 12)}`;
  writeFileSync(path.join(CORPUS_DIR, `${name}.body`), request.body);
  writeFileSync(
    path.join(CORPUS_DIR, `${name}.json`),
    `${JSON.stringify({ kind: request.kind, method: request.method, contentType: request.contentType, contentEncoding: request.contentEncoding, found: `status ${answer.status} ${answer.error ?? ""}`.trim() }, null, 2)}\n`,
  );
  return name;
}

describe("OTLP/HTTP receiver under generated and hostile bodies", () => {
  let controlPlane: RunningControlPlane;
  let api: ApiClient;
  let url: string;

  beforeAll(async () => {
    // The bodies are under test here, not tokens (apps/control-plane/test/otlp/auth.test.ts): anonymous
    // senders are let in so every generated body reaches the decoder.
    controlPlane = await startControlPlane({ env: { LOOM_OTLP_ALLOW_ANONYMOUS: "1" } });
    url = `${controlPlane.apiUrl}/v1/traces`;
    api = apiClient(controlPlane.apiUrl, { token: await adminToken(controlPlane.apiUrl) });
  });

  async function traceStored(traceId: string): Promise<boolean> {
    try {
      return (await api.traces.get.query({ traceId })).length > 0;
    } catch (error) {
      if (error instanceof TRPCClientError && (error.data as { code?: string })?.code === "NOT_FOUND")
        return false;
      throw error;
    }
  }

  it("an oversized body sent whole by fetch reads its 413, every time: the rest is drained, not reset", async () => {
    const TRIES = 20;
    // Over the 4 MiB limit: declared up front (answered before any of it is read), or streamed chunked
    // (answered once 4 MiB have been read).
    const oversized = Buffer.alloc(6 * 1024 * 1024, " ");
    const statuses: string[] = [];
    for (let index = 0; index < TRIES; index += 1) {
      const streamed = index % 2 === 1;
      const body = streamed
        ? new ReadableStream<Uint8Array>({
            start(controller) {
              for (let at = 0; at < oversized.length; at += 256 * 1024)
                controller.enqueue(oversized.subarray(at, at + 256 * 1024));
              controller.close();
            },
          })
        : oversized;
      const status = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
        ...(streamed ? { duplex: "half" } : {}),
      } as RequestInit).then(
        async (response) => {
          await response.arrayBuffer();
          return String(response.status);
        },
        (error: Error) => `${error.message} ${String((error.cause as Error | undefined)?.message ?? "")}`,
      );
      statuses.push(status);
    }
    reportCounts("hostile-input otlp oversized by fetch", {
      sent: TRIES,
      failed: statuses.filter((status) => status !== "413").length,
      refused: statuses.filter((status) => status === "413").length,
      crashed: controlPlane.process.exitStatus === undefined ? 0 : 1,
      notes: { answers: [...new Set(statuses)].join(" | ") },
    });
    expect(statuses).toEqual(Array.from({ length: TRIES }, () => "413"));
  });

  it("replays the corpus of inputs that once got a 5xx: each now answered below 500", async () => {
    const corpus = readCorpus("otlp-");
    expect(corpus.length).toBeGreaterThan(0);
    let failed = 0;
    for (const entry of corpus) {
      const answer = await send(url, entry.request);
      if (answer.status === 0 || answer.status >= 500) {
        failed++;
        console.log(`corpus ${entry.name} (${entry.request.kind}): ${answer.status} ${answer.error ?? ""}`);
      }
    }
    reportCounts("hostile-input OTLP corpus replay", {
      sent: corpus.length,
      failed,
      refused: corpus.length - failed,
      crashed: controlPlane.process.exitStatus ? 1 : 0,
    });
    expect(failed).toBe(0);
  });

  it(`answers ${BODIES} generated bodies 2xx (valid: spans stored) or 4xx, never 5xx, and keeps serving`, async () => {
    const requests = [
      ...fc.sample(otlpRequest, { numRuns: BODIES - HUGE_BODIES, seed: SEED }),
      ...fc.sample(hugeRequest, { numRuns: HUGE_BODIES, seed: SEED }),
    ];
    const byStatus = new Map<number, number>();
    const byKind = new Map<string, { sent: number; accepted: number }>();
    const stored: string[] = [];
    const problems: string[] = [];
    let retries = 0;
    let validRefused = 0;
    const started = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < requests.length) {
          const request = requests[next++] as OtlpRequest;
          const answer = await send(url, request);
          if (answer.retried) retries++;
          byStatus.set(answer.status, (byStatus.get(answer.status) ?? 0) + 1);
          const family = request.kind.split(" with ")[0] as string;
          const kind = byKind.get(family) ?? { sent: 0, accepted: 0 };
          byKind.set(family, kind);
          kind.sent++;
          if (answer.status >= 200 && answer.status < 300) kind.accepted++;
          if (answer.status === 0 || answer.status >= 500) {
            problems.push(
              `${request.kind}: ${answer.status} ${answer.error ?? ""} → corpus ${keepInCorpus(request, answer)}`,
            );
          } else if (request.traceIds !== undefined) {
            if (answer.status >= 300) {
              validRefused++;
              if (validRefused <= 5)
                problems.push(`valid ${request.kind} refused: ${answer.status} ${answer.text}`);
            } else stored.push(...request.traceIds);
          }
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;

    // Spans are written by the store's worker in batches: wait for the last, then check every valid export.
    const last = stored[stored.length - 1];
    if (last !== undefined)
      await waitFor(() => traceStored(last), {
        what: "the last valid trace to be stored",
        timeoutMs: 30_000,
      }).catch(() => {
        // Counted below with every other trace that is missing.
      });
    const missingIds: string[] = [];
    let checked = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (checked < stored.length) {
          const traceId = stored[checked++] as string;
          if (!(await traceStored(traceId))) missingIds.push(traceId);
        }
      }),
    );

    const missing = missingIds.length;
    if (missing > 0) {
      const lost = requests.filter((request) => request.traceIds?.some((id) => missingIds.includes(id)));
      problems.push(
        `${missing} valid traces not stored, first from: ${lost
          .slice(0, 3)
          .map((request) => `${request.kind} ${request.body.toString("latin1").slice(0, 300)}`)
          .join(" | ")}`,
      );
    }
    const alive = controlPlane.process.exitStatus === undefined;
    const servesApi = (await api.traces.services.query()).includes("hostile-otlp");
    const count = (predicate: (status: number) => boolean) =>
      [...byStatus].filter(([status]) => predicate(status)).reduce((sum, [, n]) => sum + n, 0);
    if (problems.length > 0) console.log(problems.slice(0, 10).join("\n"));
    reportCounts("hostile-input OTLP bodies", {
      sent: requests.length,
      failed: count((status) => status === 0 || status >= 500) + missing + validRefused,
      refused: count((status) => status >= 400 && status < 500),
      crashed: alive ? 0 : 1,
      notes: {
        "2xx": count((status) => status >= 200 && status < 300),
        "4xx": count((status) => status >= 400 && status < 500),
        "5xx": count((status) => status >= 500),
        "no answer": byStatus.get(0) ?? 0,
        statuses: [...byStatus]
          .sort(([a], [b]) => a - b)
          .map(([status, n]) => `${status}×${n}`)
          .join(" "),
        "valid exports stored": `${stored.length - missing}/${stored.length} traces`,
        "valid exports refused": validRefused,
        "keep-alive retries": retries,
        "bodies/s": (requests.length / seconds).toFixed(0),
        ...Object.fromEntries(
          [...byKind].map(([kind, { sent, accepted }]) => [kind, `${accepted}/${sent} 2xx`]),
        ),
        seed: SEED,
      },
    });
    expect(problems).toEqual([]);
    expect(validRefused).toBe(0);
    expect(missing).toBe(0);
    expect(alive).toBe(true);
    expect(servesApi).toBe(true);
  });
});
