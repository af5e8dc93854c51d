import { useState } from "react";
import { formatMs, formatRps, formatSuccess, healthOf } from "./golden-format";
import { edgeId, type GraphSelection } from "./graph-canvas";
import { MtlsMark } from "./mtls-mark";
import type { GraphEdge } from "./use-service-graph";

const HEALTH_BADGES = { healthy: "ok", degraded: "warn", failing: "bad", idle: "" };

/**
 * Rows drawn until the operator asks for all: a 500-service mesh has 2,000 calls, and re-rendering them all on
 * every live update took ~600 ms of the page's main thread (the graph itself ~100 ms). The find box narrows them.
 */
export const SHOWN_EDGES = 100;

/** The graph's edges as rows: readable with a keyboard or a screen reader, and sortable by eye. */
export function GraphEdgeTable({
  edges,
  selection,
  onSelect,
  sorted = true,
  denied,
}: {
  edges: readonly GraphEdge[];
  selection: GraphSelection | null;
  onSelect: (selection: GraphSelection) => void;
  /** Busiest first; false keeps the caller's order. */
  sorted?: boolean;
  /** Edge ids a TrafficPermission refuses. */
  denied?: ReadonlySet<string>;
}) {
  const [showAll, setShowAll] = useState(false);
  if (edges.length === 0) return <p className="empty">No calls between services in this window.</p>;
  const selectedId = selection?.type === "edge" ? edgeId(selection) : undefined;
  const ordered = sorted ? [...edges].sort((a, b) => b.metrics.rps - a.metrics.rps) : edges;
  const shown = showAll ? ordered : ordered.slice(0, SHOWN_EDGES);
  return (
    <>
      <table aria-label="Edges">
        <thead>
          <tr>
            <th>From → to</th>
            <th>Requests</th>
            <th>Success</th>
            <th>p50 / p95 / p99</th>
            <th>Transport</th>
          </tr>
        </thead>
        <tbody>
          {shown.map((edge) => (
            <tr key={edgeId(edge)} className={edgeId(edge) === selectedId ? "selected" : undefined}>
              <td>
                <button
                  type="button"
                  className="link"
                  onClick={() =>
                    onSelect({ type: "edge", source: edge.source, destination: edge.destination })
                  }
                >
                  {edge.source} → {edge.destination}
                </button>
              </td>
              <td>{formatRps(edge.metrics.rps)} rps</td>
              <td>
                <span className={`badge ${HEALTH_BADGES[healthOf(edge.metrics)]}`}>
                  {formatSuccess(edge.metrics.successRate)}
                </span>
              </td>
              <td>
                {formatMs(edge.metrics.latencyMs.p50)} / {formatMs(edge.metrics.latencyMs.p95)} /{" "}
                {formatMs(edge.metrics.latencyMs.p99)}
              </td>
              <td>
                <MtlsMark mtls={edge.mtls} />
                {denied?.has(edgeId(edge)) && <span className="badge bad">denied</span>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {shown.length < ordered.length && (
        <p className="muted">
          {sorted
            ? `The ${shown.length} busiest of ${ordered.length} calls. `
            : `${shown.length} of ${ordered.length} calls. `}
          <button type="button" className="link" onClick={() => setShowAll(true)}>
            Show all {ordered.length}
          </button>
        </p>
      )}
    </>
  );
}
