import { spiffeId } from "@loom/proxy/tls";
import {
  type Dataplane,
  type Endpoint,
  type InboundSnapshot,
  type Kind,
  type Mesh,
  meshSpecSchema,
  type OutboundSnapshot,
  type PolicyKind,
  type PolicyTarget,
  type Protocol,
  type Resource,
  type ResourceOf,
  resolvePrecedence,
  SNAPSHOT_FORMAT_VERSION,
  type Snapshot,
  type Tags,
  type TrafficRoute,
} from "@loom/spec";
import { contentVersion, textDigest } from "./content-version.ts";

/** What every snapshot of a mesh is built from. */
export interface MeshState {
  /** The resources of the mesh, its Mesh resource included (others are ignored). */
  resources: readonly Resource[];
  /** The dataplanes that are online (others are ignored): the endpoints peers may call. */
  dataplanes: readonly Dataplane[];
  /** PEM roots of the mesh CA. */
  trustBundle: string;
}

export interface BuildSnapshotInput extends MeshState {
  /** The dataplane the snapshot is for. */
  dataplane: Dataplane;
}

const DEFAULT_PROTOCOL: Protocol = "http";

/**
 * Everything one proxy needs, and nothing it does not: its mesh settings, the inbound policies that select
 * this instance, and per outbound the route and policies in force and the endpoints it may call. Pure, so
 * the version (a digest of the content) is the same on every replica for the same inputs.
 */
export function buildSnapshot({ dataplane, ...state }: BuildSnapshotInput): Snapshot {
  return serializedSnapshotBuilder(state)(dataplane).snapshot();
}

/**
 * buildSnapshot for many dataplanes of one state: instances of a service share their inbound policies and
 * outbounds, so a mesh-wide rebuild computes each of those once.
 */
export function snapshotBuilder(state: MeshState): (dataplane: Dataplane) => Snapshot {
  const build = serializedSnapshotBuilder(state);
  return (dataplane) => build(dataplane).snapshot();
}

/** A snapshot's version, and the snapshot as an object or as its JSON text, built only when asked for. */
export interface SerializedSnapshot {
  version: string;
  snapshot(): Snapshot;
  /** Exactly `JSON.stringify(snapshot())`, assembled from pieces serialised once per mesh rebuild. */
  json(): string;
  /**
   * The snapshot as streamedSnapshotSchema reads it: each outbound's endpoints named by digest, and left out
   * where `delivered` (the digests of the previous snapshot on the stream) already has them.
   */
  streamedJson(delivered: ReadonlySet<string>): { json: string; endpointDigests: Set<string> };
}

/**
 * snapshotBuilder for the stream fan-out: a thousand proxies of ten services share ten outbounds and a few
 * inbounds, so the version is a digest of the digests of those shared pieces and costs a few hundred bytes of
 * hashing per proxy; the full text is assembled only for the proxies whose version moved.
 */
export function serializedSnapshotBuilder(state: MeshState): (dataplane: Dataplane) => SerializedSnapshot {
  const meshes = new Map<string, MeshView>();
  return (dataplane) => {
    const meshName = dataplane.metadata.mesh;
    let mesh = meshes.get(meshName);
    if (!mesh) {
      mesh = new MeshView(meshName, state);
      meshes.set(meshName, mesh);
    }
    return mesh.snapshotFor(dataplane);
  };
}

/** A part of the snapshot shared by many proxies, serialised and digested once. */
class Piece<T> {
  readonly json: string;
  readonly digest: string;
  constructor(readonly value: T) {
    this.json = JSON.stringify(value);
    this.digest = textDigest(this.json);
  }
}

/** Everything of an outbound but its service, local port and endpoints: the route and policies in force. */
type OutboundPolicies = Omit<OutboundSnapshot, "service" | "port" | "endpoints">;

/** What all outbounds to one service share, its endpoints apart: a policy write rarely changes those. */
interface OutboundShared {
  policies: Piece<OutboundPolicies>;
  endpoints: Piece<Endpoint[]>;
}

class MeshView {
  readonly #spec: Mesh["spec"];
  readonly #resources: readonly Resource[];
  readonly #mesh: Piece<Snapshot["mesh"]>;
  readonly #peersByService = new Map<string, Dataplane[]>();
  readonly #inbounds = new Map<string, Piece<InboundSnapshot>>();
  /** Per destination service: everything of an outbound but its service and local port. */
  readonly #outbounds = new Map<string, OutboundShared>();

