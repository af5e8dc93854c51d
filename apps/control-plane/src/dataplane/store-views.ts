import type { Dataplane, DataplaneSpec } from "@loom/spec";
import type { DataplaneRecord } from "../store/index.ts";

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
