"use client";

import { type FormEvent, useState } from "react";
import { ChoiceOptions } from "@/lib/choice-options";
import type { TapFilters } from "./tap-filters";

const METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

/** Filters apply on submit: each change reopens the streams, which should not happen per keystroke. */
export function TapFilterForm({
  filters,
  services,
  onApply,
}: {
  filters: TapFilters;
  services: readonly string[];
  onApply: (filters: TapFilters) => void;
}) {
  const [draft, setDraft] = useState(filters);
  const set = (change: Partial<TapFilters>) => setDraft((current) => ({ ...current, ...change }));

  function submit(event: FormEvent) {
    event.preventDefault();
    onApply(draft);
  }

  return (
    <form className="toolbar" onSubmit={submit} aria-label="Tap filters">
      <label>
        Method
        <select value={draft.method} onChange={(event) => set({ method: event.target.value })}>
          <ChoiceOptions none="any" choices={METHODS} />
        </select>
      </label>
      <label>
        Path prefix
        <input value={draft.path} onChange={(event) => set({ path: event.target.value })} placeholder="/" />
      </label>
      <label>
        Status
        <input
          value={draft.status}
          onChange={(event) => set({ status: event.target.value })}
          placeholder="503 or 5xx"
          size={8}
        />
      </label>
      <label>
        Outcome
        <select
          value={draft.classification}
          onChange={(event) => set({ classification: event.target.value })}
        >
          <option value="">any</option>
          <option value="failure">failures (gRPC errors included)</option>
          <option value="success">successes</option>
        </select>
      </label>
      <label>
        gRPC status
        <input
          value={draft.grpcStatus}
          onChange={(event) => set({ grpcStatus: event.target.value })}
          placeholder="14"
          size={4}
          inputMode="numeric"
        />
      </label>
      <label>
        Source
        <input
          value={draft.source}
          onChange={(event) => set({ source: event.target.value })}
          list="tap-services"
          placeholder="any"
        />
      </label>
      <label>
        Destination
        <input
          value={draft.destination}
          onChange={(event) => set({ destination: event.target.value })}
          list="tap-services"
          placeholder="any"
        />
      </label>
      <label>
        Direction
        <select value={draft.direction} onChange={(event) => set({ direction: event.target.value })}>
          <option value="">both</option>
          <option value="inbound">inbound</option>
          <option value="outbound">outbound</option>
        </select>
      </label>
      <datalist id="tap-services">
        {services.map((service) => (
          <option key={service} value={service} />
        ))}
      </datalist>
      <button type="submit">Apply filters</button>
    </form>
  );
}
