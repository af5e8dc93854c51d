"use client";

import { relativeTime, shortVersion } from "@/lib/format";
import { useNow } from "@/lib/use-now";
import { ProxyStatusBadge } from "./proxy-status-badge";
import type { ProxyRow } from "./use-proxies";

function tagList(tags: Record<string, string>): string {
  return Object.entries(tags)
    .map(([key, value]) => `${key}=${value}`)
    .join(", ");
}

export function ProxiesTable({
  rows,
  selectedId,
  onSelect,
}: {
  rows: ProxyRow[];
  selectedId: number | undefined;
  onSelect: (id: number) => void;
}) {
  const now = useNow();
  return (
    <table aria-label="Proxies">
      <thead>
        <tr>
          <th>Proxy</th>
          <th>Service</th>
          <th>Tags</th>
          <th>Address</th>
          <th>Status</th>
          <th>Config version</th>
          <th>Last seen</th>
          <th>Certificate</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr key={row.id} className={row.id === selectedId ? "selected" : undefined}>
            <td>
              <button type="button" className="link" onClick={() => onSelect(row.id)}>
                {row.name}
              </button>
            </td>
            <td>{row.service}</td>
            <td>{tagList(row.tags)}</td>
            <td>
              <code>{row.address}</code>
            </td>
            <td>
              <ProxyStatusBadge proxy={row} />
              {row.lastNack && <div className="error-text">{row.lastNack}</div>}
            </td>
            <td>
              <code title={row.ackedVersion ?? undefined}>{shortVersion(row.ackedVersion)}</code>
            </td>
            <td title={row.lastSeenAt}>{relativeTime(row.lastSeenAt, now)}</td>
            <td>{row.certificate ? `expires ${relativeTime(row.certificate.notAfter, now)}` : "none"}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
