import { LATENCY_BUCKETS_SECONDS, METRICS, type RequestDirection, statusClass } from "@loom/spec";
import { Counter, Gauge, Histogram, Registry } from "prom-client";

type Labels<K extends keyof typeof METRICS> = (typeof METRICS)[K]["labels"][number];

interface RequestSeries {
  count: ReturnType<Counter<Labels<"requests">>["labels"]>;
  duration: ReturnType<Histogram<Labels<"requestDuration">>["labels"]>;
}

/** The protocol's metrics in a registry of this proxy's own (several proxies may share a process in tests). */
export class ProxyMetrics {
  readonly registry = new Registry();
  private readonly requests = counter(this.registry, "requests");
  private readonly requestDuration = new Histogram({
    name: METRICS.requestDuration.name,
    help: METRICS.requestDuration.help,
    labelNames: METRICS.requestDuration.labels,
    buckets: [...LATENCY_BUCKETS_SECONDS],
    registers: [this.registry],
  });
  readonly retries = counter(this.registry, "retries");
  readonly outlierEjections = counter(this.registry, "outlierEjections");
  readonly tcpBytes = counter(this.registry, "tcpBytes");
  readonly tcpConnections = counter(this.registry, "tcpConnections");
  readonly tcpConnectionsOpen = gauge(this.registry, "tcpConnectionsOpen");
  private readonly configInfo = gauge(this.registry, "configInfo");
  private readonly certificateExpiry = gauge(this.registry, "certificateExpiry");

  /** Label sets repeat for nearly every request; resolving each child once keeps the hot path cheap. */
  private readonly series = new Map<string, RequestSeries>();

  observeRequest(
    direction: RequestDirection,
    source: string,
    destination: string,
    destinationVersion: string,
    route: string,
    status: number | undefined,
    tls: boolean,
    seconds: number,
  ): void {
    const klass = statusClass(status);
    const tlsLabel = tls ? "true" : "false";
    const key = `${direction}\u0000${source}\u0000${destination}\u0000${destinationVersion}\u0000${route}\u0000${klass}\u0000${tlsLabel}`;
    let series = this.series.get(key);
    if (!series) {
      const values = [direction, source, destination, destinationVersion, route, klass, tlsLabel] as const;
      series = { count: this.requests.labels(...values), duration: this.requestDuration.labels(...values) };
      this.series.set(key, series);
    }
    series.count.inc();
    series.duration.observe(seconds);
  }

  setConfigVersion(version: string): void {
    this.configInfo.reset();
    this.configInfo.labels(version).set(1);
  }

  setCertificateExpiry(identity: string, notAfter: Date): void {
    this.certificateExpiry.reset();
    this.certificateExpiry.labels(identity).set(Math.floor(notAfter.getTime() / 1000));
  }
}

function counter<K extends keyof typeof METRICS>(registry: Registry, key: K): Counter<Labels<K>> {
  const { name, help, labels } = METRICS[key];
  return new Counter({ name, help, labelNames: labels, registers: [registry] });
}

function gauge<K extends keyof typeof METRICS>(registry: Registry, key: K): Gauge<Labels<K>> {
  const { name, help, labels } = METRICS[key];
  return new Gauge({ name, help, labelNames: labels, registers: [registry] });
}
