"use client";

import { useQuery } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { ChoiceOptions } from "@/lib/choice-options";
import { useTRPC } from "@/lib/trpc";
import { TIME_RANGES, type TimeRange, type TraceFilters } from "./use-trace-search";

export function TraceSearchForm({
  filters,
  onSearch,
}: {
  filters: TraceFilters;
  onSearch: (next: TraceFilters) => void;
}) {
  const trpc = useTRPC();
  const services = useQuery(trpc.traces.services.queryOptions());
  const [draft, setDraft] = useState(filters);
  const set = (change: Partial<TraceFilters>) => setDraft((current) => ({ ...current, ...change }));
  const knownServices = [
    ...new Set([...(services.data ?? []), ...[draft.service, draft.caller].filter((name) => name !== "")]),
  ];

  function submit(event: FormEvent) {
    event.preventDefault();
    onSearch(draft);
  }

  return (
    <form className="toolbar trace-search" onSubmit={submit} aria-label="Search traces">
      <label>
        Service
        <select value={draft.service} onChange={(event) => set({ service: event.target.value })}>
          <ChoiceOptions none="any" choices={knownServices} />
        </select>
      </label>
      <label>
        Called by
        <select
          value={draft.service ? draft.caller : ""}
          disabled={!draft.service}
          title={draft.service ? undefined : "Pick a service first: a caller and a service name one edge"}
          onChange={(event) => set({ caller: event.target.value })}
        >
          <ChoiceOptions none="anyone" choices={knownServices} />
        </select>
      </label>
      <label>
        Operation
        <input
          value={draft.operation}
          onChange={(event) => set({ operation: event.target.value })}
          placeholder="any"
        />
      </label>
      <label>
        Status
        <select
          value={draft.status}
          onChange={(event) => set({ status: event.target.value as TraceFilters["status"] })}
        >
          <option value="">any</option>
          <option value="ok">ok</option>
          <option value="error">error</option>
        </select>
      </label>
      <label>
        Min duration (ms)
        <input
          type="number"
          min={0}
          value={draft.minDurationMs}
          onChange={(event) => set({ minDurationMs: event.target.value })}
          size={6}
        />
      </label>
      <label>
        Last
        <select value={draft.range} onChange={(event) => set({ range: event.target.value as TimeRange })}>
          {Object.keys(TIME_RANGES).map((range) => (
            <option key={range}>{range}</option>
          ))}
        </select>
      </label>
      <button type="submit" className="primary">
        Search
      </button>
    </form>
  );
}
