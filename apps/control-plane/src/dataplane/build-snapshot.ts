import { spiffeId } from "@loom/proxy/tls";
import {
  type Dataplane,
  type Endpoint,
  type Kind,
  meshSpecSchema,
  type Outbound,
  type OutboundSnapshot,
  type PolicyKind,
  type PolicyTarget,
  type Protocol,
  type Resource,
  type ResourceOf,
  resolvePrecedence,
  SNAPSHOT_FORMAT_VERSION,
  type Snapshot,
  type TrafficRoute,
} from "@loom/spec";
import { contentVersion } from "./content-version.ts";

export interface BuildSnapshotInput {
  /** The resources of the dataplane's mesh, its Mesh resource included (others are ignored). */
  resources: readonly Resource[];
  /** The dataplanes that are online (others are ignored): the endpoints peers may call. */
  dataplanes: readonly Dataplane[];
  /** The dataplane the snapshot is for. */
  dataplane: Dataplane;
  /** PEM roots of the mesh CA. */
  trustBundle: string;
}

const DEFAULT_PROTOCOL: Protocol = "http";

/**
 * Everything one proxy needs, and nothing it does not: its mesh settings, the inbound policies that select
 * this instance, and per outbound the route and policies in force and the endpoints it may call. Pure, so
 * the version (a digest of the content) is the same on every replica for the same inputs.
 */
export function buildSnapshot({
  resources,
  dataplanes,
  dataplane,
  trustBundle,
}: BuildSnapshotInput): Snapshot {
  const meshName = dataplane.metadata.mesh;
  const meshResource = resources.find(
    (resource) => resource.kind === "Mesh" && resource.metadata.name === meshName,
  );
  const meshSpec = meshResource?.kind === "Mesh" ? meshResource.spec : meshSpecSchema.parse({});
  const inMesh = resources.filter((resource) => resource.metadata.mesh === meshName);
  const peers = dataplanes.filter((peer) => peer.metadata.mesh === meshName);
  const self: PolicyTarget = { service: dataplane.spec.service, tags: dataplane.spec.tags };

  const content: Omit<Snapshot, "version"> = {
    formatVersion: SNAPSHOT_FORMAT_VERSION,
    dataplane: {
      name: dataplane.metadata.name,
      mesh: meshName,
      namespace: dataplane.metadata.namespace,
      service: dataplane.spec.service,
      tags: dataplane.spec.tags,
    },
    mesh: { name: meshName, spec: meshSpec, trustBundle: meshSpec.mtls.mode === "off" ? "" : trustBundle },
    inbound: {
      trafficPermission: applied(inForce(inMesh, "TrafficPermission", self)),
      rateLimit: applied(inForce(inMesh, "RateLimit", self)),
      faultInjection: applied(inForce(inMesh, "FaultInjection", self)),
    },
    outbounds: dataplane.spec.outbounds.map((outbound) =>
      buildOutbound(outbound, inMesh, peers, meshSpec.mtls.trustDomain),
    ),
  };
  return { ...content, version: contentVersion(content) };
}

function buildOutbound(
  outbound: Outbound,
  resources: readonly Resource[],
  peers: readonly Dataplane[],
  trustDomain: string,
): OutboundSnapshot {
  // Outbound policies concern the destination service as a whole, which no ServiceSubset selects.
  const destination: PolicyTarget = { service: outbound.service };
  const route = inForce(resources, "TrafficRoute", destination);
  const timeout = inForce(resources, "Timeout", destination);
  const retry = inForce(resources, "Retry", destination);
  const services = new Set([outbound.service, ...(route ? servicesNamedBy(route) : [])]);
  return {
    service: outbound.service,
    port: outbound.port,
    protocol: serviceProtocol(outbound.service, resources, peers),
    route: route && { name: route.metadata.name, rules: route.spec.rules },
    // The snapshot carries the Timeout and Retry configs alone: their targetRef was used up by precedence.
    timeout: timeout && { name: timeout.metadata.name, spec: withoutTargetRef(timeout.spec) },
    retry: retry && { name: retry.metadata.name, spec: withoutTargetRef(retry.spec) },
    circuitBreaker: applied(inForce(resources, "CircuitBreaker", destination)),
    healthCheck: applied(inForce(resources, "HealthCheck", destination)),
    endpoints: peers
      .filter((peer) => services.has(peer.spec.service))
      .flatMap((peer) => endpointOf(peer, trustDomain))
      .sort(byService),
  };
}

function ofKind<K extends Kind>(resources: readonly Resource[], kind: K): ResourceOf<K>[] {
  return resources.filter((resource): resource is ResourceOf<K> => resource.kind === kind);
}

function inForce<K extends PolicyKind>(
  resources: readonly Resource[],
  kind: K,
  target: PolicyTarget,
): ResourceOf<K> | undefined {
  return resolvePrecedence(ofKind(resources, kind), target).inForce;
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

/** The Service resource says; without one, what the service's instances declare on their inbound. */
function serviceProtocol(
  service: string,
  resources: readonly Resource[],
  peers: readonly Dataplane[],
): Protocol {
  const declared = ofKind(resources, "Service").find((resource) => resource.metadata.name === service);
  if (declared) return declared.spec.ports[0]?.protocol ?? DEFAULT_PROTOCOL;
  const instance = peers.find((peer) => peer.spec.service === service && peer.spec.inbound.length > 0);
  return instance?.spec.inbound[0]?.protocol ?? DEFAULT_PROTOCOL;
}

/** A dataplane without an inbound port (a gateway) cannot be called, so it is no endpoint. */
function endpointOf(peer: Dataplane, trustDomain: string): Endpoint[] {
  const [inbound] = peer.spec.inbound;
  if (!inbound) return [];
  return [
    {
      service: peer.spec.service,
      dataplane: peer.metadata.name,
      address: peer.spec.address,
      port: inbound.port,
      tags: peer.spec.tags,
      identity: spiffeId(trustDomain, peer.metadata.namespace, peer.spec.service),
      // Health is judged by the calling proxy's active checks and outlier detection, not here.
      healthy: true,
    },
  ];
}

/** By service, then dataplane, then address: the same order on every replica. */
function byService(a: Endpoint, b: Endpoint): number {
  const fieldsA = [a.service, a.dataplane, a.address, String(a.port)];
  const fieldsB = [b.service, b.dataplane, b.address, String(b.port)];
  for (const [index, fieldA] of fieldsA.entries()) {
    const fieldB = fieldsB[index] ?? "";
    if (fieldA !== fieldB) return fieldA < fieldB ? -1 : 1;
  }
  return 0;
}
