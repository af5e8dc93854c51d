import { formatMs, formatRps, formatSuccess } from "@/features/graph/golden-format";
import type { RouterOutputs } from "@/lib/trpc";

type GoldenRow = RouterOutputs["metrics"]["golden"][number];

/** Golden metrics as rows, each named by `describe` (an edge's other end, a route's path…). */
export function GoldenTable({
  label,
  heading,
  rows,
  describe,
}: {
  label: string;
  heading: string;
  rows: readonly GoldenRow[];
  describe: (row: GoldenRow) => string;
}) {
  if (rows.length === 0) return <p className="muted">None in this window.</p>;
  return (
    <table aria-label={label}>
      <thead>
        <tr>
          <th>{heading}</th>
          <th>Requests</th>
          <th>Success</th>
          <th>p50</th>
          <th>p95</th>
          <th>p99</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr key={describe(row)}>
            <td>{describe(row)}</td>
            <td>{formatRps(row.rps)} rps</td>
            <td>{formatSuccess(row.successRate)}</td>
            <td>{formatMs(row.latencyMs.p50)}</td>
            <td>{formatMs(row.latencyMs.p95)}</td>
            <td>{formatMs(row.latencyMs.p99)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
