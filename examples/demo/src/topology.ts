import type { Protocol } from "@loom/spec";

/** How an app instance answers: a typical latency (jittered around it) and the share of requests it fails. */
export interface Behaviour {
  latencyMs: number;
  errorRate: number;
}

export interface DemoService {
  name: string;
  protocol: Extract<Protocol, "http" | "grpc">;
  /** One app instance, each behind its own sidecar, per version. */
  versions: Record<string, Behaviour>;
  /** The services its app calls, each through a port of its own sidecar. */
  calls: string[];
}

/**
 * The shop: web calls the others; cart runs two versions for canary splits; inventory speaks gRPC.
 * Latencies and error rates are small and different enough that the graph has something to tell.
 */
export const SHOP: readonly DemoService[] = [
  {
    name: "web",
    protocol: "http",
    versions: { v1: { latencyMs: 4, errorRate: 0.001 } },
    calls: ["catalog", "cart", "checkout", "recommendations"],
  },
  {
    name: "catalog",
    protocol: "http",
    versions: { v1: { latencyMs: 8, errorRate: 0.002 } },
    calls: ["inventory"],
  },
  {
    name: "cart",
    protocol: "http",
    versions: { v1: { latencyMs: 10, errorRate: 0.003 }, v2: { latencyMs: 6, errorRate: 0.01 } },
    calls: ["catalog"],
  },
  {
    name: "checkout",
    protocol: "http",
    versions: { v1: { latencyMs: 15, errorRate: 0.005 } },
    calls: ["cart", "payments", "inventory"],
  },
  { name: "payments", protocol: "http", versions: { v1: { latencyMs: 45, errorRate: 0.01 } }, calls: [] },
  { name: "inventory", protocol: "grpc", versions: { v1: { latencyMs: 3, errorRate: 0.002 } }, calls: [] },
  {
    name: "recommendations",
    protocol: "http",
    versions: { v1: { latencyMs: 20, errorRate: 0.004 } },
    calls: ["catalog"],
  },
];

/** The service whose versions the demo's TrafficRoute splits. */
export const CANARY_SERVICE = "cart";

/** Where outside traffic enters: the gateway routes every path to this service. */
export const ENTRY_SERVICE = "web";

export const GATEWAY_SERVICE = "gateway";

/** Dataplane and app-instance name, e.g. cart-v2. */
export function instanceName(service: string, version: string): string {
  return `${service}-${version}`;
}

export function serviceNamed(name: string): DemoService {
  const service = SHOP.find((candidate) => candidate.name === name);
  if (service === undefined) throw new Error(`the demo has no service ${name}`);
  return service;
}
