import { useQueries } from "@tanstack/react-query";
import type { ChartSeries } from "@/features/charts/time-series-chart";
import type { MetricsWindow } from "@/features/graph/use-service-graph";
import { type RouterOutputs, useTRPC } from "@/lib/trpc";

type HistoryPoint = RouterOutputs["metrics"]["history"][number];

/** Often enough to follow the scrapes (5 s in production) without asking more often than data changes. */
export const METRICS_REFRESH_MS = 5_000;
const POINTS = 30;

export interface ServiceHistory {
  timestamps: number[];
  rps: ChartSeries[];
  successPercent: ChartSeries[];
  latency: ChartSeries[];
}

/** Golden signals over time for the service, one line per version (latency: quantiles of the whole service). */
export function useServiceHistory(service: string, versions: readonly string[], window: MetricsWindow) {
  const trpc = useTRPC();
  const selections = [undefined, ...versions];
  const answers = useQueries({
    queries: selections.map((version) => ({
      ...trpc.metrics.history.queryOptions({ service, version, window, points: POINTS }),
      refetchInterval: METRICS_REFRESH_MS,
    })),
  });
  const [whole, ...byVersion] = answers.map((answer) => answer.data);
  if (whole === undefined)
    return { history: undefined, error: answers.find((answer) => answer.error)?.error };

  const perVersion = (read: (point: HistoryPoint) => number | null): ChartSeries[] =>
    versions.length === 0
      ? [{ label: service, values: whole.map(read) }]
      : versions.map((version, index) => ({ label: version, values: (byVersion[index] ?? []).map(read) }));
  const history: ServiceHistory = {
    timestamps: whole.map((point) => Date.parse(point.at) / 1000),
    rps: perVersion((point) => point.rps),
    successPercent: perVersion((point) => (point.successRate === null ? null : point.successRate * 100)),
    latency: (["p50", "p95", "p99"] as const).map((quantile) => ({
      label: quantile,
      values: whole.map((point) => point.latencyMs[quantile]),
    })),
  };
  return { history, error: undefined };
}
