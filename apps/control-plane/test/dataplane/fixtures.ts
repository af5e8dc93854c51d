import { type Dataplane, type Resource, resourceSchema } from "@loom/spec";

let clock = Date.parse("2026-01-01T00:00:00Z");

/** A resource as the store returns it: validated, defaults filled, created one second after the previous one. */
export function resource(kind: Resource["kind"], name: string, spec: unknown, mesh = "default"): Resource {
  clock += 1_000;
  return resourceSchema.parse({
    kind,
    metadata: { name, mesh, creationTimestamp: new Date(clock).toISOString() },
    spec,
  });
}

export function dataplane(
  name: string,
  spec: {
    service: string;
    tags?: Record<string, string>;
    port?: number;
    outbounds?: { service: string; port: number }[];
    gateway?: boolean;
  },
  mesh = "default",
): Dataplane {
  return resourceSchema.parse({
    kind: "Dataplane",
    metadata: { name, mesh },
    spec: {
      service: spec.service,
      tags: spec.tags ?? {},
      address: "127.0.0.1",
      inbound: spec.port === undefined ? [] : [{ port: spec.port, appPort: spec.port + 1000 }],
      outbounds: spec.outbounds ?? [],
      gateway: spec.gateway ?? false,
    },
  }) as Dataplane;
}
