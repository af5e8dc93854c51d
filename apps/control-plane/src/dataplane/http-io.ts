import type { IncomingMessage, ServerResponse } from "node:http";
import { formatPath } from "@loom/spec";
import type { z } from "zod";

/** A request the API refuses; `message` is safe to send back. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Far above a CSR or a registration; anything bigger is garbage or abuse. */
const MAX_BODY_BYTES = 64 * 1024;

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

export function bearerToken(req: IncomingMessage): string {
  const match = /^Bearer (\S+)$/.exec(req.headers.authorization ?? "");
  if (!match?.[1]) throw new HttpError(401, "missing dataplane token (Authorization: Bearer <token>)");
  return match[1];
}

/** Reads and validates a JSON body; errors name the field path and the reason. */
export async function readBody<S extends z.ZodType>(req: IncomingMessage, schema: S): Promise<z.output<S>> {
  const body = await readText(req);
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new HttpError(400, "request body is not JSON");
  }
  return parseOrThrow(schema, json);
}

function readText(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) return void chunks.push(chunk);
      // Stop collecting but leave the rest of the body to drainBody, so the client gets its 413.
      req.off("data", onData).off("end", onEnd).pause();
      reject(new HttpError(413, `request body is larger than ${MAX_BODY_BYTES} bytes`));
    };
    const onEnd = () => resolve(Buffer.concat(chunks).toString("utf8"));
    req.on("data", onData).on("end", onEnd).on("error", reject);
  });
}

/** What is read of a refused request's body so the client, still sending, sees the answer instead of a reset. */
const MAX_DRAIN_BYTES = 1 << 20;

/** Reads and discards the rest of a body; false when it goes on past the bound (then drop the connection). */
export function drainBody(req: IncomingMessage): Promise<boolean> {
  if (req.complete) return Promise.resolve(true);
  return new Promise((resolve) => {
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_DRAIN_BYTES) {
        req.off("data", onData);
        resolve(false);
      }
    };
    req
      .on("data", onData)
      .once("end", () => resolve(true))
      .once("error", () => resolve(false));
    req.resume();
  });
}

export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((issue) =>
    issue.path.length > 0 ? `${formatPath(issue.path)}: ${issue.message}` : issue.message,
  );
  throw new HttpError(400, issues.join("; "));
}