  constructor(
    readonly name: string,
    state: MeshState,
  ) {
    const meshResource = state.resources.find(
      (resource) => resource.kind === "Mesh" && resource.metadata.name === name,
    );
    this.#spec = meshResource?.kind === "Mesh" ? meshResource.spec : meshSpecSchema.parse({});
    this.#mesh = new Piece({
      name,
      spec: this.#spec,
      trustBundle: this.#spec.mtls.mode === "off" ? "" : state.trustBundle,
    });
    this.#resources = state.resources.filter((resource) => resource.metadata.mesh === name);
    for (const peer of state.dataplanes) {
      if (peer.metadata.mesh !== name) continue;
      const instances = this.#peersByService.get(peer.spec.service) ?? [];
      instances.push(peer);
      this.#peersByService.set(peer.spec.service, instances);
    }
  }

  snapshotFor(dataplane: Dataplane): SerializedSnapshot {
    const self: Snapshot["dataplane"] = {
      name: dataplane.metadata.name,
      mesh: this.name,
      namespace: dataplane.metadata.namespace,
      service: dataplane.spec.service,
      tags: sortedTags(dataplane.spec.tags),
    };
    const inbound = this.#inbound({ service: dataplane.spec.service, tags: dataplane.spec.tags });
    const outbounds = dataplane.spec.outbounds.map((outbound) => ({
      service: outbound.service,
      port: outbound.port,
      shared: this.#outbound(outbound.service),
    }));
    const selfJson = JSON.stringify(self);
    const version = contentVersion([
      SNAPSHOT_FORMAT_VERSION,
      selfJson,
      this.#mesh.digest,
      inbound.digest,
      outbounds.map(({ service, port, shared }) => [
        service,
        port,
        shared.policies.digest,
        shared.endpoints.digest,
      ]),
    ]);
    /** The snapshot's JSON, each outbound's endpoints written by `endpointsJson`. */
    const assemble = (endpointsJson: (endpoints: Piece<Endpoint[]>) => string) => {
      const outboundsJson = outbounds.map(
        // The policies always have `protocol`, so their JSON is never the bare `{}`.
        ({ service, port, shared }) =>
          `{"service":${JSON.stringify(service)},"port":${JSON.stringify(port)},` +
          `${shared.policies.json.slice(1, -1)},${endpointsJson(shared.endpoints)}}`,
      );
      return (
        `{"formatVersion":${JSON.stringify(SNAPSHOT_FORMAT_VERSION)},"dataplane":${selfJson},` +
        `"mesh":${this.#mesh.json},"inbound":${inbound.json},"outbounds":[${outboundsJson.join(",")}],` +
        `"version":${JSON.stringify(version)}}`
      );
    };
    return {
      version,
      snapshot: () => ({
        formatVersion: SNAPSHOT_FORMAT_VERSION,
        dataplane: self,
        mesh: this.#mesh.value,
        inbound: inbound.value,
        outbounds: outbounds.map(({ service, port, shared }) => ({
          service,
          port,
          ...shared.policies.value,
          endpoints: shared.endpoints.value,
        })),
        version,
      }),
      json: () => assemble((endpoints) => `"endpoints":${endpoints.json}`),
      streamedJson: (delivered) => {
        const endpointDigests = new Set<string>();
        const json = assemble((endpoints) => {
          endpointDigests.add(endpoints.digest);
          const digest = `"endpointsDigest":${JSON.stringify(endpoints.digest)}`;
          return delivered.has(endpoints.digest) ? digest : `"endpoints":${endpoints.json},${digest}`;
        });
        return { json, endpointDigests };
      },
    };
  }

  #inbound(self: Required<PolicyTarget>): Piece<InboundSnapshot> {
    const key = `${self.service}\n${JSON.stringify(sortedTags(self.tags))}`;
    let inbound = this.#inbounds.get(key);
    if (!inbound) {
      inbound = new Piece({
        trafficPermission: applied(this.#inForce("TrafficPermission", self)),
        rateLimit: applied(this.#inForce("RateLimit", self)),
        faultInjection: applied(this.#inForce("FaultInjection", self)),
      });
      this.#inbounds.set(key, inbound);
    }
    return inbound;
  }

  #outbound(service: string): OutboundShared {
    let shared = this.#outbounds.get(service);
    if (!shared) {
      const { endpoints, ...policies } = this.#buildOutbound(service);
      shared = { policies: new Piece(policies), endpoints: new Piece(endpoints) };
      this.#outbounds.set(service, shared);
    }
    return shared;
  }

  #buildOutbound(service: string): Omit<OutboundSnapshot, "service" | "port"> {
    // Outbound policies concern the destination service as a whole, which no ServiceSubset selects.
    const destination: PolicyTarget = { service };
    const route = this.#inForce("TrafficRoute", destination);
    const timeout = this.#inForce("Timeout", destination);
    const retry = this.#inForce("Retry", destination);
    const services = [...new Set([service, ...(route ? servicesNamedBy(route) : [])])].sort();
    return {
      protocol: this.#protocol(service),
      route: route && { name: route.metadata.name, rules: route.spec.rules },
      // The snapshot carries the Timeout and Retry configs alone: their targetRef was used up by precedence.
      timeout: timeout && { name: timeout.metadata.name, spec: withoutTargetRef(timeout.spec) },
      retry: retry && { name: retry.metadata.name, spec: withoutTargetRef(retry.spec) },
      circuitBreaker: applied(this.#inForce("CircuitBreaker", destination)),
      healthCheck: applied(this.#inForce("HealthCheck", destination)),
      endpoints: services.flatMap((name) =>
        (this.#peersByService.get(name) ?? []).flatMap((peer) => this.#endpointOf(peer)).sort(byDataplane),
      ),
    };
  }

  #inForce<K extends PolicyKind>(kind: K, target: PolicyTarget): ResourceOf<K> | undefined {
    return resolvePrecedence(ofKind(this.#resources, kind), target).inForce;
  }

  /** The Service resource says; without one, what the service's instances declare on their inbound. */
  #protocol(service: string): Protocol {
    const declared = ofKind(this.#resources, "Service").find(
      (resource) => resource.metadata.name === service,
    );
    if (declared) return declared.spec.ports[0]?.protocol ?? DEFAULT_PROTOCOL;
    const instance = this.#peersByService.get(service)?.find((peer) => peer.spec.inbound.length > 0);
    return instance?.spec.inbound[0]?.protocol ?? DEFAULT_PROTOCOL;
  }

  /** A dataplane without an inbound port (a gateway) cannot be called, so it is no endpoint. */
  #endpointOf(peer: Dataplane): Endpoint[] {
    const [inbound] = peer.spec.inbound;
    if (!inbound) return [];
    return [
      {
        service: peer.spec.service,
        dataplane: peer.metadata.name,
        address: peer.spec.address,
        port: inbound.port,
        tags: sortedTags(peer.spec.tags),
        identity: spiffeId(this.#spec.mtls.trustDomain, peer.metadata.namespace, peer.spec.service),
        // Health is judged by the calling proxy's active checks and outlier detection, not here.
        healthy: true,
      },
    ];
  }
}

function ofKind<K extends Kind>(resources: readonly Resource[], kind: K): ResourceOf<K>[] {
  return resources.filter((resource): resource is ResourceOf<K> => resource.kind === kind);
}

function applied<P extends { metadata: { name: string }; spec: unknown }>(
  policy: P | undefined,
): { name: string; spec: P["spec"] } | undefined {
  return policy && { name: policy.metadata.name, spec: policy.spec };
}

function withoutTargetRef<S extends { targetRef: unknown }>({
  targetRef: _,
  ...config
}: S): Omit<S, "targetRef"> {
  return config;
}

/** The route's own service plus every service its backends and mirrors name. */
function servicesNamedBy(route: TrafficRoute): string[] {
  return route.spec.rules.flatMap((rule) => [
    ...rule.backendRefs.map((backend) => backend.name ?? route.spec.targetRef.name),
    ...rule.filters.flatMap((filter) =>
      filter.type === "RequestMirror"
        ? [filter.requestMirror.backendRef.name ?? route.spec.targetRef.name]
        : [],
    ),
  ]);
}

/** Tags are written in any key order; sorted, equal tags always hash alike. */
function sortedTags(tags: Tags): Tags {
  return Object.fromEntries(Object.entries(tags).sort(([a], [b]) => compareText(a, b)));
}

function byDataplane(a: Endpoint, b: Endpoint): number {
  return compareText(a.dataplane, b.dataplane) || compareText(a.address, b.address) || a.port - b.port;
}

/** Code-unit order, not localeCompare: every replica must sort alike whatever its locale. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
