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

interface KnownSeries {
  metric: string;
  labels: Record<string, string>;
}

/**
 * Reads one target's expositions, scrape after scrape. Only the sample lines of the series the hub uses are
 * read. A series seen for the first time is parsed by parse-prometheus-text-format (escapes, label quoting,
 * special values); after that its line's text up to the value identifies it, and only the value is read —
 * a proxy's series stay the same from scrape to scrape, and full parsing is what a large mesh's scrapes cost.
 *
 * The library is given sample lines without `# TYPE`, so it returns every sample flat with its labels —
 * Prometheus' own model, where a histogram is its `_bucket` series. Its own histogram grouping is avoided on
 * purpose: it merges all label sets of a histogram into one bucket map.
 */
export class ExpositionReader {
  #known = new Map<string, KnownSeries>();

  read(text: string): ScrapedSample[] {
    const samples: ScrapedSample[] = [];
    const known = new Map<string, KnownSeries>();
    const unknown: { identity: string; value: number; line: string }[] = [];
    for (const line of text.split("\n")) {
      if (!KEPT_PREFIXES.some((prefix) => line.startsWith(prefix))) continue;
      // Values and timestamps hold no "}", so the last one closes the labels.
      const end = line.includes("{") ? line.lastIndexOf("}") + 1 : line.indexOf(" ");
      const identity = line.slice(0, end);
      const value = Number(line.slice(end).trim().split(/\s+/)[0]);
      const series = this.#known.get(identity);
      if (series === undefined) unknown.push({ identity, value, line });
      else {
        known.set(identity, series);
        if (Number.isFinite(value)) samples.push({ key: identity, ...series, value });
      }
    }
    if (unknown.length > 0) {
      const parsed = parseLines(unknown.map((entry) => entry.line));
      unknown.forEach((entry, index) => {
        const series = parsed[index] as KnownSeries;
        known.set(entry.identity, series);
        if (Number.isFinite(entry.value))
          samples.push({ key: entry.identity, ...series, value: entry.value });
      });
    }
    this.#known = known;
    return samples;
  }
}

/** One parsed series per line, in order; throws on a line that is not the text format. */
function parseLines(lines: string[]): KnownSeries[] {
  // The library drops the last line of a text that does not end with a newline.
  const families = parsePrometheusTextFormat(`${lines.join("\n")}\n`);
  const series = families.flatMap((family) =>
    family.metrics.map((metric) => ({ metric: family.name, labels: metric.labels ?? {} })),
  );
  if (series.length !== lines.length)
    throw new Error(`the exposition has ${lines.length} sample lines but ${series.length} parsed`);
  return series;
}

export async function fetchExposition(target: ScrapeTarget, timeoutMs: number): Promise<string> {
  const response = await fetch(target.url, {
    signal: AbortSignal.timeout(timeoutMs),
    headers: { accept: "text/plain;version=0.0.4" },
  });
  if (!response.ok) throw new Error(`${target.url} answered ${response.status}`);
  return response.text();
}
