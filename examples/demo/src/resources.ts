import type { ResourceInput, ResourceInputOf } from "@loom/spec";
import { stringify } from "yaml";
import { CANARY_SERVICE, SHOP, serviceNamed } from "./topology.ts";

/** The port a Service resource announces; the apps really listen on free ports the launcher picks. */
const NOMINAL_PORT = { http: 8080, grpc: 9090 } as const;

/**
 * Strict mTLS: every hop in the demo is between two proxies (outside traffic enters through the gateway),
 * so nothing needs plaintext, and the graph shows a lock on every edge from the first request.
 */
export function meshResource(samplingRate: number): ResourceInputOf<"Mesh"> {
  return {
    kind: "Mesh",
    metadata: { name: "default" },
    spec: { mtls: { mode: "strict" }, tracing: { samplingRate } },
  };
}

export function serviceResources(): ResourceInputOf<"Service">[] {
  return SHOP.map((service) => ({
    kind: "Service",
    metadata: { name: service.name, labels: { "app.kubernetes.io/part-of": "loom-demo" } },
    spec: {
      ports: [{ name: service.protocol, port: NOMINAL_PORT[service.protocol], protocol: service.protocol }],
    },
  }));
}

/** Every request to cart goes to v1 until someone shifts weight to v2 (the canary flow). */
export function canaryRouteResource(): ResourceInputOf<"TrafficRoute"> {
  const [stable, canary] = Object.keys(serviceNamed(CANARY_SERVICE).versions);
  return {
    kind: "TrafficRoute",
    metadata: { name: `${CANARY_SERVICE}-split` },
    spec: {
      targetRef: { kind: "Service", name: CANARY_SERVICE },
      rules: [
        {
          backendRefs: [
            { tags: { version: stable ?? "v1" }, weight: 100 },
            { tags: { version: canary ?? "v2" }, weight: 0 },
          ],
        },
      ],
    },
  };
}

export function toYaml(resources: readonly ResourceInput[]): string {
  return resources.map((resource) => stringify(resource)).join("---\n");
}
