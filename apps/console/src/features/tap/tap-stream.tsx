"use client";

import { useSubscription } from "@trpc/tanstack-react-query";
import { ApiErrorMessage } from "@/features/errors/api-error-message";
import { useTRPC } from "@/lib/trpc";
import { activeFilters, type TapFilters } from "./tap-filters";
import type { TapRequestData } from "./tap-rows";

export interface TappedProxy {
  id: number;
  name: string;
}

/** One proxy's tap, relayed by the control plane; open while `paused` is false. Shows only its state. */
export function TapStream({
  proxy,
  filters,
  session,
  paused,
  onRequest,
  onDropped,
}: {
  proxy: TappedProxy;
  filters: TapFilters;
  /** Passed back with every event, so the page can ignore a stream it has moved on from. */
  session: string;
  paused: boolean;
  onRequest: (data: TapRequestData, proxy: string, session: string) => void;
  onDropped: (count: number, session: string) => void;
}) {
  const trpc = useTRPC();
  const stream = useSubscription(
    trpc.tap.stream.subscriptionOptions(
      { dataplaneId: proxy.id, ...activeFilters(filters) },
      {
        enabled: !paused,
        onData: (event) => {
          if (event.event === "request") onRequest(event.data, proxy.name, session);
          else onDropped(event.data.dropped, session);
        },
      },
    ),
  );
  if (stream.error) return <ApiErrorMessage error={stream.error} action={`tap ${proxy.name}`} />;
  const state = paused ? "paused" : stream.status === "pending" ? "streaming" : "connecting…";
  return (
    <span className={`badge ${state === "streaming" ? "ok" : ""}`} data-testid={`tap-state-${proxy.name}`}>
      {proxy.name}: {state}
    </span>
  );
}
