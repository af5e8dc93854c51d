"use client";

import { TimeSeriesChart } from "@/features/charts/time-series-chart";
import { formatMs } from "@/features/graph/golden-format";
import { useServiceHistory } from "@/features/services/use-service-history";

/**
 * The split as the proxies measure it: each version's share of the service's requests over time, next to each
 * version's success rate, so a canary that takes traffic and fails shows at once.
 */
export function SplitCharts({ service, versions }: { service: string; versions: string[] }) {
  const { history } = useServiceHistory(service, versions, "5m");
  if (!history) return null;
  const totals = history.timestamps.map((_, index) =>
    history.rps.reduce((sum, line) => sum + (line.values[index] ?? 0), 0),
  );
  const shares = history.rps.map((line) => ({
    label: line.label,
    values: line.values.map((rps, index) => {
      const total = totals[index] ?? 0;
      return total > 0 && rps !== null ? (100 * rps) / total : null;
    }),
  }));
  return (
    <div className="charts">
      <TimeSeriesChart
        title="Share of requests by version (%)"
        timestamps={history.timestamps}
        series={shares}
        formatValue={(value) => `${value.toFixed(0)}%`}
        range={[0, 100]}
      />
      <TimeSeriesChart
        title="Success rate by version (%)"
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
  );
}
