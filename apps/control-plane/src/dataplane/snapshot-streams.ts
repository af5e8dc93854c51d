import type { ServerResponse } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import type { CertificateAuthority } from "../ca/index.ts";
import { toResource } from "../resources/to-resource.ts";
import type { Store } from "../store/index.ts";
import { type SerializedSnapshot, serializedSnapshotBuilder } from "./build-snapshot.ts";
import { CoalescedTask } from "./coalesced-task.ts";
import { dataplaneResource } from "./store-views.ts";

/** How long endpoint changes (arrivals) are gathered before the mesh is rebuilt for them. */
const ENDPOINT_CHANGES_GATHERED_MS = 50;

/** One proxy's open snapshot stream. */
export interface StreamSession {
  dataplaneId: number;
  mesh: string;
  token: string;
  res: ServerResponse;
  /** The version this proxy has (from its resume point, then from what we sent). */
  sentVersion: string | undefined;
  /**
   * For a proxy that reads endpoint lists by digest: the digests of the last snapshot sent on this stream,
   * which the next one names instead of repeating. Absent for a proxy that wants every snapshot whole.
   */
  deliveredEndpoints?: Set<string>;
}

export interface SnapshotStreamsDeps {
  store: Pick<Store, "resources" | "dataplanes">;
  ca: CertificateAuthority;
  onError: (error: unknown) => void;
}

/**
 * The open streams and the change fan-out: on a change in a mesh, every connected proxy of that mesh gets its
 * snapshot rebuilt, and only those whose version moved are sent one. Rebuilds of one mesh are coalesced, so a
 * burst of writes costs one or two rebuilds, not one per write.
 */
export class SnapshotStreams {
  readonly #sessions = new Map<number, StreamSession>();
  readonly #rebuilds = new Map<string, CoalescedTask>();
  readonly #soon = new Map<string, Promise<void>>();
  constructor(private readonly deps: SnapshotStreamsDeps) {}

  get sessions(): Iterable<StreamSession> {
    return this.#sessions.values();
  }

  /** The proxy's open stream, if it has one. */
  session(dataplaneId: number): StreamSession | undefined {
    return this.#sessions.get(dataplaneId);
  }

  /** Adds a stream (replacing an older one of the same proxy) and sends it its snapshot if it lacks it. */
  async open(session: StreamSession): Promise<void> {
    this.#sessions.get(session.dataplaneId)?.res.end();
    this.#sessions.set(session.dataplaneId, session);
    await this.changedSoon(session.mesh);
  }

  /** True when `session` was still the proxy's current stream. */
  close(session: StreamSession): boolean {
    if (this.#sessions.get(session.dataplaneId) !== session) return false;
    this.#sessions.delete(session.dataplaneId);
    return true;
  }

  /** Something in `mesh` changed (all meshes when absent); resolves once affected proxies were sent snapshots. */
  async changed(mesh?: string): Promise<void> {
    const meshes = mesh === undefined ? new Set([...this.#sessions.values()].map((s) => s.mesh)) : [mesh];
    await Promise.all([...meshes].map((name) => this.#rebuildTask(name).request()));
  }

  /**
   * `changed` a moment later, shared by every call meanwhile: proxies connect in bursts (a deployment, a
   * control-plane restart), and each arrival changes its peers' endpoints; one rebuild per arrival would read
   * and rebuild the whole mesh once per proxy.
   */
  changedSoon(mesh: string): Promise<void> {
    let pending = this.#soon.get(mesh);
    if (!pending) {
      pending = sleep(ENDPOINT_CHANGES_GATHERED_MS).then(() => {
        this.#soon.delete(mesh);
        return this.changed(mesh);
      });
      this.#soon.set(mesh, pending);
    }
    return pending;
  }

  closeAll(): void {
    for (const session of this.#sessions.values()) session.res.end();
    this.#sessions.clear();
  }

  #rebuildTask(mesh: string): CoalescedTask {
    let task = this.#rebuilds.get(mesh);
    if (!task) {
      task = new CoalescedTask(() => this.#rebuild(mesh).catch(this.deps.onError));
      this.#rebuilds.set(mesh, task);
    }
    return task;
  }

  async #rebuild(mesh: string): Promise<void> {
    const sessions = [...this.#sessions.values()].filter((session) => session.mesh === mesh);
    if (sessions.length === 0) return;
    const [inMesh, meshes, online] = await Promise.all([
      this.deps.store.resources.list({ mesh }),
      this.deps.store.resources.list({ kind: "Mesh" }),
      this.deps.store.dataplanes.list({ mesh, status: "online" }),
    ]);
    const onlineById = new Map(online.map((record) => [record.id, dataplaneResource(record)]));
    const build = serializedSnapshotBuilder({
      // The same conversion as propagation progress, so both compute the same versions.
      resources: [...inMesh, ...meshes.filter((meshResource) => meshResource.metadata.mesh !== mesh)].map(
        toResource,
      ),
      dataplanes: [...onlineById.values()],
      trustBundle: this.deps.ca.trustBundlePem,
    });
    const connectedButOffline: StreamSession[] = [];
    for (const session of sessions) {
      const dataplane = onlineById.get(session.dataplaneId);
      if (!dataplane) connectedButOffline.push(session);
      else {
        const snapshot = build(dataplane);
        if (snapshot.version !== session.sentVersion) send(session, snapshot);
      }
    }
    // Marked offline while its stream was open (a stalled heartbeat, another replica's sweep): it is plainly
    // alive, so it comes back, and the mesh is rebuilt once more (queued: this rebuild is still running).
    if (connectedButOffline.length > 0) {
      await this.deps.store.dataplanes.markSeenMany(
        connectedButOffline.map((session) => session.dataplaneId),
      );
      void this.#rebuildTask(mesh).request();
    }
  }
}

function send(session: StreamSession, snapshot: SerializedSnapshot): void {
  session.sentVersion = snapshot.version;
  let json: string;
  if (session.deliveredEndpoints) {
    const streamed = snapshot.streamedJson(session.deliveredEndpoints);
    json = streamed.json;
    session.deliveredEndpoints = streamed.endpointDigests;
  } else json = snapshot.json();
  session.res.write(`event: snapshot\nid: ${snapshot.version}\ndata: ${json}\n\n`);
}
