import { z } from "zod";

/**
 * OTLP/JSON as the OTLP specification defines it (lowerCamelCase fields, hex trace and span ids, 64-bit
 * integers as decimal strings or numbers, enums as numbers). Unknown fields are ignored, as the spec requires.
 * Protobuf bodies are decoded into this same shape, so one mapping serves both encodings.
 */
const int64Schema = z.union([z.string().regex(/^-?\d+$/, "must be a decimal integer"), z.number().int()]);
const uint64Schema = z.union([
  z.string().regex(/^\d+$/, "must be a decimal integer"),
  z.number().int().min(0),
]);

export type AnyValue = {
  stringValue?: string | undefined;
  boolValue?: boolean | undefined;
  intValue?: string | number | undefined;
  doubleValue?: number | undefined;
  arrayValue?: { values?: AnyValue[] | undefined } | undefined;
  kvlistValue?: { values?: KeyValue[] | undefined } | undefined;
  bytesValue?: string | undefined;
};
export type KeyValue = { key: string; value?: AnyValue | undefined };

const anyValueSchema: z.ZodType<AnyValue> = z.lazy(() =>
  z.object({
    stringValue: z.string().optional(),
    boolValue: z.boolean().optional(),
    intValue: int64Schema.optional(),
    doubleValue: z.union([z.number(), z.enum(["NaN", "Infinity", "-Infinity"]).transform(Number)]).optional(),
    arrayValue: z.object({ values: z.array(anyValueSchema).optional() }).optional(),
    kvlistValue: z.object({ values: z.array(keyValueSchema).optional() }).optional(),
    bytesValue: z.string().optional(),
  }),
);
// proto3 leaves an empty string out, so a protobuf KeyValue with key "" arrives without one; JSON sends "".
const keyValueSchema: z.ZodType<KeyValue> = z.lazy(() =>
  z.object({ key: z.string().default(""), value: anyValueSchema.optional() }),
);
const attributesSchema = z.array(keyValueSchema).optional();

const hexId = (bytes: number) =>
  z.string().regex(new RegExp(`^[0-9a-fA-F]{${bytes * 2}}$`), `must be ${bytes * 2} hex digits`);

export const otlpSpanSchema = z.object({
  traceId: hexId(16),
  spanId: hexId(8),
  parentSpanId: z.union([hexId(8), z.literal("")]).optional(),
  name: z.string().default(""),
  kind: z.number().int().min(0).max(5).default(0),
  startTimeUnixNano: uint64Schema,
  endTimeUnixNano: uint64Schema,
  attributes: attributesSchema,
  events: z
    .array(
      z.object({
        timeUnixNano: uint64Schema.optional(),
        name: z.string().default(""),
        attributes: attributesSchema,
      }),
    )
    .optional(),
  status: z
    .object({ code: z.number().int().min(0).max(2).default(0), message: z.string().optional() })
    .optional(),
});
export type OtlpSpan = z.infer<typeof otlpSpanSchema>;

export const exportTraceRequestSchema = z.object({
  resourceSpans: z
    .array(
      z.object({
        resource: z.object({ attributes: attributesSchema }).optional(),
        scopeSpans: z.array(z.object({ spans: z.array(otlpSpanSchema).optional() })).optional(),
      }),
    )
    .optional(),
});
export type ExportTraceRequest = z.infer<typeof exportTraceRequestSchema>;
