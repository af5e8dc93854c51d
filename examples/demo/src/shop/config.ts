import type { Behaviour, DemoService } from "../topology.ts";

/** One app instance of the shop: where it listens and, per service it calls, its sidecar's outbound port. */
export interface AppInstanceConfig {
  name: string;
  service: string;
  version: string;
  protocol: DemoService["protocol"];
  port: number;
  upstreams: Record<string, number>;
  behaviour: Behaviour;
}

/** What the launcher hands the shop process (a JSON file named by its only argument). */
export interface ShopConfig {
  /** GET /counters, GET and POST /behaviour, GET /healthz. */
  controlPort: number;
  controlHost: string;
  instances: AppInstanceConfig[];
}
