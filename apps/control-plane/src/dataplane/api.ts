import type { IncomingMessage, ServerResponse } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { spiffeId } from "@loom/proxy/tls";
import {
  ackRequestSchema,
  csrRequestSchema,
  DATAPLANE_API,
  meshSpecSchema,
  type RegisterResponse,
  registerRequestSchema,
  streamQuerySchema,
  timer,
} from "@loom/spec";
import { type CertificateAuthority, CsrRejectedError, signWorkloadCsr } from "../ca/index.ts";
import type { AckReport, DataplaneRecord, DataplaneTokenRecord, Store } from "../store/index.ts";
import { contentVersion } from "./content-version.ts";
import { bearerToken, drainBody, HttpError, parseOrThrow, readBody, sendJson } from "./http-io.ts";
import { SnapshotStreams, type StreamSession } from "./snapshot-streams.ts";
import { dataplanePorts } from "./store-views.ts";
import { tapTokenFor } from "./tap-token.ts";
import { WriteBatch } from "./write-batch.ts";

const KEEPALIVES_PER_SLICE = 100;
const MAX_KEEPALIVE_SLICE_PAUSE_MS = 100;

export interface DataplaneApiDeps {
  store: Pick<
    Store,
    "resources" | "dataplanes" | "dataplaneTokens" | "certificates" | "propagationAcks" | "auditLog"
  >;
  ca: CertificateAuthority;
  /** Derives each proxy's admin /tap token (sent at registration), so the API can relay its tap. */
  tapSecret?: Buffer;
  /** Lifetime of the certificates issued to proxies; `timer("certificateTtlMs")` (24 h) by default. */
  certificateTtlMs?: number;
  /**
   * With replicas sharing one database, how often to look for writes and endpoint changes made through
   * another replica (every resource write leaves an audit entry). Off by default: one process sees its own
   * writes through `resourcesChanged` and its own registrations directly.
   */
  watchStoreEveryMs?: number;
  /** Unexpected failures (a store error, a stored resource that no longer validates); logged by default. */
  onError?: (error: unknown) => void;
}

export interface DataplaneApi {
  /** Serves the request if its path is a data-plane API path and returns true; otherwise returns false. */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
  /**
   * Call after a resource write: rebuilds the snapshots of `mesh` (every mesh when absent) and pushes those
   * that changed. Resolves once they were written to the streams.
   */
  resourcesChanged(mesh?: string): Promise<void>;
  /** Ends every stream and stops the heartbeat and offline timers. */
  close(): Promise<void>;
}

/**
 * The data-plane API, protocol v1: register, the snapshot stream, ACK/NACK, CSR. Every call carries a
 * dataplane token; a token is scoped to one service, and everything it does (register, stream, ack, get a
 * certificate) is held to that scope.
 */
