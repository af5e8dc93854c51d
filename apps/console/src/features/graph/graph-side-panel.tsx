import Link from "next/link";
import { EditorOnly } from "@/features/auth/editor-only";
import { edgeSummary } from "./golden-format";
import { GoldenMetricsList } from "./golden-metrics-list";
import { edgeId, type GraphSelection } from "./graph-canvas";
import { versionsOf } from "./graph-elements";
import { MtlsMark } from "./mtls-mark";
import type { GraphEdge, GraphService } from "./use-service-graph";

function EdgeList({
  title,
  edges,
  end,
}: {
  title: string;
  edges: GraphEdge[];
  end: "source" | "destination";
}) {
  if (edges.length === 0) return null;
  return (
    <>
      <h3>{title}</h3>
      <ul className="plain">
        {edges.map((edge) => (
          <li key={`${edge.source}->${edge.destination}`}>
            <strong>{edge[end]}</strong> <span className="muted">{edgeSummary(edge.metrics)}</span>
          </li>
        ))}
      </ul>
    </>
  );
}

function ServicePanel({
  service,
  edges,
  expanded,
  registered,
  onToggleVersions,
}: {
  service: GraphService;
  edges: readonly GraphEdge[];
  expanded: boolean;
  registered: readonly string[];
  onToggleVersions: () => void;
}) {
  const name = encodeURIComponent(service.name);
  const versions = versionsOf(service, registered);
  return (
    <>
      <h2>{service.name}</h2>
      {service.metrics ? (
        <GoldenMetricsList metrics={service.metrics} />
      ) : (
        <p className="muted">No request has reached it in this window.</p>
      )}
      {versions.length > 0 && (
        <>
          <div className="toolbar">
            <h3 className="grow">Versions</h3>
            <button type="button" onClick={onToggleVersions} aria-pressed={expanded}>
              {expanded ? "Hide versions in the graph" : "Show versions in the graph"}
            </button>
          </div>
          <ul className="plain">
            {versions.map((version) => (
              <li key={version.version}>
                <strong>{version.version}</strong>{" "}
                <span className="muted">
                  {version.metrics ? edgeSummary(version.metrics) : "no request in this window"}
                </span>
              </li>
            ))}
          </ul>
        </>
      )}
      <EdgeList
        title="Called by"
        edges={edges.filter((edge) => edge.destination === service.name)}
        end="source"
      />
      <EdgeList
        title="Calls"
        edges={edges.filter((edge) => edge.source === service.name)}
        end="destination"
      />
      <div className="actions">
        <Link href={`/services/${name}`}>Service details</Link>
        <Link href={`/traces?service=${name}`}>Traces</Link>
        <EditorOnly>
          <Link href={`/permissions?destination=${name}`}>Edit permissions</Link>
          <Link href={`/canary?service=${name}`}>Create canary</Link>
        </EditorOnly>
      </div>
    </>
  );
}

function EdgePanel({ edge, denied }: { edge: GraphEdge; denied: boolean }) {
  // "Slow" as the edge itself defines it: slower than its p95.
  const slowMs = Math.floor(edge.metrics.latencyMs.p95 ?? 0);
  const query = new URLSearchParams({
    service: edge.destination,
    caller: edge.source,
    minDurationMs: String(slowMs),
  });
  return (
    <>
      <h2>
        {edge.source} → {edge.destination}
      </h2>
      <GoldenMetricsList metrics={edge.metrics} />
      <p>
        <MtlsMark mtls={edge.mtls} />
      </p>
      {denied && (
        <p className="error-text" role="status">
          Denied: a TrafficPermission refuses {edge.source}'s calls to {edge.destination} (its proxy answers
          403).
        </p>
      )}
      <div className="actions">
        <Link href={`/traces?${query}`}>Slow traces of this edge</Link>
        <EditorOnly>
          <Link href={`/permissions?destination=${encodeURIComponent(edge.destination)}`}>
            Edit permissions
          </Link>
        </EditorOnly>
      </div>
    </>
  );
}

export function GraphSidePanel({
  selection,
  services,
  edges,
  denied,
  expanded,
  registeredVersions,
  onToggleVersions,
}: {
  selection: GraphSelection;
  services: readonly GraphService[];
  edges: readonly GraphEdge[];
  denied: ReadonlySet<string>;
  expanded: ReadonlySet<string>;
  registeredVersions: ReadonlyMap<string, readonly string[]>;
  onToggleVersions: (service: string) => void;
}) {
  if (selection.type === "service") {
    const service = services.find((candidate) => candidate.name === selection.name);
    return (
      <aside className="card side-panel" aria-label="Selection">
        {service ? (
          <ServicePanel
            service={service}
            edges={edges}
            expanded={expanded.has(service.name)}
            registered={registeredVersions.get(service.name) ?? []}
            onToggleVersions={() => onToggleVersions(service.name)}
          />
        ) : (
          <p>{selection.name} is gone from the graph.</p>
        )}
      </aside>
    );
  }
  const edge = edges.find(
    (candidate) => candidate.source === selection.source && candidate.destination === selection.destination,
  );
  return (
    <aside className="card side-panel" aria-label="Selection">
      {edge ? (
        <EdgePanel edge={edge} denied={denied.has(edgeId(edge))} />
      ) : (
        <p>
          No traffic from {selection.source} to {selection.destination} any more.
        </p>
      )}
    </aside>
  );
}
