import type { SpanRecord } from "../store/spans/index.ts";
import type { AnyValue, ExportTraceRequest, KeyValue } from "./otlp-json.ts";

/** What a span without a service.name resource attribute is filed under (the SDKs' own default). */
const UNKNOWN_SERVICE = "unknown_service";

/** One row per span, in the span store's shape; ids lowercase hex, durations from the nanosecond times. */
export function toSpanRecords(request: ExportTraceRequest): SpanRecord[] {
  const records: SpanRecord[] = [];
  for (const resourceSpans of request.resourceSpans ?? []) {
    const resource = attributesOf(resourceSpans.resource?.attributes);
    const service = typeof resource["service.name"] === "string" ? resource["service.name"] : UNKNOWN_SERVICE;
    for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
      for (const span of scopeSpans.spans ?? []) {
        const start = BigInt(span.startTimeUnixNano);
        const end = BigInt(span.endTimeUnixNano);
        const record: SpanRecord = {
          traceId: span.traceId.toLowerCase(),
          spanId: span.spanId.toLowerCase(),
          parentSpanId: span.parentSpanId ? span.parentSpanId.toLowerCase() : null,
          service,
          name: span.name,
          kind: span.kind,
          startTimeUnixNano: start.toString(),
          // Clock skew can put an end before its start; a negative duration would only mislead.
          durationMs: end > start ? Number(end - start) / 1e6 : 0,
          statusCode: span.status?.code ?? 0,
          attributes: attributesOf(span.attributes),
          events: (span.events ?? []).map((event) => ({
            name: event.name,
            timeUnixNano: event.timeUnixNano === undefined ? undefined : String(event.timeUnixNano),
            attributes: attributesOf(event.attributes),
          })),
        };
        if (span.status?.message) record.statusMessage = span.status.message;
        records.push(record);
      }
    }
  }
  return records;
}

function attributesOf(keyValues: readonly KeyValue[] | undefined): Record<string, unknown> {
  const attributes: Record<string, unknown> = {};
  for (const { key, value } of keyValues ?? []) attributes[key] = attributeValue(value);
  return attributes;
}

function attributeValue(value: AnyValue | undefined): unknown {
  if (value === undefined) return null;
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.intValue !== undefined) {
    const int = Number(value.intValue);
    return Number.isSafeInteger(int) ? int : String(value.intValue);
  }
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.arrayValue !== undefined) return (value.arrayValue.values ?? []).map(attributeValue);
  if (value.kvlistValue !== undefined) return attributesOf(value.kvlistValue.values);
  if (value.bytesValue !== undefined) return value.bytesValue;
  return null;
}
