export { backoffDelayMs } from "./backoff.ts";
export { type ApplyResult, XdsClient, type XdsClientOptions } from "./client.ts";
export { ControlPlaneError } from "./control-plane-http.ts";
