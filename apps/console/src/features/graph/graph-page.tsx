"use client";

import { DEFAULT_MESH, DEFAULT_NAMESPACE } from "@loom/spec";
import { useMemo, useState } from "react";
import { ApiErrorMessage } from "@/features/errors/api-error-message";
import { ChoiceOptions, LabelledOptions } from "@/lib/choice-options";
import { edgeId, GraphCanvas, type GraphSelection } from "./graph-canvas";
import { GraphEdgeTable } from "./graph-edge-table";
import { DEFAULT_EDGE_LABELS, EDGE_LABELS, type EdgeLabels } from "./graph-elements";
import { HEALTH_FILTERS, type HealthFilter, parseEdgeFilter, scopePredicate } from "./graph-filter";
import { GraphSidePanel } from "./graph-side-panel";
import { useDeniedEdges } from "./use-denied-edges";
import { type GraphEdge, type MetricsWindow, useServiceGraph } from "./use-service-graph";

const WINDOWS: MetricsWindow[] = ["1m", "5m", "15m", "1h"];

/** A selected service's own calls (in and out), or the selected edge alone. */
function touches(edge: GraphEdge, selection: GraphSelection): boolean {
  return selection.type === "service"
    ? edge.source === selection.name || edge.destination === selection.name
    : edgeId(edge) === edgeId(selection);
}

export function GraphPage() {
  const [window, setWindow] = useState<MetricsWindow>("1m");
  const [filter, setFilter] = useState("");
  const [selection, setSelection] = useState<GraphSelection | null>(null);
  const [focusOnSelection, setFocusOnSelection] = useState(false);
  const [groupByNamespace, setGroupByNamespace] = useState(false);
  const [namespace, setNamespace] = useState<string | null>(null);
  const [mesh, setMesh] = useState<string | null>(null);
  const [health, setHealth] = useState<HealthFilter>("any");
  const [edgeLabels, setEdgeLabels] = useState<EdgeLabels>(DEFAULT_EDGE_LABELS);
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(new Set());
  const { services, namespaces, meshes, registeredVersions, edges, generatedAt, error } =
    useServiceGraph(window);
  const namespaceChoices = useMemo(() => [...new Set(namespaces.values())].sort(), [namespaces]);
  const meshChoices = useMemo(() => [...new Set(meshes.values())].sort(), [meshes]);
  const inScope = useMemo(
    () =>
      scopePredicate(
        { namespace, mesh, health },
        {
          namespaceOf: (service) => namespaces.get(service) ?? DEFAULT_NAMESPACE,
          meshOf: (service) => meshes.get(service) ?? DEFAULT_MESH,
        },
      ),
    [namespace, mesh, health, namespaces, meshes],
  );
  const denied = useDeniedEdges(edges);
  const view = useMemo(
    () => ({ namespaces, groupByNamespace, expanded, denied, registeredVersions, edgeLabels }),
    [namespaces, groupByNamespace, expanded, denied, registeredVersions, edgeLabels],
  );
  const toggleVersions = (service: string) =>
    setExpanded((current) => {
      const next = new Set(current);
      if (!next.delete(service)) next.add(service);
      return next;
    });
  const parsed = useMemo(() => parseEdgeFilter(filter), [filter]);
  const visibleEdges = useMemo(() => {
    const { predicate } = parsed;
    const focus = focusOnSelection ? selection : null;
    if ((!predicate && !focus && !inScope) || !edges) return null;
    return new Set(
      edges
        .filter((edge) => !inScope || inScope(edge))
        .filter((edge) => !predicate || predicate(edge))
        .filter((edge) => !focus || touches(edge, focus))
        .map(edgeId),
    );
  }, [parsed, edges, focusOnSelection, selection, inScope]);

  return (
    <>
      <div className="toolbar">
        <h1 className="grow">Service graph</h1>
        <label className="inline">
          Window
          <select value={window} onChange={(event) => setWindow(event.target.value as MetricsWindow)}>
            {WINDOWS.map((candidate) => (
              <option key={candidate}>{candidate}</option>
            ))}
          </select>
        </label>
        <label className="inline">
          Namespace
          <select value={namespace ?? ""} onChange={(event) => setNamespace(event.target.value || null)}>
            <ChoiceOptions none="all" choices={namespaceChoices} />
          </select>
        </label>
        {meshChoices.length > 1 && (
          <label className="inline">
            Mesh
            <select value={mesh ?? ""} onChange={(event) => setMesh(event.target.value || null)}>
              <ChoiceOptions none="all" choices={meshChoices} />
            </select>
          </label>
        )}
        <label className="inline">
          Health
          <select value={health} onChange={(event) => setHealth(event.target.value as HealthFilter)}>
            <LabelledOptions labels={HEALTH_FILTERS} />
          </select>
        </label>
        <label className="inline">
          Edge labels
          <select value={edgeLabels} onChange={(event) => setEdgeLabels(event.target.value as EdgeLabels)}>
            <LabelledOptions labels={EDGE_LABELS} />
          </select>
        </label>
        <label className="inline">
          <input
            type="checkbox"
            checked={focusOnSelection}
            onChange={(event) => setFocusOnSelection(event.target.checked)}
          />
          Only the selection's calls
        </label>
        <label className="inline">
          <input
            type="checkbox"
            checked={groupByNamespace}
            onChange={(event) => setGroupByNamespace(event.target.checked)}
          />
          Group by namespace
        </label>
        <label className="inline">
          Find
          <input
            type="search"
            placeholder="rps > 100, success < 99, p99 > 250ms, !mtls"
            value={filter}
            onChange={(event) => setFilter(event.target.value)}
            size={36}
          />
        </label>
      </div>
      {parsed.error && <p className="error-text">{parsed.error}</p>}
      {error && <ApiErrorMessage error={error} action="load the service graph" />}
      {services === undefined && !error && <p className="muted">Waiting for the first measurements…</p>}
      {services && services.length === 0 && (
        <p className="empty">No services yet: register services and send traffic through their proxies.</p>
      )}
      <div className={selection ? "split reverse" : undefined}>
        <div className="card graph-card">
          <GraphCanvas
            services={services ?? []}
            edges={edges ?? []}
            visibleEdges={visibleEdges}
            selection={selection}
            onSelect={setSelection}
            view={view}
            onToggleVersions={toggleVersions}
          />
          <p className="muted graph-legend">
            Colour by success rate (green ≥ 99 %, amber ≥ 95 %, red below, grey idle) · solid: mTLS · dashed:
            plaintext · dotted red with a bar: denied by a TrafficPermission · double-click a service for its
            versions
            {generatedAt && ` · measured ${new Date(generatedAt).toLocaleTimeString()}`}
          </p>
        </div>
        {selection && services && edges && (
          <GraphSidePanel
            selection={selection}
            services={services}
            edges={edges}
            denied={denied}
            expanded={expanded}
            registeredVersions={registeredVersions}
            onToggleVersions={toggleVersions}
          />
        )}
      </div>
      {edges && (
        <GraphEdgeTable
          edges={visibleEdges ? edges.filter((edge) => visibleEdges.has(edgeId(edge))) : edges}
          selection={selection}
          onSelect={setSelection}
          denied={denied}
        />
      )}
    </>
  );
}
