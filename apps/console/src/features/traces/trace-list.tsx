import { formatMs } from "@/features/graph/golden-format";
import { startMs, type TraceSummary } from "./use-trace-search";

/** Newest first; each duration drawn as a bar against the slowest trace listed. */
export function TraceList({
  traces,
  selected,
  onOpen,
}: {
  traces: readonly TraceSummary[];
  selected: string | null;
  onOpen: (traceId: string) => void;
}) {
  const slowest = Math.max(...traces.map((trace) => trace.durationMs), 1);
  return (
    <table aria-label="Traces">
      <thead>
        <tr>
          <th>Trace</th>
          <th>Started</th>
          <th>Duration</th>
          <th>Spans</th>
          <th>Services</th>
        </tr>
      </thead>
      <tbody>
        {traces.map((trace) => (
          <tr key={trace.traceId} className={trace.traceId === selected ? "selected" : undefined}>
            <td>
              <button type="button" className="link" onClick={() => onOpen(trace.traceId)}>
                {trace.rootService}: {trace.rootName}
              </button>
              {trace.errorCount > 0 && <span className="badge bad">{trace.errorCount} failed</span>}
            </td>
            <td>{new Date(startMs(trace.startTimeUnixNano)).toLocaleTimeString()}</td>
            <td className="duration-cell">
              <div
                className={`duration-bar ${trace.errorCount > 0 ? "failed" : ""}`}
                style={{ width: `${(100 * trace.durationMs) / slowest}%` }}
              />
              {formatMs(trace.durationMs)}
            </td>
            <td>{trace.spanCount}</td>
            <td>{trace.services.join(", ")}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
