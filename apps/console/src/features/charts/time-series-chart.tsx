"use client";

import { useEffect, useRef } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

export interface ChartSeries {
  label: string;
  /** One value per timestamp; null where there is nothing to plot (no requests then). */
  values: (number | null)[];
}

const PALETTE = ["#2f6fde", "#1f8a4c", "#b7791f", "#c53030", "#7b4fd6", "#0f8b8d", "#d0487f"];

/**
 * A uPlot line chart that keeps its instance across data updates (setData) and follows its container's width;
 * it is rebuilt only when the set of series changes.
 */
export function TimeSeriesChart({
  title,
  timestamps,
  series,
  formatValue,
  range,
  height = 200,
}: {
  title: string;
  /** Seconds since the epoch, as uPlot wants them. */
  timestamps: number[];
  series: ChartSeries[];
  formatValue: (value: number) => string;
  /** A fixed y range (a percentage's 0–100); by default the data's own. */
  range?: [number, number];
  height?: number;
}) {
  const container = useRef<HTMLDivElement>(null);
  const chart = useRef<uPlot | null>(null);
  const format = useRef(formatValue);
  format.current = formatValue;
  const seriesKey = series.map((line) => line.label).join("\u0000");
  const data: uPlot.AlignedData = [timestamps, ...series.map((line) => line.values)];
  const latestData = useRef(data);
  latestData.current = data;

  // biome-ignore lint/correctness/useExhaustiveDependencies: rebuilt only when the series (by label) change
  useEffect(() => {
    const element = container.current;
    if (!element) return;
    const options: uPlot.Options = {
      title,
      width: element.clientWidth,
      height,
      series: [
        {},
        ...series.map((line, index) => ({
          label: line.label,
          stroke: PALETTE[index % PALETTE.length],
          width: 2,
          spanGaps: false,
          value: (_: uPlot, value: number | null) => (value === null ? "–" : format.current(value)),
        })),
      ],
      axes: [{}, { values: (_, ticks) => ticks.map((tick) => format.current(tick)), size: 70 }],
      scales: { x: { time: true }, ...(range && { y: { range } }) },
      legend: { live: true },
    };
    const instance = new uPlot(options, latestData.current, element);
    chart.current = instance;
    const resize = new ResizeObserver(() => instance.setSize({ width: element.clientWidth, height }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      instance.destroy();
      chart.current = null;
    };
  }, [seriesKey, title, height, range?.[0], range?.[1]]);

  useEffect(() => {
    chart.current?.setData(data);
  });

  return <figure ref={container} className="chart" aria-label={title} />;
}
