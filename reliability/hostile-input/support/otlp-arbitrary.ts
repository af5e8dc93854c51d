import { gzipSync } from "node:zlib";
import fc from "fast-check";
import { ExportTraceServiceRequest } from "../../../apps/control-plane/src/otlp/otlp-proto.ts";

/**
 * OTLP/HTTP trace exports for issue #7: valid ones (JSON and protobuf, the shapes the OpenTelemetry SDKs send)
 * and the ways a broken or hostile exporter bends them — truncated, bytes flipped, fields retyped, nested
 * deep, huge, compressed wrongly, with a wrong Content-Type or method.
 */

export const OTLP_SERVICE = "hostile-otlp";

export interface OtlpRequest {
  kind: string;
  method: string;
  contentType?: string;
  contentEncoding?: string;
  body: Buffer;
  /** Trace ids a valid export carries: it must be answered 2xx and these stored. */
  traceIds?: string[];
}

const hex = (bytes: number) =>
  fc
    .uint8Array({ minLength: bytes, maxLength: bytes })
    .filter((id) => id.some((byte) => byte !== 0))
    .map((id) => Buffer.from(id).toString("hex"));

type AnyValue = Record<string, unknown>;
const anyValue: fc.Arbitrary<AnyValue> = fc.letrec<{ value: AnyValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.string({ maxLength: 20 }).map((stringValue) => ({ stringValue })),
    fc.boolean().map((boolValue) => ({ boolValue })),
    fc.integer().map((intValue) => ({ intValue: String(intValue) })),
    fc.double({ noNaN: true, noDefaultInfinity: true }).map((doubleValue) => ({ doubleValue })),
    fc.uint8Array({ maxLength: 8 }).map((bytes) => ({ bytesValue: Buffer.from(bytes).toString("base64") })),
    fc.array(tie("value"), { maxLength: 3 }).map((values) => ({ arrayValue: { values } })),
    fc
      .array(fc.record({ key: fc.string({ maxLength: 8 }), value: tie("value") }), { maxLength: 3 })
      .map((values) => ({ kvlistValue: { values } })),
  ),
})).value;

const attributes = fc.array(fc.record({ key: fc.string({ minLength: 1, maxLength: 12 }), value: anyValue }), {
  maxLength: 4,
});

/**
 * Spans from the last half hour: the span store prunes by start time (24 h by default), so older ones could
 * be gone before they are looked up.
 */
const NOW_NS = BigInt(Date.now()) * 1_000_000n;

const span = fc
  .record({
    spanId: hex(8),
    parentSpanId: fc.oneof(hex(8), fc.constant("")),
    name: fc.string({ maxLength: 30 }),
    kind: fc.integer({ min: 0, max: 5 }),
    start: fc.bigInt({ min: NOW_NS - 1_800_000_000_000n, max: NOW_NS }),
    durationNs: fc.bigInt({ min: 0n, max: 10_000_000_000n }),
    attributes,
    status: fc.record({ code: fc.integer({ min: 0, max: 2 }), message: fc.string({ maxLength: 10 }) }),
  })
  .map(({ start, durationNs, ...fields }) => ({
    ...fields,
    startTimeUnixNano: String(start),
    endTimeUnixNano: String(start + durationNs),
  }));

/** A valid ExportTraceServiceRequest as OTLP/JSON: spans of one or two traces. */
const exportRequest = fc
  .tuple(
    fc.array(hex(16), { minLength: 1, maxLength: 2 }),
    fc.array(span, { minLength: 1, maxLength: 3 }),
    attributes,
  )
  .map(([traceIds, spans, resourceAttributes]) => ({
    // Only the ids some span carries: with one span, the second id is in no span.
    traceIds: [...new Set(spans.map((_, index) => traceIds[index % traceIds.length] as string))],
    json: {
      resourceSpans: [
        {
          resource: {
            attributes: [
              { key: "service.name", value: { stringValue: OTLP_SERVICE } },
              ...resourceAttributes,
            ],
          },
          scopeSpans: [
            {
              spans: spans.map((fields, index) => ({
                traceId: traceIds[index % traceIds.length],
                ...fields,
              })),
            },
          ],
        },
      ],
    },
  }));

const ID_FIELDS = new Set(["traceId", "spanId", "parentSpanId"]);

/** OTLP/JSON carries ids as hex; protobuf as bytes. */
function toProtobuf(json: unknown): Buffer {
  const withBytes = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(withBytes);
    if (value === null || typeof value !== "object") return value;
    return Object.fromEntries(
      Object.entries(value).map(([key, field]) => [
        key,
        ID_FIELDS.has(key) && typeof field === "string" ? Buffer.from(field, "hex") : withBytes(field),
      ]),
    );
  };
  const message = ExportTraceServiceRequest.fromObject(withBytes(json) as Record<string, unknown>);
  return Buffer.from(ExportTraceServiceRequest.encode(message).finish());
}

