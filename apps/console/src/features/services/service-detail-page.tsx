"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { EditorOnly } from "@/features/auth/editor-only";
import { TimeSeriesChart } from "@/features/charts/time-series-chart";
import { ApiErrorMessage } from "@/features/errors/api-error-message";
import { formatMs, formatRps } from "@/features/graph/golden-format";
import type { MetricsWindow } from "@/features/graph/use-service-graph";
import { ProxyStatusBadge } from "@/features/proxies/proxy-status-badge";
import { useTRPC } from "@/lib/trpc";
import { GoldenTable } from "./golden-table";
import { ServicePolicies } from "./service-policies";
import { METRICS_REFRESH_MS, useServiceHistory } from "./use-service-history";

const WINDOWS: MetricsWindow[] = ["5m", "15m", "1h"];

export function ServiceDetailPage({ name }: { name: string }) {
  const trpc = useTRPC();
  const [window, setWindow] = useState<MetricsWindow>("15m");
  const proxies = useQuery(trpc.dataplanes.list.queryOptions({ service: name }));
  const versions = [...new Set(proxies.data?.flatMap((proxy) => proxy.tags.version ?? []))].sort();
  const mesh = proxies.data?.[0]?.mesh ?? "default";
  const { history, error } = useServiceHistory(name, versions, window);
  const live = { refetchInterval: METRICS_REFRESH_MS };
  const edges = useQuery({
    ...trpc.metrics.golden.queryOptions({ grouping: "edge", service: name, window: "5m" }),
    ...live,
  });
  const routes = useQuery({
    ...trpc.metrics.golden.queryOptions({ grouping: "route", service: name, window: "5m" }),
    ...live,
  });

  return (
    <>
      <div className="toolbar">
        <h1 className="grow">
          <Link href="/services">Services</Link> / {name}
        </h1>
        <label className="inline">
          Window
          <select value={window} onChange={(event) => setWindow(event.target.value as MetricsWindow)}>
            {WINDOWS.map((candidate) => (
              <option key={candidate}>{candidate}</option>
            ))}
          </select>
        </label>
        <Link href={`/traces?service=${encodeURIComponent(name)}`}>Traces</Link>
        <Link href={`/canary?service=${encodeURIComponent(name)}`}>Canary</Link>
        <EditorOnly>
          <Link href={`/tap?service=${encodeURIComponent(name)}`}>Live tap</Link>
        </EditorOnly>
      </div>
      {error && <ApiErrorMessage error={error} action="load the metrics" />}
      {history && (
        <div className="charts">
          <TimeSeriesChart
            title="Requests per second"
            timestamps={history.timestamps}
            series={history.rps}
            formatValue={formatRps}
          />
          <TimeSeriesChart
            title="Success rate (%)"
            timestamps={history.timestamps}
            series={history.successPercent}
            formatValue={(value) => `${value.toFixed(1)}%`}
            range={[0, 100]}
          />
          <TimeSeriesChart
            title="Latency"
            timestamps={history.timestamps}
            series={history.latency}
            formatValue={formatMs}
          />
        </div>
      )}
      <h2>Incoming and outgoing calls (last 5 min)</h2>
      <GoldenTable
        label="Calls"
        heading="Call"
        rows={edges.data ?? []}
        describe={(row) => `${row.source ?? "?"} → ${row.service}`}
      />
      <h2>Routes (last 5 min)</h2>
      <GoldenTable
        label="Routes"
        heading="Route"
        rows={routes.data ?? []}
        describe={(row) => row.route ?? "?"}
      />
      <h2>Proxies</h2>
      {proxies.data?.length === 0 && <p className="muted">No proxy of {name} has registered.</p>}
      <ul className="plain">
        {proxies.data?.map((proxy) => (
          <li key={proxy.id}>
            <Link href="/proxies">{proxy.name}</Link> <ProxyStatusBadge proxy={proxy} />{" "}
            <span className="muted">{proxy.address}</span>
          </li>
        ))}
      </ul>
      <h2>Policies</h2>
      <ServicePolicies service={name} mesh={mesh} />
    </>
  );
}