export function createDataplaneApi(deps: DataplaneApiDeps): DataplaneApi {
  const { store, ca } = deps;
  const onError = deps.onError ?? ((error: unknown) => console.error("data-plane API:", error));
  const offlineAfterMs = timer("dataplaneOfflineAfterMs");
  // A connected proxy must be seen more often than the offline cutoff, whatever the keep-alive setting.
  const heartbeatIntervalMs = Math.min(timer("streamKeepAliveMs"), Math.floor(offlineAfterMs / 2));
  const streams = new SnapshotStreams({ store, ca, onError });
  // A write per ACK or heartbeat is what a thousand proxies cannot afford: a config change makes all of them
  // ACK within milliseconds, so reports and liveness marks are written a few milliseconds' worth at a time.
  const acks = new WriteBatch<AckReport>((reports) => store.propagationAcks.recordMany(reports));
  const seen = new WriteBatch<number>((ids) => store.dataplanes.markSeenMany([...new Set(ids)]));

  async function authenticate(req: IncomingMessage): Promise<{ token: string; scope: DataplaneTokenRecord }> {
    const token = bearerToken(req);
    const scope = await store.dataplaneTokens.verify(token);
    if (!scope) throw new HttpError(401, "the dataplane token is invalid or revoked");
    return { token, scope };
  }

  /** The dataplane `id` names, if the token's service owns it: a token cannot act for another service's proxy. */
  async function ownDataplane(scope: DataplaneTokenRecord, id: string): Promise<DataplaneRecord> {
    const record = /^\d+$/.test(id) ? await store.dataplanes.get(Number(id)) : null;
    if (!record) throw new HttpError(404, `dataplane ${id} is not registered`);
    if (
      record.mesh !== scope.mesh ||
      record.namespace !== scope.namespace ||
      record.service !== scope.service
    ) {
      throw new HttpError(
        403,
        `dataplane ${id} belongs to another service than this token's ${describe(scope)}`,
      );
    }
    return record;
  }

  async function register(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { scope } = await authenticate(req);
    const request = await readBody(req, registerRequestSchema);
    if (
      request.mesh !== scope.mesh ||
      request.namespace !== scope.namespace ||
      request.spec.service !== scope.service
    ) {
      throw new HttpError(
        403,
        `this token is for ${describe(scope)}; it cannot register a dataplane of service "${request.spec.service}" ` +
          `(mesh "${request.mesh}", namespace "${request.namespace}")`,
      );
    }
    const record = await store.dataplanes.register({
      name: request.name,
      mesh: request.mesh,
      namespace: request.namespace,
      service: request.spec.service,
      tags: request.spec.tags,
      address: request.spec.address,
      ports: dataplanePorts(request.spec, request.adminPort),
    });
    // A new or changed endpoint: its peers' snapshots change.
    void streams.changedSoon(record.mesh);
    const answer: RegisterResponse = {
      dataplaneId: String(record.id),
      heartbeatIntervalMs,
      ...(deps.tapSecret && { tapToken: tapTokenFor(deps.tapSecret, record.id) }),
    };
    sendJson(res, 200, answer);
  }

  async function stream(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { token, scope } = await authenticate(req);
    const query = parseOrThrow(
      streamQuerySchema,
      Object.fromEntries(new URL(req.url ?? "", "http://x").searchParams),
    );
    const record = await ownDataplane(scope, query.dataplaneId);
    await seen.add(record.id);
    res.writeHead(200, {
      "content-type": "text/event-stream",
      "cache-control": "no-cache, no-transform",
      "x-accel-buffering": "no",
    });
    res.flushHeaders();
    req.socket.setNoDelay(true);
    const session: StreamSession = {
      dataplaneId: record.id,
      mesh: record.mesh,
      token,
      res,
      sentVersion: query.lastVersion,
      ...(query.endpointReuse && { deliveredEndpoints: new Set<string>() }),
    };
    res.on("close", () => {
      // The offline countdown starts when the stream goes, not at the last heartbeat before it.
      if (streams.close(session)) seen.add(record.id).catch(onError);
    });
    // Rebuilds the mesh: this proxy gets its snapshot, and peers learn of it if it was offline until now.
    await streams.open(session);
  }

  async function ack(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const token = bearerToken(req);
    const report = await readBody(req, ackRequestSchema);
    const dataplaneId = await ackingDataplane(token, report.dataplaneId);
    await acks.add({
      dataplaneId,
      version: report.version,
      ok: report.ok,
      error: report.ok ? undefined : report.error,
    });
    res.writeHead(204).end();
  }

  /**
   * The proxy an ACK is for. The usual case needs no store read: the proxy's open stream was opened with this
   * very token, which was checked then, for this proxy, and is checked again at every heartbeat.
   */
  async function ackingDataplane(token: string, id: string): Promise<number> {
    const session = /^\d+$/.test(id) ? streams.session(Number(id)) : undefined;
    if (session?.token === token) return session.dataplaneId;
    const scope = await store.dataplaneTokens.verify(token);
    if (!scope) throw new HttpError(401, "the dataplane token is invalid or revoked");
    return (await ownDataplane(scope, id)).id;
  }

  async function csr(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { scope } = await authenticate(req);
    const request = await readBody(req, csrRequestSchema);
    const record = await ownDataplane(scope, request.dataplaneId);
    // The identity comes from the token alone: nothing the proxy sends can change whose certificate it gets.
    const identity = spiffeId(await trustDomain(scope.mesh), scope.namespace, scope.service);
    let issued: Awaited<ReturnType<typeof signWorkloadCsr>>;
    try {
      issued = await signWorkloadCsr(ca, { csrPem: request.csrPem, identity, ttlMs: deps.certificateTtlMs });
    } catch (error) {
      if (error instanceof CsrRejectedError) throw new HttpError(400, error.message);
      throw error;
    }
    await store.certificates.record({
      serial: issued.serial,
      identity,
      dataplaneId: record.id,
      notBefore: issued.notBefore,
      notAfter: issued.notAfter,
    });
    sendJson(res, 200, {
      certificateChainPem: issued.certificateChainPem,
      trustBundlePem: ca.trustBundlePem,
      notAfter: issued.notAfter.toISOString(),
    });
  }

  async function trustDomain(mesh: string): Promise<string> {
    const meshes = await store.resources.list({ kind: "Mesh" });
    const resource = meshes.find((candidate) => candidate.metadata.name === mesh);
    return meshSpecSchema.parse(resource?.spec ?? {}).mtls.trustDomain;
  }

  /** Keep-alive comments double as the liveness signal; a revoked token loses its open streams here too. */
  async function heartbeat(): Promise<void> {
    const sessions = [...streams.sessions];
    const tokens = [...new Set(sessions.map((session) => session.token))];
    const verdicts = await Promise.all(tokens.map((token) => store.dataplaneTokens.verify(token)));
    const valid = new Set(tokens.filter((_, index) => verdicts[index] !== null));
    const alive: number[] = [];
    // A slice at a time, a little apart: a thousand TLS writes in one go held up whatever else was due, a
    // policy write's push to those same proxies included.
    const slices = Math.ceil(sessions.length / KEEPALIVES_PER_SLICE);
    const pauseMs = Math.min(MAX_KEEPALIVE_SLICE_PAUSE_MS, heartbeatIntervalMs / 4 / slices);
    for (let start = 0; start < sessions.length; start += KEEPALIVES_PER_SLICE) {
      if (start > 0) await sleep(pauseMs);
      for (const session of sessions.slice(start, start + KEEPALIVES_PER_SLICE)) {
        if (!valid.has(session.token)) {
          session.res.end();
          continue;
        }
        session.res.write(": keepalive\n\n");
        alive.push(session.dataplaneId);
      }
    }
    await store.dataplanes.markSeenMany(alive);
  }

  // A proxy cannot have been seen by a control plane that was not running: after a restart each one gets a
  // full window to reconnect before it counts as gone, else the first sweep empties every peer's endpoints.
  const startedAt = Date.now();
  async function sweepOffline(): Promise<void> {
    if (Date.now() - startedAt < offlineAfterMs) return;
    const markedOffline = await store.dataplanes.markOfflineIfNotSeenSince(
      new Date(Date.now() - offlineAfterMs),
    );
    if (markedOffline > 0) await streams.changed();
  }

  let storeFingerprint: string | undefined;
  async function watchStore(): Promise<void> {
    const [[latestWrite], online] = await Promise.all([
      store.auditLog.list({ limit: 1 }),
      store.dataplanes.list({ status: "online" }),
    ]);
    const endpoints = online.map((record) => [
      record.id,
      record.mesh,
      record.service,
      record.address,
      record.tags,
      record.ports,
    ]);
    const fingerprint = contentVersion([latestWrite?.id, endpoints]);
    // The first look rebuilds too: a write may have landed between startup and taking the baseline.
    if (fingerprint !== storeFingerprint) await streams.changed();
    storeFingerprint = fingerprint;
  }

  const timers = [
    repeat(heartbeat, heartbeatIntervalMs, onError),
    repeat(sweepOffline, Math.max(250, Math.floor(offlineAfterMs / 8)), onError),
    ...(deps.watchStoreEveryMs === undefined ? [] : [repeat(watchStore, deps.watchStoreEveryMs, onError)]),
  ];

  const routes: Record<
    string,
    { method: string; serve: (req: IncomingMessage, res: ServerResponse) => Promise<void> }
  > = {
    [DATAPLANE_API.register]: { method: "POST", serve: register },
    [DATAPLANE_API.stream]: { method: "GET", serve: stream },
    [DATAPLANE_API.ack]: { method: "POST", serve: ack },
    [DATAPLANE_API.csr]: { method: "POST", serve: csr },
  };

  return {
    handle(req, res) {
      const route = routes[new URL(req.url ?? "/", "http://x").pathname];
      if (!route) return false;
      if (req.method !== route.method) {
        res.setHeader("allow", route.method);
        void drainBody(req).then((drained) =>
          drained ? sendJson(res, 405, { error: `use ${route.method}` }) : req.destroy(),
        );
        return true;
      }
      route.serve(req, res).catch(async (error: unknown) => {
        if (!(error instanceof HttpError)) onError(error);
        if (res.headersSent) return void res.end();
        if (!(await drainBody(req))) return void req.destroy();
        const status = error instanceof HttpError ? error.status : 500;
        sendJson(res, status, { error: error instanceof HttpError ? error.message : "internal error" });
      });
      return true;
    },
    resourcesChanged: (mesh) => streams.changed(mesh),
    async close() {
      for (const stop of timers) stop();
      streams.closeAll();
    },
  };
}

function describe(scope: DataplaneTokenRecord): string {
  return `service "${scope.service}" (mesh "${scope.mesh}", namespace "${scope.namespace}")`;
}

/** Runs `task` every `intervalMs`, never overlapping itself; returns a stop function. */
function repeat(
  task: () => Promise<void>,
  intervalMs: number,
  onError: (error: unknown) => void,
): () => void {
  let timeout: NodeJS.Timeout | undefined;
  let stopped = false;
  const tick = () => {
    task()
      .catch(onError)
      .finally(() => {
        if (!stopped) timeout = setTimeout(tick, intervalMs).unref();
      });
  };
  timeout = setTimeout(tick, intervalMs).unref();
  return () => {
    stopped = true;
    clearTimeout(timeout);
  };
}
