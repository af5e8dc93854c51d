import { readSnapshotEvent, type StreamEndpoints } from "@loom/proxy/xds-client";
import { snapshotSchema } from "@loom/spec";
import { describe, expect, it } from "vitest";
import {
  buildSnapshot,
  serializedSnapshotBuilder,
  snapshotBuilder,
} from "../../src/dataplane/build-snapshot.ts";
import { dataplane, resource } from "./fixtures.ts";

const TRUST_BUNDLE = "-----BEGIN CERTIFICATE-----\nroot\n-----END CERTIFICATE-----\n";

const web = dataplane("web-1", { service: "web", port: 8001, outbounds: [{ service: "cart", port: 7001 }] });
const cartV1 = dataplane("cart-1", { service: "cart", tags: { version: "v1" }, port: 8101 });
const cartV2 = dataplane("cart-2", { service: "cart", tags: { version: "v2" }, port: 8102 });
const shadow = dataplane("shadow-1", { service: "cart-shadow", port: 8201 });
const payments = dataplane("payments-1", { service: "payments", port: 8301 });
const gateway = dataplane("gw-1", { service: "cart", gateway: true });
const otherMesh = dataplane("cart-9", { service: "cart", port: 8109 }, "other");

const resources = [
  resource("Mesh", "default", { mtls: { mode: "strict", trustDomain: "shop.example" } }),
  resource("Service", "cart", { ports: [{ port: 8080, protocol: "grpc" }] }),
  resource("TrafficPermission", "mesh-wide", {
    targetRef: { kind: "Mesh" },
    from: [{ targetRef: { kind: "Mesh" }, action: "Allow" }],
  }),
  resource("TrafficPermission", "cart-only-web", {
    targetRef: { kind: "Service", name: "cart" },
    from: [{ targetRef: { kind: "Service", name: "web" }, action: "Allow" }],
  }),
  resource("TrafficPermission", "cart-v2-deny", {
    targetRef: { kind: "ServiceSubset", name: "cart", tags: { version: "v2" } },
    from: [{ targetRef: { kind: "Mesh" }, action: "Deny" }],
  }),
  resource("RateLimit", "payments-limit", { targetRef: { kind: "Service", name: "payments" }, requests: 10 }),
  resource("TrafficRoute", "cart-split", {
    targetRef: { kind: "Service", name: "cart" },
    rules: [
      {
        backendRefs: [
          { tags: { version: "v1" }, weight: 90 },
          { tags: { version: "v2" }, weight: 10 },
        ],
        filters: [{ type: "RequestMirror", requestMirror: { backendRef: { name: "cart-shadow" } } }],
      },
    ],
  }),
  resource("TrafficRoute", "cart-newer", {
    targetRef: { kind: "Service", name: "cart" },
    rules: [{ backendRefs: [{ name: "payments" }] }],
  }),
  resource("Timeout", "mesh-timeout", { targetRef: { kind: "Mesh" }, request: "5s" }),
  resource("Timeout", "cart-v1-timeout", {
    targetRef: { kind: "ServiceSubset", name: "cart", tags: { version: "v1" } },
    request: "1s",
  }),
  resource("Retry", "cart-retry", { targetRef: { kind: "Service", name: "cart" }, attempts: 2 }),
  resource("CircuitBreaker", "cart-cb", { targetRef: { kind: "Service", name: "cart" }, maxRequests: 5 }),
];
const online = [web, cartV1, cartV2, shadow, payments, gateway, otherMesh];

function build(overrides: Partial<Parameters<typeof buildSnapshot>[0]> = {}) {
  return buildSnapshot({
    resources,
    dataplanes: online,
    dataplane: web,
    trustBundle: TRUST_BUNDLE,
    ...overrides,
  });
}

