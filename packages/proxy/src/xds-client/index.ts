export { backoffDelayMs } from "./backoff.ts";
export { type ApplyResult, XdsClient, type XdsClientOptions } from "./client.ts";
export { ControlPlaneError } from "./control-plane-http.ts";
export {
  type AnswerableSnapshotEvent,
  readSnapshotEvent,
  type SnapshotEvent,
  type StreamEndpoints,
} from "./snapshot-event.ts";
