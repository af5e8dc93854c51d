import protobuf from "protobufjs";

/**
 * The part of the OTLP trace protocol (opentelemetry-proto, collector/trace/v1) the receiver decodes, with the
 * official field numbers; fields left out (links, dropped counts, trace state) are skipped by the decoder as
 * unknown fields. @opentelemetry/otlp-transformer only serializes (its writer is hand-rolled and exposes no
 * schema), so protobufjs decodes from this definition.
 */
const OTLP_TRACE_PROTO = `
syntax = "proto3";
package loom.otlp;

message AnyValue {
  oneof value {
    string string_value = 1;
    bool bool_value = 2;
    int64 int_value = 3;
    double double_value = 4;
    ArrayValue array_value = 5;
    KeyValueList kvlist_value = 6;
    bytes bytes_value = 7;
  }
}
message ArrayValue { repeated AnyValue values = 1; }
message KeyValueList { repeated KeyValue values = 1; }
message KeyValue { string key = 1; AnyValue value = 2; }
message Resource { repeated KeyValue attributes = 1; }

message ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }
message ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2; }
message ScopeSpans { repeated Span spans = 2; }
message Span {
  bytes trace_id = 1;
  bytes span_id = 2;
  bytes parent_span_id = 4;
  string name = 5;
  int32 kind = 6;
  fixed64 start_time_unix_nano = 7;
  fixed64 end_time_unix_nano = 8;
  repeated KeyValue attributes = 9;
  repeated Event events = 11;
  Status status = 15;
}
message Event { fixed64 time_unix_nano = 1; string name = 2; repeated KeyValue attributes = 3; }
message Status { string message = 2; int32 code = 3; }

message ExportTraceServiceResponse { ExportTracePartialSuccess partial_success = 1; }
message ExportTracePartialSuccess { int64 rejected_spans = 1; string error_message = 2; }

// google.rpc.Status: what OTLP/HTTP servers answer errors with.
message RpcStatus { int32 code = 1; string message = 2; }
`;

const root = protobuf.parse(OTLP_TRACE_PROTO, { keepCase: false }).root;

export const ExportTraceServiceRequest = root.lookupType("loom.otlp.ExportTraceServiceRequest");
export const ExportTraceServiceResponse = root.lookupType("loom.otlp.ExportTraceServiceResponse");
export const RpcStatus = root.lookupType("loom.otlp.RpcStatus");
