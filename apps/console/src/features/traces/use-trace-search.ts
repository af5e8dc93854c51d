import { useQuery } from "@tanstack/react-query";
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { type RouterInputs, type RouterOutputs, useTRPC } from "@/lib/trpc";

export type TraceSummary = RouterOutputs["traces"]["search"][number];
export type Span = RouterOutputs["traces"]["get"][number];
type SearchInput = NonNullable<RouterInputs["traces"]["search"]>;

export const TIME_RANGES = { "15m": 15 * 60_000, "1h": 3_600_000, "6h": 6 * 3_600_000, "24h": 86_400_000 };
export type TimeRange = keyof typeof TIME_RANGES;

export interface TraceFilters {
  service: string;
  /** With `service`: only calls from this caller (a graph edge's traces). */
  caller: string;
  operation: string;
  status: "" | "ok" | "error";
  minDurationMs: string;
  range: TimeRange;
}

/** The search lives in the URL, so a graph edge can link straight to its slow traces. */
export function useTraceFilters(): [
  TraceFilters,
  (filters: TraceFilters) => void,
  string | null,
  (id: string | null) => void,
] {
  const params = useSearchParams();
  const router = useRouter();
  const pathname = usePathname();
  const status = params.get("status");
  const range = params.get("range");
  const filters: TraceFilters = {
    service: params.get("service") ?? "",
    caller: params.get("caller") ?? "",
    operation: params.get("operation") ?? "",
    status: status === "ok" || status === "error" ? status : "",
    minDurationMs: params.get("minDurationMs") ?? "",
    range: range !== null && range in TIME_RANGES ? (range as TimeRange) : "1h",
  };
  const traceId = params.get("trace");

  function navigate(next: TraceFilters, trace: string | null) {
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(next)) if (value !== "") query.set(key, value);
    if (trace) query.set("trace", trace);
    router.replace(`${pathname}?${query}`, { scroll: false });
  }
  return [filters, (next) => navigate(next, null), traceId, (trace) => navigate(filters, trace)];
}

/** Newest traces matching the filters, re-asked every few seconds so new traces appear on their own. */
export function useTraceSearch(filters: TraceFilters) {
  const trpc = useTRPC();
  const minDuration = Number(filters.minDurationMs);
  const input: SearchInput = {
    service: filters.service || undefined,
    // The API refuses a caller without a callee; the form offers it only with a service.
    caller: (filters.service && filters.caller) || undefined,
    operation: filters.operation || undefined,
    status: filters.status || undefined,
    minDurationMs: filters.minDurationMs !== "" && Number.isFinite(minDuration) ? minDuration : undefined,
    from: new Date(Math.floor(Date.now() / 60_000) * 60_000 - TIME_RANGES[filters.range]).toISOString(),
    limit: 50,
  };
  return useQuery({ ...trpc.traces.search.queryOptions(input), refetchInterval: 5_000 });
}

/** Nanoseconds since the epoch (a decimal string) as milliseconds; precise to the microsecond we store. */
export function startMs(startTimeUnixNano: string): number {
  return Number(BigInt(startTimeUnixNano) / 1000n) / 1000;
}