const JSON_TYPE = "application/json";
const PROTOBUF_TYPE = "application/x-protobuf";

const validRequest = fc
  .tuple(exportRequest, fc.boolean(), fc.boolean())
  .map(([request, asProtobuf, gzip]): OtlpRequest => {
    const raw = asProtobuf ? toProtobuf(request.json) : Buffer.from(JSON.stringify(request.json));
    return {
      kind: `valid ${asProtobuf ? "protobuf" : "JSON"}${gzip ? " gzip" : ""}`,
      method: "POST",
      contentType: asProtobuf ? PROTOBUF_TYPE : JSON_TYPE,
      ...(gzip && { contentEncoding: "gzip" }),
      body: gzip ? gzipSync(raw) : raw,
      traceIds: request.traceIds,
    };
  });

/** Every path to a value inside `value`. */
function paths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (value === null || typeof value !== "object") return [prefix];
  const entries = Array.isArray(value)
    ? value.map((item, index) => [index, item] as const)
    : Object.entries(value);
  return [prefix, ...entries.flatMap(([key, item]) => paths(item, [...prefix, key]))];
}

const wrongValue = fc.oneof(
  fc.constantFrom(
    null,
    -1,
    1e300,
    "",
    "zz",
    "-5",
    true,
    [],
    {},
    "NaN",
    2 ** 64,
    "99999999999999999999999999",
  ),
  fc.jsonValue({ maxDepth: 2 }),
);

/** A valid JSON export with one to three values replaced by ones of the wrong type or range. */
const retyped = fc
  .tuple(exportRequest, fc.array(fc.tuple(fc.nat(), wrongValue), { minLength: 1, maxLength: 3 }))
  .map(([request, changes]): OtlpRequest => {
    let root: unknown = structuredClone(request.json);
    for (const [at, value] of changes) {
      const all = paths(root);
      const target = all[at % all.length] as (string | number)[];
      if (target.length === 0) root = value;
      else {
        const parent = target.slice(0, -1).reduce<unknown>((node, key) => (node as never)[key], root);
        (parent as Record<string | number, unknown>)[target[target.length - 1] as string] = value;
      }
    }
    return {
      kind: "retyped JSON",
      method: "POST",
      contentType: JSON_TYPE,
      body: Buffer.from(JSON.stringify(root)),
    };
  });

const truncated = fc.tuple(validRequest, fc.double({ min: 0, max: 1, noNaN: true })).map(
  ([request, share]): OtlpRequest => ({
    ...request,
    kind: `truncated ${request.kind}`,
    body: request.body.subarray(0, Math.floor(request.body.length * share)),
    traceIds: undefined,
  }),
);

const flipped = fc
  .tuple(
    validRequest,
    fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
  )
  .map(([request, flips]): OtlpRequest => {
    const body = Buffer.from(request.body);
    for (const [at, byte] of flips) if (body.length > 0) body[at % body.length] = byte;
    return { ...request, kind: `bytes changed in ${request.kind}`, body, traceIds: undefined };
  });

const garbage = fc.oneof(
  fc.jsonValue().map(
    (value): OtlpRequest => ({
      kind: "any JSON",
      method: "POST",
      contentType: JSON_TYPE,
      body: Buffer.from(JSON.stringify(value) ?? "null"),
    }),
  ),
  fc.tuple(fc.uint8Array({ maxLength: 2048 }), fc.constantFrom(JSON_TYPE, PROTOBUF_TYPE)).map(
    ([bytes, contentType]): OtlpRequest => ({
      kind: "random bytes",
      method: "POST",
      contentType,
      body: Buffer.from(bytes),
    }),
  ),
);

function varint(value: number): Buffer {
  const bytes: number[] = [];
  let rest = value;
  while (rest > 127) {
    bytes.push((rest & 127) | 128);
    rest >>>= 7;
  }
  bytes.push(rest);
  return Buffer.from(bytes);
}

const field = (tag: number, payload: Buffer) =>
  Buffer.concat([Buffer.from([tag]), varint(payload.length), payload]);

/** An attribute value nested `depth` arrays deep, as JSON text (JSON.stringify itself would overflow). */
export function deepJson(depth: number): Buffer {
  const value = `${'{"arrayValue":{"values":['.repeat(depth)}{"stringValue":"leaf"}${"]}}".repeat(depth)}`;
  return Buffer.from(
    `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"0123456789abcdef0123456789abcdef","spanId":"0123456789abcdef","startTimeUnixNano":"1","endTimeUnixNano":"2","attributes":[{"key":"deep","value":${value}}]}]}]}]}`,
  );
}

