import type { IncomingMessage, ServerResponse } from "node:http";
import { promisify } from "node:util";
import { gunzip } from "node:zlib";
import type { SpanStore } from "../store/spans/index.ts";
import { decodeExportRequest, InvalidOtlpBodyError, type OtlpEncoding } from "./decode.ts";
import { ExportTraceServiceResponse, RpcStatus } from "./otlp-proto.ts";
import { toSpanRecords } from "./to-span-records.ts";

const gunzipAsync = promisify(gunzip);

/** OTLP/HTTP's path for traces. */
export const OTLP_TRACES_PATH = "/v1/traces";
const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024;
const DEFAULT_MAX_QUEUED_SPANS = 40_000;
const RETRY_AFTER_SECONDS = 1;
const FORWARD_TIMEOUT_MS = 10_000;
/**
 * After an early answer (413, 401...) the rest of the body is read and dropped, up to this many times the
 * body limit (at least DISCARD_MIN_BYTES) or DISCARD_MS, so a client still sending reads the answer: closing
 * with its bytes unread would reset the connection, the client would see a failed write, and an OTel exporter
 * would retry the batch.
 */
const DISCARD_LIMIT_FACTOR = 4;
const DISCARD_MIN_BYTES = 16 * 1024 * 1024;
const DISCARD_MS = 10_000;
/** google.rpc.Code values OTLP/HTTP errors carry. */
const RPC_INVALID_ARGUMENT = 3;
const RPC_INTERNAL = 13;
const RPC_UNAVAILABLE = 14;
const RPC_UNAUTHENTICATED = 16;

export interface OtlpReceiverOptions {
  spans: SpanStore;
  /** Largest body accepted, compressed or not (default 4 MiB); bigger ones get 413. */
  maxBodyBytes?: number;
  /**
   * Spans waiting for the span store's writer beyond which a request is answered 503 with Retry-After, which
   * OTLP exporters retry, rather than accepted and dropped (default 40,000, under the store's own limit).
   */
  maxQueuedSpans?: number;
  /** An external OTLP/HTTP traces endpoint (e.g. a collector's http://host:4318/v1/traces) that gets a copy. */
  forwardTo?: string;
  /** Told about copies the forward endpoint refused or never got; the receiver's own answer does not wait. */
  onForwardError?: (error: Error) => void;
  /** Whether a bearer token may send spans; a request with a token it refuses gets 401. */
  authenticate?: (token: string) => Promise<boolean>;
  /** Refuse requests without a token (401); loom-cp turns it on unless LOOM_OTLP_ALLOW_ANONYMOUS=1. */
  requireToken?: boolean;
}

