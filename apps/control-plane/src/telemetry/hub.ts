import { EventEmitter } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";
import { timer } from "@loom/spec";
import { TrafficAggregation } from "./aggregate.ts";
import {
  isFailureSeries,
  type LabelValues,
  type MetricsBackend,
  type TrafficQuery,
  type TrafficStats,
} from "./metrics-backend.ts";
import { extrapolatedRate } from "./promql-math.ts";
import { ExpositionReader, fetchExposition, REQUESTS_METRIC, type ScrapeTarget } from "./scrape.ts";
import { type GroupTotals, type SeriesGroup, TargetSeries } from "./target-series.ts";
import { RETENTION_MS } from "./windows.ts";

/** A round's scrapes start at most this far apart, and within half the interval. */
const MAX_SCRAPE_SPACING_MS = 2;

export interface TelemetryHubOptions {
  /** The proxies to scrape this round (the online dataplanes). */
  listTargets(): Promise<ScrapeTarget[]>;
  intervalMs?: number;
  retentionMs?: number;
}

export interface TargetHealth {
  id: string;
  url: string;
  service: string;
  lastScrapeAt: Date | null;
  lastError: string | null;
}

interface ScrapedTarget {
  target: ScrapeTarget;
  reader: ExpositionReader;
  series: TargetSeries;
  lastError: string | null;
}

export interface TelemetryHub extends MetricsBackend {
  readonly name: "hub";
  /** Starts the scrape loop (one round right away). */
  start(): void;
  /** One scrape round of every target; resolves when it is stored. */
  scrapeNow(): Promise<void>;
  targets(): TargetHealth[];
}

