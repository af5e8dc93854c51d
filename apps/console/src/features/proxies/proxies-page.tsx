"use client";

import { useState } from "react";
import { ApiErrorMessage } from "@/features/errors/api-error-message";
import { ProxiesTable } from "./proxies-table";
import { ProxyDetails } from "./proxy-details";
import { useProxies } from "./use-proxies";

export function ProxiesPage() {
  const { rows, error, isLoading } = useProxies();
  const [selectedId, setSelectedId] = useState<number>();
  const selected = rows?.find((row) => row.id === selectedId);
  const online = rows?.filter((row) => row.status === "online").length ?? 0;

  return (
    <>
      <h1>Proxies</h1>
      {error && <ApiErrorMessage error={error} action="list the proxies" />}
      {isLoading && <p className="muted">Loading proxies…</p>}
      {rows?.length === 0 && (
        <p className="empty">
          No proxy has registered yet. Start one with a dataplane token (loomctl can issue one) and it shows
          up here.
        </p>
      )}
      {rows && rows.length > 0 && (
        <>
          <p className="muted">
            {online} of {rows.length} online
          </p>
          <div className={selected ? "split reverse" : undefined}>
            <ProxiesTable rows={rows} selectedId={selectedId} onSelect={setSelectedId} />
            {selected && <ProxyDetails proxy={selected} />}
          </div>
        </>
      )}
    </>
  );
}