export interface OtlpReceiver {
  /** A node:http handler for POST /v1/traces; it answers every request itself and never throws. */
  handle(req: IncomingMessage, res: ServerResponse): void;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/**
 * The OTLP/HTTP traces receiver: JSON and protobuf bodies (optionally gzip), mapped to span rows and handed to
 * the span store, whose worker writes them in batches off this path.
 */
export function createOtlpReceiver(options: OtlpReceiverOptions): OtlpReceiver {
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const maxQueuedSpans = options.maxQueuedSpans ?? DEFAULT_MAX_QUEUED_SPANS;
  const discardBytes = Math.max(maxBodyBytes * DISCARD_LIMIT_FACTOR, DISCARD_MIN_BYTES);

  async function authorize(authorization: string | undefined): Promise<void> {
    if (authorization === undefined) {
      if (options.requireToken)
        throw new HttpError(
          401,
          "spans need Authorization: Bearer <a dataplane token or an editor/admin API token> " +
            "(a loom-cp started with LOOM_OTLP_ALLOW_ANONYMOUS=1 takes them without)",
        );
      return;
    }
    const token = /^Bearer (\S+)$/.exec(authorization)?.[1];
    if (token === undefined) throw new HttpError(401, "the Authorization header must be Bearer <token>");
    if (options.authenticate && !(await options.authenticate(token)))
      throw new HttpError(401, "the token is invalid or revoked");
  }

  async function receive(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const encoding = encodingOf(req.headers["content-type"]);
    if (req.method !== "POST") throw new HttpError(405, `${OTLP_TRACES_PATH} takes POST`);
    if (encoding === undefined)
      throw new HttpError(415, "Content-Type must be application/json or application/x-protobuf");
    await authorize(req.headers.authorization);
    try {
      const raw = await readBody(req, maxBodyBytes);
      const body = await decompress(raw, req.headers["content-encoding"], maxBodyBytes);
      const spans = toSpanRecords(decodeExportRequest(body, encoding));
      if (options.spans.stats().queued + spans.length > maxQueuedSpans)
        throw new HttpError(503, "the span store is catching up: retry", {
          "retry-after": String(RETRY_AFTER_SECONDS),
        });
      options.spans.write(spans);
      if (options.forwardTo) forward(options.forwardTo, raw, req.headers, options.onForwardError);
      reply(res, 200, encoding, ExportTraceServiceResponse, {});
    } catch (error) {
      if (error instanceof InvalidOtlpBodyError) throw new HttpError(400, error.message);
      throw error;
    }
  }

  return {
    handle(req, res) {
      receive(req, res).catch((error: unknown) => {
        const status = error instanceof HttpError ? error.status : 500;
        const message = error instanceof HttpError ? error.message : "the span could not be stored";
        const encoding = encodingOf(req.headers["content-type"]) ?? "json";
        // The rest of a body we stopped reading is dropped, so it is neither reset nor taken for a next request.
        if (!req.complete && !req.destroyed) discardRest(req, discardBytes, DISCARD_MS);
        if (res.headersSent) res.destroy();
        else {
          if (error instanceof HttpError)
            for (const [name, value] of Object.entries(error.headers)) res.setHeader(name, value);
          const code =
            status === 503
              ? RPC_UNAVAILABLE
              : status === 500
                ? RPC_INTERNAL
                : status === 401
                  ? RPC_UNAUTHENTICATED
                  : RPC_INVALID_ARGUMENT;
          reply(res, status, encoding, RpcStatus, { code, message });
        }
      });
    },
  };
}

function encodingOf(contentType: string | undefined): OtlpEncoding | undefined {
  const type = contentType?.split(";")[0]?.trim().toLowerCase();
  if (type === "application/json") return "json";
  if (type === "application/x-protobuf") return "protobuf";
  return undefined;
}

function reply(
  res: ServerResponse,
  status: number,
  encoding: OtlpEncoding,
  type: typeof RpcStatus,
  message: Record<string, unknown>,
): void {
  const body =
    encoding === "json"
      ? JSON.stringify(message)
      : Buffer.from(type.encode(type.fromObject(message)).finish());
  res
    .writeHead(status, {
      "content-type": encoding === "json" ? "application/json" : "application/x-protobuf",
      "content-length": Buffer.byteLength(body),
    })
    .end(body);
}

/** Reads the body; over the limit it stops, leaving the connection open for the answer (see discardRest). */
function readBody(req: IncomingMessage, maxBodyBytes: number): Promise<Buffer> {
  const declared = Number(req.headers["content-length"]);
  if (declared > maxBodyBytes) return Promise.reject(tooLarge(maxBodyBytes));
  // Not `for await`: leaving that loop early destroys the request, and with it the socket the answer needs.
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = () => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
      req.off("close", onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBodyBytes) {
        stop();
        reject(tooLarge(maxBodyBytes));
      } else chunks.push(chunk);
    };
    const onEnd = () => {
      stop();
      resolve(Buffer.concat(chunks));
    };
    const onError = (error: Error) => {
      stop();
      reject(error);
    };
    const onClose = () => onError(new Error("the client went away before sending the whole body"));
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
    req.on("close", onClose);
  });
}

/** Reads and drops what is left of the body; past `maxBytes` or `maxMs` the connection is cut instead. */
function discardRest(req: IncomingMessage, maxBytes: number, maxMs: number): void {
  let discarded = 0;
  const cut = () => req.socket.destroy();
  const timer = setTimeout(cut, maxMs).unref();
  req.on("data", (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > maxBytes) cut();
  });
  req.once("close", () => clearTimeout(timer));
  req.on("error", () => {});
  req.resume();
}

async function decompress(
  raw: Buffer,
  contentEncoding: string | undefined,
  maxBodyBytes: number,
): Promise<Buffer> {
  const encoding = contentEncoding?.trim().toLowerCase();
  if (!encoding || encoding === "identity") return raw;
  if (encoding !== "gzip")
    throw new HttpError(415, `Content-Encoding ${encoding} is not supported (gzip is)`);
  try {
    return await gunzipAsync(raw, { maxOutputLength: maxBodyBytes });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") throw tooLarge(maxBodyBytes);
    throw new HttpError(400, `the body is not valid gzip: ${(error as Error).message}`);
  }
}

function tooLarge(maxBodyBytes: number): HttpError {
  return new HttpError(413, `the body is larger than ${maxBodyBytes} bytes`);
}

function forward(
  url: string,
  body: Buffer,
  headers: IncomingMessage["headers"],
  onError: ((error: Error) => void) | undefined,
): void {
  const forwarded: Record<string, string> = {};
  for (const name of ["content-type", "content-encoding"]) {
    const value = headers[name];
    if (typeof value === "string") forwarded[name] = value;
  }
  fetch(url, { method: "POST", body, headers: forwarded, signal: AbortSignal.timeout(FORWARD_TIMEOUT_MS) })
    .then(async (response) => {
      await response.arrayBuffer();
      if (!response.ok) throw new Error(`${url} answered ${response.status}`);
    })
    .catch((error: unknown) => onError?.(error instanceof Error ? error : new Error(String(error))));
}
