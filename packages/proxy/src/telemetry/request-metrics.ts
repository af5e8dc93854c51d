import { classifyResponse, LATENCY_BUCKETS_SECONDS, METRICS, type StatusClass } from "@loom/spec";
import type { Metric, Registry } from "prom-client";

const STATUS_CLASSES: readonly StatusClass[] = ["1xx", "2xx", "3xx", "4xx", "5xx", "error"];
const ERROR_CLASS = 5;
const BOUNDS = LATENCY_BUCKETS_SECONDS;

type Labels = Record<string, string>;

/** One label set: its request count and latency histogram (bucket counts not yet cumulative). */
class Series {
  count = 0;
  sum = 0;
  readonly buckets = new Float64Array(BOUNDS.length);

  constructor(readonly labels: Labels) {}

  observe(seconds: number): void {
    this.count += 1;
    this.sum += seconds;
    for (let i = 0; i < BOUNDS.length; i++) {
      if (seconds <= (BOUNDS[i] as number)) {
        this.buckets[i] = (this.buckets[i] as number) + 1;
        return;
      }
    }
  }
}

/**
 * The series of one (direction, source, destination, version, route, tls), made on first use: one per status
 * class, and for gRPC calls one per (status class, grpc-status).
 */
class SeriesGroup {
  private readonly byClass: (Series | undefined)[] = [];
  private readonly byGrpcStatus = new Map<number, Series>();

  constructor(
    private readonly owner: RequestMetrics,
    private readonly labels: Labels,
  ) {}

  is(
    direction: string,
    source: string,
    destination: string,
    version: string,
    route: string,
    tls: boolean,
  ): boolean {
    const { labels } = this;
    return (
      labels.destination === destination &&
      labels.destination_version === version &&
      labels.source === source &&
      labels.route === route &&
      labels.direction === direction &&
      labels.tls === (tls ? "true" : "false")
    );
  }

  record(status: number | undefined, grpcStatus: number | undefined, seconds: number): void {
    const index =
      status === undefined || status < 100 || status > 599 ? ERROR_CLASS : Math.floor(status / 100) - 1;
    if (grpcStatus === undefined) {
      let series = this.byClass[index];
      if (series === undefined) {
        series = this.make(index, status, undefined);
        this.byClass[index] = series;
      }
      series.observe(seconds);
      return;
    }
    const key = index * 1000 + grpcStatus;
    let series = this.byGrpcStatus.get(key);
    if (series === undefined) {
      series = this.make(index, status, grpcStatus);
      this.byGrpcStatus.set(key, series);
    }
    series.observe(seconds);
  }

  private make(classIndex: number, status: number | undefined, grpcStatus: number | undefined): Series {
    // Labels in the spec's order, which is how they are printed; grpc_status only on gRPC calls.
    const { direction, source, destination, destination_version, route, tls } = this.labels;
    const labels: Labels = {
      direction: direction as string,
      source: source as string,
      destination: destination as string,
      destination_version: destination_version as string,
      route: route as string,
      status_class: STATUS_CLASSES[classIndex] as StatusClass,
    };
    if (grpcStatus !== undefined) labels.grpc_status = String(grpcStatus);
    labels.classification = classifyResponse(status, grpcStatus);
    labels.tls = tls as string;
    return this.owner.add(labels);
  }
}

/**
 * loom_requests_total and loom_request_duration_seconds, kept as plain numbers per label set and rendered
 * for prom-client's registry only when scraped: prom-client hashes every label set on every observation,
 * which cost more than the rest of the request's telemetry together.
 */
export class RequestMetrics {
  private readonly series: Series[] = [];
  private readonly groups = new Map<string, SeriesGroup>();
  /** Consecutive requests mostly share their labels: the last group is checked before the map is. */
  private last: SeriesGroup | undefined;

  constructor(registry: Registry) {
    registry.registerMetric(this.counter() as unknown as Metric);
    registry.registerMetric(this.histogram() as unknown as Metric);
  }

  record(
    direction: string,
    source: string,
    destination: string,
    destinationVersion: string,
    route: string,
    tls: boolean,
    status: number | undefined,
    grpcStatus: number | undefined,
    seconds: number,
  ): void {
    const last = this.last;
    if (last?.is(direction, source, destination, destinationVersion, route, tls)) {
      last.record(status, grpcStatus, seconds);
      return;
    }
    const key = `${direction}\u0000${source}\u0000${destination}\u0000${destinationVersion}\u0000${route}\u0000${tls}`;
    let group = this.groups.get(key);
    if (group === undefined) {
      group = new SeriesGroup(this, {
        direction,
        source,
        destination,
        destination_version: destinationVersion,
        route,
        tls: tls ? "true" : "false",
      });
      this.groups.set(key, group);
    }
    this.last = group;
    group.record(status, grpcStatus, seconds);
  }

  add(labels: Labels): Series {
    const series = new Series(labels);
    this.series.push(series);
    return series;
  }

  /** Same shape as a prom-client Counter's get(), which is all the registry reads. */
  private counter() {
    const { name, help } = METRICS.requests;
    const { series } = this;
    return {
      name,
      help,
      type: "counter",
      aggregator: "sum",
      get: () => ({
        name,
        help,
        type: "counter",
        aggregator: "sum",
        values: series.map((one) => ({ labels: one.labels, value: one.count })),
      }),
    };
  }

  /** Same shape as a prom-client Histogram's get(): cumulative buckets, +Inf, sum and count per label set. */
  private histogram() {
    const { name, help } = METRICS.requestDuration;
    const { series } = this;
    const values = () =>
      series.flatMap((one) => {
        let cumulative = 0;
        const buckets = BOUNDS.map((bound, i) => {
          cumulative += one.buckets[i] as number;
          return { labels: { le: bound, ...one.labels }, value: cumulative, metricName: `${name}_bucket` };
        });
        return [
          ...buckets,
          { labels: { le: "+Inf", ...one.labels }, value: one.count, metricName: `${name}_bucket` },
          { labels: one.labels, value: one.sum, metricName: `${name}_sum` },
          { labels: one.labels, value: one.count, metricName: `${name}_count` },
        ];
      });
    return {
      name,
      help,
      type: "histogram",
      aggregator: "sum",
      get: () => ({ name, help, type: "histogram", aggregator: "sum", values: values() }),
    };
  }
}
