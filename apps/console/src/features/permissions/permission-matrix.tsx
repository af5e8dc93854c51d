import { formatRps } from "@/features/graph/golden-format";
import type { PermissionCell } from "./use-permission-matrix";

export interface CellPosition {
  source: string;
  destination: string;
}

function describeCell(source: string, destination: string, cell: PermissionCell): string {
  const decider = cell.decidedBy ? `TrafficPermission ${cell.decidedBy.metadata.name}` : "the mesh default";
  return `${source} → ${destination}: ${cell.action}${cell.narrowed ? " for some requests" : ""}, by ${decider}`;
}

/** Callers down, services across; each cell says whether the call is allowed and whether it is seen. */
export function PermissionMatrix({
  sources,
  destinations,
  cell,
  selected,
  onSelect,
}: {
  sources: readonly string[];
  destinations: readonly string[];
  cell: (source: string, destination: string) => PermissionCell;
  selected: CellPosition | undefined;
  onSelect: (position: CellPosition) => void;
}) {
  return (
    <table className="matrix" aria-label="Permission matrix">
      <thead>
        <tr>
          <th>caller ↓ / service →</th>
          {destinations.map((destination) => (
            <th key={destination} scope="col">
              {destination}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {sources.map((source) => (
          <tr key={source}>
            <th scope="row">{source}</th>
            {destinations.map((destination) => {
              const decision = cell(source, destination);
              const isSelected = selected?.source === source && selected.destination === destination;
              return (
                <td key={destination} className={isSelected ? "selected" : undefined}>
                  <button
                    type="button"
                    className={`matrix-cell ${decision.action === "Allow" ? "ok" : "bad"}`}
                    aria-label={describeCell(source, destination, decision)}
                    title={describeCell(source, destination, decision)}
                    onClick={() => onSelect({ source, destination })}
                  >
                    {decision.action === "Allow" ? "allow" : "deny"}
                    {decision.narrowed && "*"}
                    {decision.observedRps !== undefined && (
                      <span className="observed">{formatRps(decision.observedRps)} rps</span>
                    )}
                  </button>
                </td>
              );
            })}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