/** The same in protobuf, encoded by hand (field numbers of opentelemetry-proto's trace messages). */
export function deepProtobuf(depth: number): Buffer {
  let value = field(0x0a, Buffer.from("leaf"));
  for (let level = 0; level < depth; level++) value = field(0x2a, field(0x0a, value));
  const keyValue = Buffer.concat([field(0x0a, Buffer.from("deep")), field(0x12, value)]);
  const spanBytes = Buffer.concat([
    field(0x0a, Buffer.alloc(16, 1)),
    field(0x12, Buffer.alloc(8, 2)),
    field(0x4a, keyValue),
  ]);
  return field(0x0a, field(0x12, field(0x12, spanBytes)));
}

const deep = fc.tuple(fc.integer({ min: 30, max: 5000 }), fc.boolean()).map(
  ([depth, asProtobuf]): OtlpRequest => ({
    kind: `nested ${asProtobuf ? "protobuf" : "JSON"}`,
    method: "POST",
    contentType: asProtobuf ? PROTOBUF_TYPE : JSON_TYPE,
    body: asProtobuf ? deepProtobuf(depth) : deepJson(depth),
  }),
);

const MAX_BODY_BYTES = 4 * 1024 * 1024;

/** Over the receiver's 4 MiB limit, plain or as a gzip bomb: 413, read no further than the limit. */
const huge = fc.constantFrom("plain", "gzip bomb").map(
  (how): OtlpRequest => ({
    kind: `huge ${how}`,
    method: "POST",
    contentType: JSON_TYPE,
    ...(how === "gzip bomb" && { contentEncoding: "gzip" }),
    body:
      how === "plain"
        ? Buffer.alloc(MAX_BODY_BYTES + 1024, 0x20)
        : gzipSync(Buffer.alloc(64 * 1024 * 1024, 0x20)),
  }),
);

/** Many valid spans at once, under the size limit. */
const large = fc.tuple(hex(16), fc.integer({ min: 200, max: 2000 })).map(
  ([traceId, count]): OtlpRequest => ({
    kind: "valid JSON, many spans",
    method: "POST",
    contentType: JSON_TYPE,
    body: Buffer.from(
      JSON.stringify({
        resourceSpans: [
          {
            resource: { attributes: [{ key: "service.name", value: { stringValue: OTLP_SERVICE } }] },
            scopeSpans: [
              {
                spans: Array.from({ length: count }, (_, index) => ({
                  traceId,
                  spanId: (index + 1).toString(16).padStart(16, "0"),
                  name: "bulk",
                  startTimeUnixNano: String(NOW_NS),
                  endTimeUnixNano: String(NOW_NS + 1_000_000n),
                })),
              },
            ],
          },
        ],
      }),
    ),
    traceIds: [traceId],
  }),
);

const framing = fc
  .tuple(
    validRequest,
    fc.constantFrom(
      { contentType: "text/plain" },
      { contentType: undefined },
      { contentType: "application/json; charset=utf-16" },
      { contentType: "APPLICATION/X-PROTOBUF" },
      { contentType: "application/x-protobuf;" },
      { swap: true },
      { contentEncoding: "deflate" },
      { contentEncoding: "gzip" },
      { contentEncoding: "gzip, gzip" },
      { method: "GET" },
      { method: "PUT" },
      { method: "DELETE" },
    ),
  )
  .map(([request, change]): OtlpRequest => {
    const changed: OtlpRequest = {
      ...request,
      traceIds: undefined,
      kind: `${request.kind} with ${JSON.stringify(change)}`,
    };
    if ("swap" in change) changed.contentType = request.contentType === JSON_TYPE ? PROTOBUF_TYPE : JSON_TYPE;
    if ("contentType" in change) changed.contentType = change.contentType;
    if ("contentEncoding" in change) changed.contentEncoding = change.contentEncoding;
    if ("method" in change) {
      changed.method = change.method as string;
      if (change.method === "GET") changed.body = Buffer.alloc(0);
    }
    return changed;
  });

export const otlpRequest: fc.Arbitrary<OtlpRequest> = fc.oneof(
  { arbitrary: validRequest, weight: 30 },
  { arbitrary: retyped, weight: 20 },
  { arbitrary: truncated, weight: 15 },
  { arbitrary: flipped, weight: 15 },
  { arbitrary: garbage, weight: 10 },
  { arbitrary: framing, weight: 8 },
  { arbitrary: deep, weight: 2 },
  { arbitrary: large, weight: 1 },
);

/** Rare and costly to build; drawn separately, a bounded number of times. */
export const hugeRequest = huge;
