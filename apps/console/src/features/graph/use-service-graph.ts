import { useQuery } from "@tanstack/react-query";
import { useSubscription } from "@trpc/tanstack-react-query";
import { useMemo, useState } from "react";
import { type RouterOutputs, useTRPC } from "@/lib/trpc";

export type ServiceGraph = RouterOutputs["graph"]["get"];
export type GraphService = ServiceGraph["services"][number];
export type GraphEdge = ServiceGraph["edges"][number];
export type GoldenMetrics = GraphEdge["metrics"];
export type MetricsWindow = ServiceGraph["window"];

/**
 * The service graph as the control plane measures it, again after every scrape, plus the registered services
 * no request has reached yet (so a quiet mesh still shows its services).
 */
export function useServiceGraph(window: MetricsWindow) {
  const trpc = useTRPC();
  const [graph, setGraph] = useState<ServiceGraph>();
  const stream = useSubscription(trpc.graph.onUpdate.subscriptionOptions({ window }, { onData: setGraph }));
  const registry = useQuery(trpc.services.list.queryOptions());
  const proxies = useQuery(trpc.dataplanes.list.queryOptions({}));
  const measured = new Set(graph?.services.map((service) => service.name));
  const idle: GraphService[] = (registry.data ?? [])
    .filter((service) => !measured.has(service.metadata.name))
    .map((service) => ({ name: service.metadata.name, metrics: null, versions: [] }));
  const services = graph ? [...graph.services, ...idle] : undefined;
  const namespaces = useMemo(
    () =>
      new Map((registry.data ?? []).map((service) => [service.metadata.name, service.metadata.namespace])),
    [registry.data],
  );
  const meshes = useMemo(
    () => new Map((registry.data ?? []).map((service) => [service.metadata.name, service.metadata.mesh])),
    [registry.data],
  );
  const registeredVersions = useMemo(() => {
    const versions = new Map<string, string[]>();
    for (const proxy of proxies.data ?? []) {
      const version = proxy.tags.version;
      const known = versions.get(proxy.service) ?? [];
      if (version !== undefined && !known.includes(version)) versions.set(proxy.service, [...known, version]);
    }
    return versions;
  }, [proxies.data]);
  return {
    services,
    namespaces,
    meshes,
    registeredVersions,
    edges: graph?.edges,
    generatedAt: graph?.generatedAt,
    error: stream.error ?? registry.error,
  };
}
