import type { GoldenMetrics } from "./golden.ts";
import type { MetricsBackend } from "./metrics-backend.ts";
import { METRICS_WINDOWS_MS, type MetricsWindow } from "./windows.ts";

export interface GraphVersion {
  version: string;
  metrics: GoldenMetrics;
}

export interface GraphService {
  name: string;
  /** As its inbound proxies measured it; null for a service seen only calling or being called. */
  metrics: GoldenMetrics | null;
  versions: GraphVersion[];
}

/** "full": every request of the window went over mTLS; "none": none did. */
export type EdgeMtls = "full" | "partial" | "none";

export interface GraphEdge {
  source: string;
  destination: string;
  metrics: GoldenMetrics;
  mtls: EdgeMtls;
}

export interface ServiceGraph {
  window: MetricsWindow;
  generatedAt: string;
  services: GraphService[];
  edges: GraphEdge[];
}

/** Nodes per service with its versions, edges per caller and callee, from one window of the request metrics. */
export async function buildServiceGraph(
  backend: MetricsBackend,
  window: MetricsWindow,
): Promise<ServiceGraph> {
  const windowMs = METRICS_WINDOWS_MS[window];
  const [services, versions, edges, edgesByTls] = await Promise.all([
    backend.traffic({ where: { direction: "inbound" }, groupBy: ["destination"], windowMs }),
    backend.traffic({
      where: { direction: "inbound" },
      groupBy: ["destination", "destination_version"],
      windowMs,
    }),
    backend.traffic({ where: { direction: "outbound" }, groupBy: ["source", "destination"], windowMs }),
    backend.traffic({
      where: { direction: "outbound" },
      groupBy: ["source", "destination", "tls"],
      windowMs,
    }),
  ]);

  const nodes = new Map<string, GraphService>();
  const nodeOf = (name: string) => {
    let node = nodes.get(name);
    if (node === undefined) {
      node = { name, metrics: null, versions: [] };
      nodes.set(name, node);
    }
    return node;
  };
  for (const { labels, ...metrics } of services) nodeOf(labels.destination ?? "").metrics = metrics;
  for (const { labels, ...metrics } of versions)
    nodeOf(labels.destination ?? "").versions.push({ version: labels.destination_version ?? "", metrics });

  const tlsShares = new Map<
    string,
    { tlsRps: number; plaintextRps: number; tlsSeen: boolean; plaintextSeen: boolean }
  >();
  for (const { labels, rps } of edgesByTls) {
    const key = edgeKey(labels.source, labels.destination);
    const share = tlsShares.get(key) ?? { tlsRps: 0, plaintextRps: 0, tlsSeen: false, plaintextSeen: false };
    if (labels.tls === "true") {
      share.tlsRps += rps;
      share.tlsSeen = true;
    } else {
      share.plaintextRps += rps;
      share.plaintextSeen = true;
    }
    tlsShares.set(key, share);
  }

  const graphEdges = edges.map(({ labels, ...metrics }): GraphEdge => {
    const source = labels.source ?? "";
    const destination = labels.destination ?? "";
    nodeOf(source);
    nodeOf(destination);
    const share = tlsShares.get(edgeKey(source, destination));
    const mtls = share ? mtlsOf(share) : "none";
    return { source, destination, metrics, mtls };
  });

  for (const node of nodes.values()) node.versions.sort((a, b) => (a.version < b.version ? -1 : 1));
  return {
    window,
    generatedAt: new Date().toISOString(),
    services: [...nodes.values()].sort((a, b) => (a.name < b.name ? -1 : 1)),
    edges: graphEdges.sort((a, b) =>
      edgeKey(a.source, a.destination) < edgeKey(b.source, b.destination) ? -1 : 1,
    ),
  };
}

function edgeKey(source: string | undefined, destination: string | undefined): string {
  return `${source ?? ""}\u0000${destination ?? ""}`;
}

/** By the requests of the window; an edge idle in the window by which ways its series went. */
function mtlsOf(share: {
  tlsRps: number;
  plaintextRps: number;
  tlsSeen: boolean;
  plaintextSeen: boolean;
}): EdgeMtls {
  const [tls, plaintext] =
    share.tlsRps + share.plaintextRps > 0
      ? [share.tlsRps > 0, share.plaintextRps > 0]
      : [share.tlsSeen, share.plaintextSeen];
  if (tls && plaintext) return "partial";
  return tls ? "full" : "none";
}
