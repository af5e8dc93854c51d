"use client";

import { useQueryClient } from "@tanstack/react-query";
import { useSubscription } from "@trpc/tanstack-react-query";
import { useRef } from "react";
import { useTRPC } from "@/lib/trpc";

export type LiveStatus = "live" | "connecting" | "lost";

function liveStatus(status: "idle" | "connecting" | "pending" | "error"): LiveStatus {
  if (status === "pending") return "live";
  return status === "error" ? "lost" : "connecting";
}

/**
 * One stream per kind of change for the whole console (a browser allows few connections per host); each
 * change marks the queries that show it stale, so every open page re-reads what it shows.
 */
export function useLiveUpdates(): LiveStatus {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const starts = useRef(0);

  const invalidateResources = () => {
    for (const router of [trpc.resources, trpc.policies, trpc.services, trpc.meshes, trpc.history])
      void queryClient.invalidateQueries(router.pathFilter());
  };
  const invalidateDataplanes = () => {
    void queryClient.invalidateQueries(trpc.dataplanes.pathFilter());
    void queryClient.invalidateQueries(trpc.security.pathFilter());
  };
  // Changes made while a stream was reconnecting were never sent: re-read everything once it is back.
  const onStarted = () => {
    starts.current += 1;
    if (starts.current > 2) void queryClient.invalidateQueries();
  };

  const resources = useSubscription(
    trpc.resources.onChange.subscriptionOptions({}, { onStarted, onData: invalidateResources }),
  );
  const dataplanes = useSubscription(
    trpc.dataplanes.onChange.subscriptionOptions({}, { onStarted, onData: invalidateDataplanes }),
  );
  const statuses = [liveStatus(resources.status), liveStatus(dataplanes.status)];
  if (statuses.includes("lost")) return "lost";
  return statuses.includes("connecting") ? "connecting" : "live";
}
