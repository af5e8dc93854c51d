"use client";

import { useEffect, useRef } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { formatMs } from "@/features/graph/golden-format";
import { startMs, type TraceSummary } from "./use-trace-search";

/** Trace duration over time, one dot per trace (failed ones red); clicking a dot opens that trace. */
export function TraceScatter({
  traces,
  onOpen,
}: {
  traces: readonly TraceSummary[];
  onOpen: (traceId: string) => void;
}) {
  const container = useRef<HTMLDivElement>(null);
  const open = useRef(onOpen);
  open.current = onOpen;
  const sorted = [...traces].sort((a, b) => startMs(a.startTimeUnixNano) - startMs(b.startTimeUnixNano));
  const latest = useRef(sorted);
  latest.current = sorted;
  const key = sorted.map((trace) => trace.traceId).join(",");

  // biome-ignore lint/correctness/useExhaustiveDependencies: redrawn when the set of traces (their ids) changes
  useEffect(() => {
    const element = container.current;
    if (!element || sorted.length === 0) return;
    const at = sorted.map((trace) => startMs(trace.startTimeUnixNano) / 1000);
    const durationOf = (failed: boolean) =>
      sorted.map((trace) => (trace.errorCount > 0 === failed ? trace.durationMs : null));
    const dots = (colour: string): uPlot.Series => ({
      stroke: colour,
      fill: colour,
      paths: () => null,
      points: { show: true, size: 7, fill: colour },
      value: (_, value) => (value === null ? "–" : formatMs(value)),
    });
    const chart = new uPlot(
      {
        title: "Trace duration over time",
        width: element.clientWidth,
        height: 180,
        cursor: { points: { size: 10 } },
        series: [{}, { label: "ok", ...dots("#2f6fde") }, { label: "failed", ...dots("#c53030") }],
        axes: [{}, { values: (_, ticks) => ticks.map(formatMs), size: 70 }],
        scales: { x: { time: true } },
      },
      [at, durationOf(false), durationOf(true)],
      element,
    );
    const openHovered = () => {
      const index = chart.cursor.idx;
      const trace = index === null || index === undefined ? undefined : latest.current[index];
      if (trace) open.current(trace.traceId);
    };
    chart.over.addEventListener("click", openHovered);
    const resize = new ResizeObserver(() => chart.setSize({ width: element.clientWidth, height: 180 }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      chart.over.removeEventListener("click", openHovered);
      chart.destroy();
    };
  }, [key]);

  if (traces.length === 0) return null;
  return <figure ref={container} className="chart" aria-label="Trace duration over time" />;
}
