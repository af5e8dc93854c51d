import { type Dataplane, type DataplaneSpec, type Resource, resourceSchema } from "@loom/spec";
import type { DataplaneRecord, StoredResource } from "../store/index.ts";

/** What the data-plane API keeps in a dataplane record's `ports`; the telemetry hub reads `adminPort` from it. */
export type DataplanePorts = Pick<DataplaneSpec, "inbound" | "outbounds" | "gateway"> & { adminPort: number };

export function dataplanePorts(spec: DataplaneSpec, adminPort: number): DataplanePorts {
  return { inbound: spec.inbound, outbounds: spec.outbounds, gateway: spec.gateway, adminPort };
}

/** A registered proxy in the resource model's shape, as the config builder takes it. */
export function dataplaneResource(record: DataplaneRecord): Dataplane {
  const { inbound, outbounds, gateway } = record.ports as DataplanePorts;
  return {
    kind: "Dataplane",
    metadata: { name: record.name, mesh: record.mesh, namespace: record.namespace, labels: {} },
    spec: {
      service: record.service,
      tags: record.tags,
      address: record.address,
      inbound,
      outbounds,
      gateway,
    },
  };
}

/**
 * Stored resources as the resource model, defaults filled. Parsing is cached per resourceVersion: fan-out
 * re-reads every resource of a mesh on each change, and most of them have not changed.
 */
export class SpecResourceCache {
  #parsed = new Map<string, Resource | undefined>();

  constructor(private readonly onInvalid: (resource: StoredResource, reason: string) => void) {}

  convert(stored: readonly StoredResource[]): Resource[] {
    const next = new Map<string, Resource | undefined>();
    for (const resource of stored) {
      const { kind, metadata } = resource;
      const key = `${kind}/${metadata.mesh}/${metadata.namespace}/${metadata.name}@${metadata.resourceVersion}`;
      next.set(key, this.#parsed.has(key) ? this.#parsed.get(key) : this.#parse(resource));
    }
    this.#parsed = next;
    return [...next.values()].filter((resource) => resource !== undefined);
  }

  #parse(stored: StoredResource): Resource | undefined {
    const parsed = resourceSchema.safeParse({
      kind: stored.kind,
      metadata: {
        name: stored.metadata.name,
        mesh: stored.metadata.mesh,
        namespace: stored.metadata.namespace,
        labels: stored.metadata.labels,
        resourceVersion: String(stored.metadata.resourceVersion),
        creationTimestamp: stored.metadata.createdAt,
      },
      spec: stored.spec,
    });
    if (parsed.success) return parsed.data;
    this.onInvalid(stored, parsed.error.message);
    return undefined;
  }
}
