export { openSpanStore, type SpanStore, type SpanStoreOptions, type SpanStoreStats } from "./span-store.ts";
export {
  type SpanRecord,
  type SpanRetention,
  type SpanSearch,
  spanStatus,
  type TraceSummary,
} from "./span-types.ts";
