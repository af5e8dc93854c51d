import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import { timer } from "@loom/spec";
import { TokenBucket } from "../filters/rate-limit.ts";
import { parseTapFilter, type TapFilter } from "./filter.ts";
import type { TapHub, TapSubscriber, TapSummary } from "./hub.ts";

export interface TapHandlerOptions {
  /** `bootstrap.tapToken`, or a getter (the control plane's token arrives at registration); none refuses all. */
  token: string | undefined | (() => string | undefined);
  /** Events one stream carries per second, also its burst; what exceeds it is dropped and counted. */
  maxEventsPerSecond?: number;
  /** Streams open at once; each costs a filter call per request, so an admin port cannot be flooded with them. */
  maxStreams?: number;
}

const DEFAULT_MAX_EVENTS_PER_SECOND = 100;
const DEFAULT_MAX_STREAMS = 8;
const DROP_REPORT_INTERVAL_MS = 1_000;

/**
 * `GET /tap?method=&path=&status=&source=&destination=&direction=` on the admin port: live request
 * summaries as server-sent events (`event: request`), bounded in rate per stream; drops are reported as
 * `event: dropped` once a second. Needs `Authorization: Bearer <tapToken>`.
 */
export function createTapHandler(hub: TapHub, options: TapHandlerOptions): RequestListener {
  const current =
    typeof options.token === "function" ? options.token : () => options.token as string | undefined;
  const maxEventsPerSecond = options.maxEventsPerSecond ?? DEFAULT_MAX_EVENTS_PER_SECOND;
  const maxStreams = options.maxStreams ?? DEFAULT_MAX_STREAMS;
  return (req, res) => {
    if (req.method !== "GET") return refuse(res, 405, "the tap is read with GET\n", ["Allow", "GET"]);
    const token = current();
    const expected = token === undefined ? undefined : digest(token);
    if (!expected) return refuse(res, 403, "the tap is disabled: this proxy's bootstrap sets no tapToken\n");
    if (!presentsToken(req, expected)) {
      return refuse(res, 401, "the tap needs Authorization: Bearer <tapToken>\n", [
        "WWW-Authenticate",
        'Bearer realm="loom-tap"',
      ]);
    }
    const parsed = parseTapFilter(new URL(req.url ?? "/", "http://tap").searchParams);
    if ("error" in parsed) return refuse(res, 400, `${parsed.error}\n`);
    if (hub.subscriberCount >= maxStreams) {
      return refuse(res, 429, `${maxStreams} tap streams are open already\n`, ["Retry-After", "5"]);
    }
    openStream(hub, res, parsed.filter, maxEventsPerSecond);
  };
}

function openStream(hub: TapHub, res: ServerResponse, filter: TapFilter, maxEventsPerSecond: number): void {
  res.writeHead(200, {
    "Content-Type": "text/event-stream; charset=utf-8",
    "Cache-Control": "no-cache",
    // Proxies in front of the admin port (nginx) would otherwise buffer the stream.
    "X-Accel-Buffering": "no",
  });
  res.write(": tap open\n\n");
  const bucket = new TokenBucket(maxEventsPerSecond, maxEventsPerSecond / 1_000);
  let dropped = 0;
  let reported = 0;
  let lastWriteAt = Date.now();
  const keepAliveMs = timer("streamKeepAliveMs");

  const subscriber: TapSubscriber = {
    offer(summary) {
      if (!filter(summary)) return;
      // A reader slower than the stream would make us queue without bound: its events are dropped too.
      if (res.writableNeedDrain || bucket.take() !== 0) {
        dropped += 1;
        return;
      }
      res.write(`event: request\ndata: ${serialize(summary)}\n\n`);
      lastWriteAt = Date.now();
    },
    close: () => res.end(),
  };
  const unsubscribe = hub.subscribe(subscriber);
  const ticker = setInterval(() => {
    const now = Date.now();
    if (dropped > reported) {
      res.write(`event: dropped\ndata: {"dropped":${dropped - reported},"droppedTotal":${dropped}}\n\n`);
      reported = dropped;
      lastWriteAt = now;
    } else if (now - lastWriteAt >= keepAliveMs) {
      res.write(": keep-alive\n\n");
      lastWriteAt = now;
    }
  }, DROP_REPORT_INTERVAL_MS);
  res.once("close", () => {
    clearInterval(ticker);
    unsubscribe();
  });
}

function serialize(summary: TapSummary): string {
  return JSON.stringify({ ...summary, time: new Date(summary.time).toISOString() });
}

/** Compares digests so the comparison takes the same time whatever the presented token's length. */
function presentsToken(req: IncomingMessage, expected: Buffer): boolean {
  const header = req.headers.authorization;
  if (!header?.startsWith("Bearer ")) return false;
  return timingSafeEqual(digest(header.slice("Bearer ".length).trim()), expected);
}

function digest(token: string): Buffer {
  return createHash("sha256").update(token).digest();
}

function refuse(res: ServerResponse, status: number, body: string, headers: string[] = []): void {
  res.writeHead(status, ["Content-Type", "text/plain; charset=utf-8", ...headers]).end(body);
}
