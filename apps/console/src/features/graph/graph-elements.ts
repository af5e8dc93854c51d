import { DEFAULT_NAMESPACE } from "@loom/spec";
import type { ElementDefinition } from "cytoscape";
import { edgeSummary, formatMs, formatRps, formatSuccess, type Health, healthOf } from "./golden-format";
import type { GoldenMetrics, GraphEdge, GraphService } from "./use-service-graph";

export function edgeId(edge: { source: string; destination: string }): string {
  return `${edge.source}->${edge.destination}`;
}

/** A compound node holding a namespace's services. Service names cannot contain ":", so ids cannot clash. */
export function namespaceNodeId(namespace: string): string {
  return `namespace:${namespace}`;
}

/** A version's sub-node inside its expanded service. Service names cannot contain "@". */
export function versionNodeId(service: string, version: string): string {
  return `${service}@${version}`;
}

export const HEALTH_COLOURS: Record<Health, string> = {
  healthy: "#1f8a4c",
  degraded: "#b7791f",
  failing: "#c53030",
  idle: "#8a94a6",
};

/**
 * What an edge's label says, as Kiali's "edge labels" display option: one number keeps a small mesh's labels from
 * running into each other; the side panel and the edge table carry all of them.
 */
export const EDGE_LABELS = {
  rps: "requests per second",
  success: "success rate",
  p99: "p99 latency",
  all: "transport, rps, success, p99",
  none: "none",
} as const;
export type EdgeLabels = keyof typeof EDGE_LABELS;
export const DEFAULT_EDGE_LABELS: EdgeLabels = "rps";

function edgeNumbers(edge: GraphEdge, labels: EdgeLabels): string {
  const { metrics } = edge;
  switch (labels) {
    case "rps":
      return `${formatRps(metrics.rps)} rps`;
    case "success":
      return formatSuccess(metrics.successRate);
    case "p99":
      return `p99 ${formatMs(metrics.latencyMs.p99)}`;
    case "all": {
      // Canvas text cannot hold an icon; the line style (solid or dashed) carries mTLS, this says it too.
      const transport = edge.mtls === "full" ? "mTLS · " : edge.mtls === "partial" ? "partly mTLS · " : "";
      return `${transport}${edgeSummary(metrics)}`;
    }
    case "none":
      return "";
  }
}

/** What the picture shows beyond the measurements: how nodes are grouped, what is expanded, what is refused. */
export interface GraphView {
  /** Service → its namespace; services missing here are in "default". */
  namespaces?: ReadonlyMap<string, string>;
  groupByNamespace?: boolean;
  /** Services drawn as a box of their versions. */
  expanded?: ReadonlySet<string>;
  /** Service → versions its proxies are registered with, so an idle version (a canary at 0 %) is drawn too. */
  registeredVersions?: ReadonlyMap<string, readonly string[]>;
  /** Edge ids whose calls the TrafficPermission in force refuses. */
  denied?: ReadonlySet<string>;
  /** Default DEFAULT_EDGE_LABELS; a denied edge says so whatever this is. */
  edgeLabels?: EdgeLabels;
}

/** The versions measured in the window, then those only registered (no request in the window), by name. */
export function versionsOf(
  service: GraphService,
  registered: readonly string[],
): { version: string; metrics: GoldenMetrics | null }[] {
  const measured = new Set(service.versions.map(({ version }) => version));
  return [
    ...service.versions,
    ...registered.filter((version) => !measured.has(version)).map((version) => ({ version, metrics: null })),
  ].sort((a, b) => (a.version < b.version ? -1 : 1));
}

/**
 * Beyond this many edges the numbers are left out of the labels (the side panel and the edge table carry
 * them): thousands of canvas labels cost seconds per update and overlap into noise anyway.
 */
export const MAX_LABELLED_EDGES = 300;

/**
 * The cytoscape elements for one measurement, parents before their children (namespaces, then services, then
 * versions, then edges), so they can be added in this order.
 */
export function graphElements(
  services: readonly GraphService[],
  edges: readonly GraphEdge[],
  view: GraphView = {},
): ElementDefinition[] {
  const labelled = edges.length <= MAX_LABELLED_EDGES;
  const namespaceOf = (service: string) => view.namespaces?.get(service) ?? DEFAULT_NAMESPACE;
  const elements: ElementDefinition[] = [];
  if (view.groupByNamespace)
    for (const namespace of new Set(services.map((service) => namespaceOf(service.name))))
      elements.push({
        group: "nodes",
        data: { id: namespaceNodeId(namespace), label: namespace, kind: "namespace" },
      });

  const versionNodes: ElementDefinition[] = [];
  for (const service of services) {
    const versions = versionsOf(service, view.registeredVersions?.get(service.name) ?? []);
    const expanded = view.expanded?.has(service.name) === true && versions.length > 0;
    const rps = labelled && service.metrics && !expanded ? `\n${formatRps(service.metrics.rps)} rps` : "";
    elements.push({
      group: "nodes",
      data: {
        id: service.name,
        label: `${service.name}${rps}`,
        health: healthOf(service.metrics),
        kind: "service",
        ...(view.groupByNamespace && { parent: namespaceNodeId(namespaceOf(service.name)) }),
      },
    });
    if (expanded)
      for (const { version, metrics } of versions)
        versionNodes.push({
          group: "nodes",
          data: {
            id: versionNodeId(service.name, version),
            label: `${version}\n${metrics ? `${formatRps(metrics.rps)} rps` : "idle"}`,
            health: healthOf(metrics),
            kind: "version",
            service: service.name,
            parent: service.name,
          },
        });
  }
  elements.push(...versionNodes);

  for (const edge of edges) {
    const denied = view.denied?.has(edgeId(edge)) === true;
    const numbers = labelled ? edgeNumbers(edge, view.edgeLabels ?? DEFAULT_EDGE_LABELS) : "";
    elements.push({
      group: "edges",
      data: {
        id: edgeId(edge),
        source: edge.source,
        target: edge.destination,
        label: denied ? (numbers ? `denied · ${numbers}` : "denied") : numbers,
        health: healthOf(edge.metrics),
        mtls: edge.mtls,
        denied: denied ? "yes" : "no",
      },
    });
  }
  return elements;
}
