import { dataplaneResource, serializedSnapshotBuilder } from "../dataplane/index.ts";
import { NotFoundError, type ResourceKey, type Store } from "../store/index.ts";
import { toResource } from "./to-resource.ts";

export type ProxyPropagation = "acked" | "nacked" | "pending";

export interface PropagationProgress {
  /** The write: one revision of one resource. */
  version: number;
  writtenAt: string;
  total: number;
  acked: number;
  nacked: number;
  pending: number;
  dataplanes: {
    id: number;
    name: string;
    service: string;
    state: ProxyPropagation;
    /** The NACK's reason. */
    error: string | null;
  }[];
}

/**
 * How far one write has travelled to the online proxies of its mesh. A proxy has it once it ACKed a snapshot
 * reported after the write, or, if it got nothing new since, once the snapshot it ACKed last is the one it
 * should have now (the write did not concern it). Its latest report after the write being a NACK means it
 * refused the config carrying the write. Snapshot versions are content digests, so recomputing the expected
 * one here gives the version the data-plane API sent, whichever replica sent it.
 */
export async function propagationProgress(
  store: Store,
  trustBundlePem: string,
  key: ResourceKey,
  version: number,
): Promise<PropagationProgress> {
  const revision = (await store.resources.history(key)).find((candidate) => candidate.version === version);
  if (revision === undefined) throw new NotFoundError(`${key.kind} "${key.name}" has no version ${version}`);
  const [inMesh, meshes, online] = await Promise.all([
    store.resources.list({ mesh: key.mesh }),
    store.resources.list({ kind: "Mesh" }),
    store.dataplanes.list({ mesh: key.mesh, status: "online" }),
  ]);
  const resources = [...inMesh, ...meshes.filter((mesh) => mesh.metadata.mesh !== key.mesh)].map(toResource);
  const dataplanes = online.map(dataplaneResource);
  // One builder for the mesh (shared pieces computed once) and one query for every proxy's reports: O(n).
  const build = serializedSnapshotBuilder({ resources, dataplanes, trustBundle: trustBundlePem });
  const latestReports = await store.propagationAcks.latestSince(
    online.map((record) => record.id),
    revision.at,
  );

  const states = online.map((record, index) => {
    const latest = latestReports.get(record.id);
    const state: ProxyPropagation = latest
      ? latest.ok
        ? "acked"
        : "nacked"
      : record.ackedVersion === build(dataplanes[index] ?? dataplaneResource(record)).version
        ? "acked"
        : "pending";
    return {
      id: record.id,
      name: record.name,
      service: record.service,
      state,
      error: state === "nacked" ? (latest?.error ?? null) : null,
    };
  });
  const count = (state: ProxyPropagation) => states.filter((entry) => entry.state === state).length;
  return {
    version,
    writtenAt: revision.at.toISOString(),
    total: states.length,
    acked: count("acked"),
    nacked: count("nacked"),
    pending: count("pending"),
    dataplanes: states,
  };
}