describe("buildSnapshot", () => {
  it("produces what the proxy's strict schema accepts", () => {
    expect(() => snapshotSchema.parse(build())).not.toThrow();
    expect(() => snapshotSchema.parse(build({ dataplane: cartV2 }))).not.toThrow();
  });

  it("applies the most specific inbound policy that selects this instance", () => {
    expect(build({ dataplane: cartV2 }).inbound.trafficPermission?.name).toBe("cart-v2-deny");
    expect(build({ dataplane: cartV1 }).inbound.trafficPermission?.name).toBe("cart-only-web");
    expect(build().inbound.trafficPermission?.name).toBe("mesh-wide");
    expect(build().inbound.rateLimit).toBeUndefined();
    expect(build({ dataplane: payments }).inbound.rateLimit?.name).toBe("payments-limit");
  });

  it("gives each outbound its protocol, the oldest route in force, and the destination's policies", () => {
    const [cart] = build().outbounds;
    expect(cart).toMatchObject({ service: "cart", port: 7001, protocol: "grpc" });
    expect(cart?.route?.name).toBe("cart-split");
    expect(cart?.timeout).toEqual({
      name: "mesh-timeout",
      spec: { request: "5s", connect: "5s", idle: "1h" },
    });
    expect(cart?.retry?.name).toBe("cart-retry");
    expect(cart?.retry?.spec).not.toHaveProperty("targetRef");
    expect(cart?.circuitBreaker?.spec.maxRequests).toBe(5);
    expect(cart?.healthCheck).toBeUndefined();
  });

  it("lists online endpoints of the service, its route's backends and mirrors, with SPIFFE identities", () => {
    const [cart] = build().outbounds;
    expect(cart?.endpoints.map((endpoint) => endpoint.dataplane)).toEqual(["cart-1", "cart-2", "shadow-1"]);
    expect(cart?.endpoints[0]).toEqual({
      service: "cart",
      dataplane: "cart-1",
      address: "127.0.0.1",
      port: 8101,
      tags: { version: "v1" },
      identity: "spiffe://shop.example/ns/default/sa/cart",
      healthy: true,
    });
  });

  it("leaves out dataplanes that are not online, gateways, and other meshes", () => {
    const [cart] = build({ dataplanes: [web, cartV1] }).outbounds;
    expect(cart?.endpoints.map((endpoint) => endpoint.dataplane)).toEqual(["cart-1"]);
  });

  it("falls back to the instances' inbound protocol and the default mesh without Service and Mesh resources", () => {
    const snapshot = build({ resources: [] });
    expect(snapshot.outbounds[0]?.protocol).toBe("http");
    expect(snapshot.mesh.spec.mtls).toEqual({ mode: "permissive", trustDomain: "loom.local" });
    expect(snapshot.outbounds[0]?.endpoints[0]?.identity).toBe("spiffe://loom.local/ns/default/sa/cart");
  });

  it("sends no trust bundle when mTLS is off", () => {
    const meshOff = resource("Mesh", "default", { mtls: { mode: "off" } });
    expect(build({ resources: [meshOff] }).mesh.trustBundle).toBe("");
    expect(build().mesh.trustBundle).toBe(TRUST_BUNDLE);
  });

  describe("version", () => {
    it("does not depend on the order of its inputs", () => {
      expect(build({ resources: [...resources].reverse(), dataplanes: [...online].reverse() }).version).toBe(
        build().version,
      );
    });

    it("changes when an endpoint comes or goes, or a policy in force changes", () => {
      const base = build().version;
      const cartV3 = dataplane("cart-3", { service: "cart", tags: { version: "v3" }, port: 8103 });
      expect(build({ dataplanes: [...online, cartV3] }).version).not.toBe(base);
      expect(build({ dataplanes: online.filter((peer) => peer !== cartV2) }).version).not.toBe(base);
      const retry = resource("Retry", "cart-retry", {
        targetRef: { kind: "Service", name: "cart" },
        attempts: 4,
      });
      expect(
        build({ resources: [...resources.filter((r) => r.metadata.name !== "cart-retry"), retry] }).version,
      ).not.toBe(base);
    });

    it("does not depend on the key order tags were written in", () => {
      const reordered = dataplane("cart-1", {
        service: "cart",
        tags: { zone: "a", version: "v1" },
        port: 8101,
      });
      const sorted = dataplane("cart-1", { service: "cart", tags: { version: "v1", zone: "a" }, port: 8101 });
      expect(build({ dataplanes: [web, reordered] }).version).toBe(
        build({ dataplanes: [web, sorted] }).version,
      );
      expect(build({ dataplane: reordered }).version).toBe(build({ dataplane: sorted }).version);
    });

    it("is the same whether built alone or by a mesh-wide builder", () => {
      const build = snapshotBuilder({ resources, dataplanes: online, trustBundle: TRUST_BUNDLE });
      for (const instance of [web, cartV1, cartV2, payments]) {
        expect(build(instance)).toEqual(
          buildSnapshot({ resources, dataplanes: online, dataplane: instance, trustBundle: TRUST_BUNDLE }),
        );
      }
    });

    it("is sent as exactly the JSON of the snapshot, assembled from shared pieces", () => {
      const build = serializedSnapshotBuilder({ resources, dataplanes: online, trustBundle: TRUST_BUNDLE });
      for (const instance of [web, cartV1, cartV2, payments, gateway]) {
        const built = build(instance);
        expect(built.json()).toBe(JSON.stringify(built.snapshot()));
        expect(built.snapshot().version).toBe(built.version);
      }
    });

    it("is streamed with the endpoint lists the stream delivered before named by digest, and read back whole", () => {
      const state = { resources, dataplanes: online, trustBundle: TRUST_BUNDLE };
      const proxyHas: StreamEndpoints = new Map();
      const stream = (built: ReturnType<ReturnType<typeof serializedSnapshotBuilder>>, sent: Set<string>) => {
        const streamed = built.streamedJson(sent);
        expect(readSnapshotEvent(streamed.json, proxyHas)).toEqual({
          kind: "snapshot",
          version: built.version,
          snapshot: snapshotSchema.parse(built.snapshot()),
        });
        return { ...streamed, outbound: JSON.parse(streamed.json).outbounds[0] };
      };

      const first = stream(serializedSnapshotBuilder(state)(web), new Set());
      expect(first.outbound.endpoints).toHaveLength(3);
      const retryChanged = resource("Retry", "cart-retry", {
        targetRef: { kind: "Service", name: "cart" },
        attempts: 3,
      });
      const policyWrite = stream(
        serializedSnapshotBuilder({
          ...state,
          resources: [...resources.filter((r) => r.metadata.name !== "cart-retry"), retryChanged],
        })(web),
        first.endpointDigests,
      );
      expect(policyWrite.outbound).not.toHaveProperty("endpoints");
      expect(policyWrite.outbound.endpointsDigest).toBe(first.outbound.endpointsDigest);
      expect(policyWrite.json.length).toBeLessThan(first.json.length);
      const endpointGone = stream(
        serializedSnapshotBuilder({ ...state, dataplanes: online.filter((d) => d !== cartV2) })(web),
        policyWrite.endpointDigests,
      );
      expect(endpointGone.outbound.endpoints).toHaveLength(2);
      expect(endpointGone.outbound.endpointsDigest).not.toBe(first.outbound.endpointsDigest);

      // A proxy that lost track (a bug, a replayed event) is told so rather than applying a hollow snapshot.
      expect(readSnapshotEvent(policyWrite.json, new Map())).toMatchObject({ kind: "out-of-step" });
    });

    it("differs between two instances that differ only in an outbound's local port", () => {
      const other = dataplane("web-2", {
        service: "web",
        port: 8001,
        outbounds: [{ service: "cart", port: 7002 }],
      });
      const renamed = dataplane("web-1", {
        service: "web",
        port: 8001,
        outbounds: [{ service: "cart", port: 7002 }],
      });
      expect(build({ dataplane: renamed }).version).not.toBe(build().version);
      expect(build({ dataplane: renamed }).outbounds[0]).toMatchObject({ service: "cart", port: 7002 });
      expect(build({ dataplane: other }).version).not.toBe(build({ dataplane: renamed }).version);
    });

    it("stays when nothing this proxy sees changes", () => {
      const base = build().version;
      const unrelated = resource("RateLimit", "search-limit", {
        targetRef: { kind: "Service", name: "search" },
        requests: 5,
      });
      const searchInstance = dataplane("search-1", { service: "search", port: 8401 });
      expect(
        build({ resources: [...resources, unrelated], dataplanes: [...online, searchInstance] }).version,
      ).toBe(base);
    });
  });
});
