import { parseResources, type Resource, type ResourceError, validateResources } from "@loom/spec";
import { useQuery } from "@tanstack/react-query";
import { useDeferredValue, useMemo } from "react";
import { useTRPC } from "@/lib/trpc";

export interface YamlValidation {
  /** Every valid document, defaults filled, as the control plane would store it. */
  resources: Resource[];
  /** The control plane's own checks (same package, same order), each naming its line and field path. */
  errors: ResourceError[];
  /** False while the latest keystrokes are still being checked. */
  isCurrent: boolean;
}

/**
 * Checks YAML as the control plane's applyYaml does: each document with @loom/spec, then the set against the
 * services that exist, so what passes here is what the server accepts (barring a concurrent change).
 */
export function useYamlValidation(text: string): YamlValidation {
  const trpc = useTRPC();
  const services = useQuery(trpc.services.list.queryOptions());
  const checkedText = useDeferredValue(text);
  const result = useMemo(() => {
    const parsed = parseResources(checkedText);
    const errors = [...parsed.errors, ...validateResources(parsed.resources, { known: services.data ?? [] })];
    return { resources: parsed.resources, errors };
  }, [checkedText, services.data]);
  return { ...result, isCurrent: checkedText === text };
}
