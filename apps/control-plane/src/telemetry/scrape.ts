import { METRICS } from "@loom/spec";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import type { ScrapedSample } from "./target-series.ts";

export const REQUESTS_METRIC = METRICS.requests.name;
export const BUCKET_METRIC = `${METRICS.requestDuration.name}_bucket`;
const KEPT_PREFIXES = [`${REQUESTS_METRIC}{`, `${REQUESTS_METRIC} `, `${BUCKET_METRIC}{`];

/** A proxy's admin endpoint to scrape. */
export interface ScrapeTarget {
  /** Stable across scrapes (the dataplane's identity), so a restarted proxy continues its series. */
  id: string;
  url: string;
  service: string;
  tags: Record<string, string>;
}

/**
 * Keeps only the sample lines of the series the hub reads, then parses them with parse-prometheus-text-format
 * (escapes, label quoting, special values). Without `# TYPE` lines the library returns every sample flat with
 * its labels — Prometheus' own model, where a histogram is its `_bucket` series. Its own histogram grouping
 * is avoided on purpose: it merges all label sets of a histogram into one bucket map.
 */
export function parseExposition(text: string): ScrapedSample[] {
  const kept = text.split("\n").filter((line) => KEPT_PREFIXES.some((prefix) => line.startsWith(prefix)));
  const samples: ScrapedSample[] = [];
  // The library drops the last line of a text that does not end with a newline.
  for (const family of parsePrometheusTextFormat(`${kept.join("\n")}\n`)) {
    for (const metric of family.metrics) {
      const value = Number(metric.value);
      if (!Number.isFinite(value)) continue;
      const labels = metric.labels ?? {};
      samples.push({ key: seriesKey(family.name, labels), metric: family.name, labels, value });
    }
  }
  return samples;
}

export function seriesKey(metric: string, labels: Record<string, string>): string {
  const sorted = Object.keys(labels)
    .sort()
    .map((name) => `${name}=${JSON.stringify(labels[name])}`);
  return `${metric}{${sorted.join(",")}}`;
}

export async function scrape(target: ScrapeTarget, timeoutMs: number): Promise<ScrapedSample[]> {
  const response = await fetch(target.url, {
    signal: AbortSignal.timeout(timeoutMs),
    headers: { accept: "text/plain;version=0.0.4" },
  });
  if (!response.ok) throw new Error(`${target.url} answered ${response.status}`);
  return parseExposition(await response.text());
}
