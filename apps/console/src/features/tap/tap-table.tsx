import { classifyResponse } from "@loom/spec";
import type { TapRow } from "./tap-rows";

/** Failures as success rates count them: 5xx, no response, or a gRPC error behind an HTTP 200. */
function statusClass(row: TapRow): string | undefined {
  const failed = classifyResponse(row.status, row.grpcStatus) === "failure";
  return failed ? "error-text" : undefined;
}

function statusText(row: TapRow): string {
  if (row.status === undefined) return "no response";
  return row.grpcStatus === undefined ? String(row.status) : `${row.status} · gRPC ${row.grpcStatus}`;
}

export function TapTable({ rows }: { rows: readonly TapRow[] }) {
  if (rows.length === 0) return <p className="muted">Waiting for requests…</p>;
  return (
    <table aria-label="Live requests">
      <thead>
        <tr>
          <th>Time</th>
          <th>Proxy</th>
          <th>Direction</th>
          <th>Method</th>
          <th>Path</th>
          <th>Status</th>
          <th>Latency</th>
          <th>Source</th>
          <th>Destination</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr key={row.seq} data-seq={row.seq}>
            <td title={row.time}>{row.time ? new Date(row.time).toLocaleTimeString() : ""}</td>
            <td>{row.proxy}</td>
            <td>{row.direction}</td>
            <td>{row.method}</td>
            <td>
              <code>{row.path}</code>
            </td>
            <td className={statusClass(row)}>{statusText(row)}</td>
            <td>{row.latencyMs.toFixed(1)} ms</td>
            <td>{row.source}</td>
            <td>{row.destination}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