/** Scrapes every proxy's /metrics and answers PromQL-like aggregations from the last hour kept in memory. */
export function createTelemetryHub(options: TelemetryHubOptions): TelemetryHub {
  const intervalMs = options.intervalMs ?? timer("scrapeIntervalMs");
  const retentionMs = options.retentionMs ?? RETENTION_MS;
  // A tenth more room for rounds that come early (scrapeNow); older samples are dropped by time anyway.
  const capacity = Math.ceil((retentionMs * 1.1) / intervalMs) + 2;
  const scraped = new Map<string, ScrapedTarget>();
  const updates = new EventEmitter();
  updates.setMaxListeners(0);
  let loop: NodeJS.Timeout | undefined;
  let round: Promise<void> | undefined;
  /** Completed scrape rounds, and per window the instant "now" queries of this round are evaluated at. */
  let generation = 0;
  const evaluations = new Map<number, number>();
  /** Answers to "now" queries of this round, by query: a console polling the graph asks the same again. */
  const answers = new Map<string, TrafficStats[]>();

  async function scrapeRound(): Promise<void> {
    const targets = await options.listTargets();
    // Started a little apart, as Prometheus spreads its targets over the interval: a thousand scrapes at one
    // instant stalled whatever else the process was doing, a policy write's push to every proxy included.
    const spacingMs = Math.min(MAX_SCRAPE_SPACING_MS, intervalMs / 2 / Math.max(1, targets.length));
    await Promise.all(
      targets.map(async (target, index) => {
        if (index > 0) await sleep(index * spacingMs);
        let entry = scraped.get(target.id);
        if (entry === undefined) {
          entry = {
            target,
            reader: new ExpositionReader(),
            series: new TargetSeries(capacity, retentionMs),
            lastError: null,
          };
          scraped.set(target.id, entry);
        }
        entry.target = target;
        try {
          const text = await fetchExposition(target, intervalMs);
          entry.series.append(Date.now(), entry.reader.read(text));
          entry.lastError = null;
        } catch (error) {
          entry.lastError = error instanceof Error ? error.message : String(error);
        }
      }),
    );
    const forgetBefore = Date.now() - retentionMs;
    for (const [id, entry] of scraped)
      if ((entry.series.lastScrapeAt ?? 0) < forgetBefore && !targets.some((target) => target.id === id))
        scraped.delete(id);
    generation++;
    // Evaluations of the previous generation are never asked for again (windows vary: a Rollout step's).
    evaluations.clear();
    answers.clear();
    updates.emit("update");
  }

  /**
   * Queries for "now" between two scrapes see the same samples, so they are evaluated at one instant, the
   * first such query's, and share each label set's rates (the graph asks four aggregations of each, and
   * the console asks again every few seconds): a later query of the round adds up label sets, not series.
   * A query for an explicit time is evaluated there and computes its own rates.
   */
  function evaluationOf(query: TrafficQuery): { at: number; cached: boolean } {
    if (query.at !== undefined) return { at: query.at, cached: false };
    let at = evaluations.get(query.windowMs);
    if (at === undefined) {
      at = Date.now();
      evaluations.set(query.windowMs, at);
    }
    return { at, cached: true };
  }

  function scrapeNow(): Promise<void> {
    // Rounds never overlap: a slow target must not make two rounds write the same ring slot order.
    round ??= scrapeRound().finally(() => {
      round = undefined;
    });
    return round;
  }

  return {
    name: "hub",
    start() {
      if (loop) return;
      void scrapeNow().catch(() => {});
      loop = setInterval(() => void scrapeNow().catch(() => {}), intervalMs);
      loop.unref();
    },
    scrapeNow,
    targets: () =>
      [...scraped.values()].map(({ target, series, lastError }) => ({
        id: target.id,
        url: target.url,
        service: target.service,
        lastScrapeAt: series.lastScrapeAt === undefined ? null : new Date(series.lastScrapeAt),
        lastError,
      })),
    async traffic(query: TrafficQuery): Promise<TrafficStats[]> {
      const { at, cached } = evaluationOf(query);
      const answerKey = cached ? JSON.stringify([query.windowMs, query.where, query.groupBy]) : undefined;
      const answered = answerKey === undefined ? undefined : answers.get(answerKey);
      if (answered) return [...answered];
      const from = at - query.windowMs;
      const aggregation = new TrafficAggregation(query.groupBy, query.windowMs);
      for (const { series } of scraped.values()) {
        const range = series.indexesWithin(from, at);
        if (range === undefined) continue;
        for (const group of series.groups.values()) {
          if (!matches(group.labels, query.where)) continue;
          let totals = group.totals;
          if (!cached || totals?.generation !== generation || totals.windowMs !== query.windowMs) {
            totals = groupTotals(series, group, range, from, at, query.windowMs, generation);
            if (cached) group.totals = totals;
          }
          aggregation.add(aggregation.groupFor(group.labels), totals);
        }
      }
      const result = aggregation.result();
      if (answerKey !== undefined) answers.set(answerKey, result);
      return [...result];
    },
    onUpdate(listener) {
      updates.on("update", listener);
      return () => updates.off("update", listener);
    },
    async close() {
      clearInterval(loop);
      loop = undefined;
      await round;
    },
  };
}

/** One label set's rates over [from, at]: its series' rates, summed by what they count. */
function groupTotals(
  series: TargetSeries,
  group: SeriesGroup,
  range: { first: number; last: number },
  from: number,
  at: number,
  windowMs: number,
  generation: number,
): GroupTotals {
  const totals: GroupTotals = { windowMs, generation, rps: 0, failedRps: 0, buckets: [] };
  const failed = isFailureSeries(group.labels);
  for (const stored of group.series) {
    const counter = series.counterRange(stored, range.first, range.last);
    if (counter === undefined) continue;
    const rate = extrapolatedRate(counter, from, at);
    if (Number.isNaN(rate)) continue;
    if (stored.metric === REQUESTS_METRIC) {
      totals.rps += rate;
      if (failed) totals.failedRps += rate;
    } else if (stored.bucketIndex >= 0) {
      totals.buckets[stored.bucketIndex] = (totals.buckets[stored.bucketIndex] ?? 0) + rate;
    }
  }
  return totals;
}

function matches(labels: Record<string, string>, where: LabelValues): boolean {
  for (const name in where) if (labels[name] !== where[name as keyof LabelValues]) return false;
  return true;
}
