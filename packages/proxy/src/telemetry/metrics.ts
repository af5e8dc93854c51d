import { METRICS, type RequestDirection } from "@loom/spec";
import { Counter, Gauge, Registry } from "prom-client";
import { RequestMetrics } from "./request-metrics.ts";

type Labels<K extends keyof typeof METRICS> = (typeof METRICS)[K]["labels"][number];

/** The protocol's metrics in a registry of this proxy's own (several proxies may share a process in tests). */
export class ProxyMetrics {
  readonly registry = new Registry();
  private readonly requests = new RequestMetrics(this.registry);
  readonly retries = counter(this.registry, "retries");
  readonly outlierEjections = counter(this.registry, "outlierEjections");
  readonly tcpBytes = counter(this.registry, "tcpBytes");
  readonly tcpConnections = counter(this.registry, "tcpConnections");
  readonly tcpConnectionsOpen = gauge(this.registry, "tcpConnectionsOpen");
  private readonly configInfo = gauge(this.registry, "configInfo");
  private readonly certificateExpiry = gauge(this.registry, "certificateExpiry");

  observeRequest(
    direction: RequestDirection,
    source: string,
    destination: string,
    destinationVersion: string,
    route: string,
    status: number | undefined,
    grpcStatus: number | undefined,
    tls: boolean,
    seconds: number,
  ): void {
    this.requests.record(
      direction,
      source,
      destination,
      destinationVersion,
      route,
      tls,
      status,
      grpcStatus,
      seconds,
    );
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
