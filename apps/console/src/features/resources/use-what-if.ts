import type { Resource } from "@loom/spec";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useDeferredValue } from "react";
import { type RouterOutputs, useTRPCClient } from "@/lib/trpc";

export type WhatIfResult = RouterOutputs["whatIf"]["run"];

/**
 * The control plane's dry run of applying each resource: which proxies would get new config and what recent
 * traffic would meet. A query over the whatIf mutation (it writes nothing), so edits re-ask and answers cache.
 */
export function useWhatIf(resources: readonly Resource[]) {
  const client = useTRPCClient();
  const asked = useDeferredValue(resources);
  return useQuery({
    queryKey: ["whatIf", asked],
    queryFn: () =>
      Promise.all(asked.map((resource) => client.whatIf.run.mutate({ action: "apply", resource }))),
    enabled: asked.length > 0,
    placeholderData: keepPreviousData,
    staleTime: 10_000,
  });
}
