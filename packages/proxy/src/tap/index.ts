export { createTapHandler, type TapHandlerOptions } from "./handler.ts";
export { TapHub, type TapSummary } from "./hub.ts";
