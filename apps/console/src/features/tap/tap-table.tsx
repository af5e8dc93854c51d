import type { TapRow } from "./tap-rows";

function statusClass(status: number | undefined): string | undefined {
  if (status === undefined || status >= 500) return "error-text";
  return undefined;
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
            <td className={statusClass(row.status)}>{row.status ?? "no response"}</td>
            <td>{row.latencyMs.toFixed(1)} ms</td>
            <td>{row.source}</td>
            <td>{row.destination}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
