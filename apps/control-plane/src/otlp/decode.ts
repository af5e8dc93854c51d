import { z } from "zod";
import { type ExportTraceRequest, exportTraceRequestSchema } from "./otlp-json.ts";
import { ExportTraceServiceRequest } from "./otlp-proto.ts";

export type OtlpEncoding = "json" | "protobuf";

/** A body that is not a valid ExportTraceServiceRequest: the receiver answers 400 with this message. */
export class InvalidOtlpBodyError extends Error {
  override readonly name = "InvalidOtlpBodyError";
}

/**
 * Deeper than any exporter nests (a span's attribute value sits at about 10) and far below where the
 * recursive schema and mapping below run out of stack: JSON nested 1,000 deep answered 500 before this.
 */
const MAX_NESTING = 128;

export function decodeExportRequest(body: Buffer, encoding: OtlpEncoding): ExportTraceRequest {
  const candidate = encoding === "json" ? parseJson(body) : decodeProtobuf(body);
  if (nestedDeeperThan(candidate, MAX_NESTING))
    throw new InvalidOtlpBodyError(
      `not an OTLP ExportTraceServiceRequest: nested deeper than ${MAX_NESTING} levels`,
    );
  const parsed = exportTraceRequestSchema.safeParse(candidate);
  if (!parsed.success) {
    const [issue] = parsed.error.issues;
    throw new InvalidOtlpBodyError(
      `not an OTLP ExportTraceServiceRequest: ${issue ? `${pathOf(issue.path)}: ${issue.message}` : z.prettifyError(parsed.error)}`,
    );
  }
  return parsed.data;
}

/** Iterative, so a hostile depth cannot exhaust the stack here either. */
function nestedDeeperThan(value: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const [node, depth] = next;
    if (node === null || typeof node !== "object") continue;
    if (depth >= limit) return true;
    for (const child of Object.values(node)) stack.push([child, depth + 1]);
  }
  return false;
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString("utf8"));
  } catch (error) {
    throw new InvalidOtlpBodyError(`the body is not JSON: ${(error as Error).message}`);
  }
}

/**
 * protobufjs decodes into its message classes; toObject turns them into plain objects with 64-bit integers as
 * decimal strings, and the id bytes become the hex strings OTLP/JSON carries.
 */
function decodeProtobuf(body: Buffer): unknown {
  try {
    const message = ExportTraceServiceRequest.decode(body);
    return asOtlpJson(ExportTraceServiceRequest.toObject(message, { longs: String, enums: Number }));
  } catch (error) {
    throw new InvalidOtlpBodyError(`the body is not an OTLP protobuf message: ${(error as Error).message}`);
  }
}

const ID_FIELDS = new Set(["traceId", "spanId", "parentSpanId"]);

function asOtlpJson(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString("base64");
  if (Array.isArray(value)) return value.map(asOtlpJson);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, field]) => [
      key,
      ID_FIELDS.has(key) && field instanceof Uint8Array
        ? Buffer.from(field).toString("hex")
        : asOtlpJson(field),
    ]),
  );
}

function pathOf(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (text, segment) =>
      typeof segment === "number"
        ? `${text}[${segment}]`
        : text
          ? `${text}.${String(segment)}`
          : String(segment),
    "",
  );
}
