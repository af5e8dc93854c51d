"use client";

import { ApiErrorMessage } from "@/features/errors/api-error-message";
import { TraceList } from "./trace-list";
import { TraceScatter } from "./trace-scatter";
import { TraceSearchForm } from "./trace-search-form";
import { TraceWaterfall } from "./trace-waterfall";
import { useTraceFilters, useTraceSearch } from "./use-trace-search";

export function TracesPage() {
  const [filters, search, traceId, openTrace] = useTraceFilters();
  const traces = useTraceSearch(filters);
  return (
    <>
      <h1>Traces</h1>
      <TraceSearchForm key={JSON.stringify(filters)} filters={filters} onSearch={search} />
      {traces.error && <ApiErrorMessage error={traces.error} action="search the traces" />}
      {traces.data?.length === 0 && (
        <p className="empty">No trace matches. Widen the time range, or check the proxies export spans.</p>
      )}
      {traces.data && traces.data.length > 0 && (
        <div className="stack">
          <TraceScatter traces={traces.data} onOpen={openTrace} />
          {traceId && <TraceWaterfall traceId={traceId} />}
          <TraceList traces={traces.data} selected={traceId} onOpen={openTrace} />
        </div>
      )}
    </>
  );
}
