import { describe, expect, it } from "vitest";
import {
  ackRequestSchema,
  bootstrapSchema,
  DATAPLANE_API,
  METRICS,
  parseYamlDocument,
  registerRequestSchema,
  SNAPSHOT_FORMAT_VERSION,
  type SnapshotInput,
  snapshotSchema,
} from "../src/index.ts";
import { yaml } from "./helpers.ts";

const cartEndpoint = {
  service: "cart",
  dataplane: "cart-1",
  address: "127.0.0.1",
  port: 16000,
  tags: { version: "v2" },
  identity: "spiffe://loom.local/ns/default/sa/cart",
  healthy: true,
};

const snapshot: SnapshotInput = {
  formatVersion: SNAPSHOT_FORMAT_VERSION,
  version: "3f2a",
  dataplane: {
    name: "web-1",
    mesh: "default",
    namespace: "default",
    service: "web",
    tags: { version: "v1" },
  },
  mesh: { name: "default", spec: {}, trustBundle: "-----BEGIN CERTIFICATE-----" },
  inbound: {
    trafficPermission: {
      name: "web",
      spec: {
        targetRef: { kind: "Service", name: "web" },
        from: [{ targetRef: { kind: "Mesh" }, action: "Allow" }],
      },
    },
  },
  outbounds: [
    {
      service: "cart",
      port: 15001,
      protocol: "http",
      route: {
        name: "cart",
        rules: [{ backendRefs: [{ tags: { version: "v2" } }], timeout: { request: "1s" } }],
      },
      retry: { name: "default", spec: {} },
      endpoints: [cartEndpoint],
    },
  ],
};

const issuesOf = (result: {
  success: boolean;
  error?: { issues: { path: PropertyKey[]; message: string }[] };
}) => result.error?.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);

describe("snapshot", () => {
  it("accepts a full snapshot and fills policy defaults, leaving rule overrides partial", () => {
    const parsed = snapshotSchema.parse(snapshot);
    expect(parsed.mesh.spec.mtls).toEqual({ mode: "permissive", trustDomain: "loom.local" });
    expect(parsed.outbounds[0]?.retry?.spec.attempts).toBe(3);
    expect(parsed.outbounds[0]?.route?.rules[0]?.timeout).toEqual({ request: "1s" });
  });

  it("tolerates fields a newer control plane adds at the protocol level", () => {
    expect(snapshotSchema.safeParse({ ...snapshot, addedLater: true }).success).toBe(true);
  });

  it("refuses an endpoint without an identity", () => {
    const { identity: _, ...anonymous } = cartEndpoint;
    const broken = { ...snapshot, outbounds: [{ ...snapshot.outbounds[0], endpoints: [anonymous] }] };
    expect(issuesOf(snapshotSchema.safeParse(broken))).toEqual([
      "outbounds.0.endpoints.0.identity: is required",
    ]);
  });
});

describe("bootstrap", () => {
  const dataplane = { service: "web", inbound: [{ port: 15000, appPort: 8080 }] };
  const controlPlane = { url: "https://127.0.0.1:5681", tokenFile: "/run/loom/token" };

  it("accepts a managed bootstrap and fills its defaults", () => {
    expect(bootstrapSchema.parse({ name: "web-1", dataplane, adminPort: 9901, controlPlane })).toEqual({
      name: "web-1",
      mesh: "default",
      namespace: "default",
      dataplane: {
        ...dataplane,
        tags: {},
        address: "127.0.0.1",
        outbounds: [],
        gateway: false,
        inbound: [{ ...dataplane.inbound[0], protocol: "http" }],
      },
      adminPort: 9901,
      controlPlane,
      tracing: {},
      accessLog: false,
    });
  });

  it("accepts a standalone bootstrap with a snapshot", () => {
    expect(bootstrapSchema.safeParse({ name: "web-1", dataplane, adminPort: 9901, snapshot }).success).toBe(
      true,
    );
  });

  it("refuses both a control plane and a snapshot", () => {
    const result = bootstrapSchema.safeParse({
      name: "web-1",
      dataplane,
      adminPort: 9901,
      controlPlane,
      snapshot,
    });
    expect(issuesOf(result)).toEqual([
      "snapshot: cannot be combined with controlPlane: a proxy is either managed or standalone",
    ]);
  });

  it("refuses neither a control plane nor a snapshot", () => {
    const result = bootstrapSchema.safeParse({ name: "web-1", dataplane, adminPort: 9901 });
    expect(issuesOf(result)).toEqual([
      ": needs controlPlane (managed by a control plane) or snapshot (standalone)",
    ]);
  });

  it("refuses a control plane without a token, and a bad URL", () => {
    const result = bootstrapSchema.safeParse({
      name: "web-1",
      dataplane,
      adminPort: 9901,
      controlPlane: { url: "cp:5681" },
    });
    expect(issuesOf(result)).toEqual([
      "controlPlane.url: must be an http(s) URL such as https://host:port",
      "controlPlane: needs token or tokenFile",
    ]);
    const tokenless = bootstrapSchema.safeParse({
      name: "web-1",
      dataplane,
      adminPort: 9901,
      controlPlane: { url: "https://cp:5681" },
    });
    expect(issuesOf(tokenless)).toEqual(["controlPlane: needs token or tokenFile"]);
  });

  it("reads from YAML with lines in its errors", () => {
    const text = yaml`
      name: web-1
      adminPort: 9901
      dataplane:
        service: web
      controlPlane:
        url: https://127.0.0.1:5681
        tokenFile: /run/loom/token
        tokenFiel: /tmp/x
    `;
    expect(
      parseYamlDocument(text, bootstrapSchema, { source: "bootstrap.yaml" }).errors.map(
        (error) => error.formatted,
      ),
    ).toEqual([
      `(bootstrap.yaml line 8) controlPlane: unknown field "tokenFiel" (did you mean "tokenFile"?)`,
    ]);
    const neither = parseYamlDocument(
      "name: web-1\nadminPort: 9901\ndataplane: { service: web }\n",
      bootstrapSchema,
    );
    expect(neither.errors.map((error) => error.formatted)).toEqual([
      "(line 1) needs controlPlane (managed by a control plane) or snapshot (standalone)",
    ]);
    expect(
      parseYamlDocument("", bootstrapSchema, { source: "b.yaml" }).errors.map((error) => error.formatted),
    ).toEqual(["(b.yaml) is empty"]);
    expect(
      parseYamlDocument("a: 1\n---\nb: 2\n", bootstrapSchema).errors.map((error) => error.formatted),
    ).toEqual(["(line 3) must hold one document, not several"]);
  });
});

describe("data-plane messages", () => {
  it("register fills mesh and namespace as metadata does", () => {
    const request = registerRequestSchema.parse({ name: "web-1", spec: { service: "web" }, adminPort: 9901 });
    expect(request).toMatchObject({ name: "web-1", mesh: "default", namespace: "default" });
  });

  it("an ACK needs no error and a NACK needs one", () => {
    expect(ackRequestSchema.safeParse({ dataplaneId: "d", version: "v", ok: true }).success).toBe(true);
    expect(issuesOf(ackRequestSchema.safeParse({ dataplaneId: "d", version: "v", ok: false }))).toEqual([
      "error: is required",
    ]);
  });

  it("paths and metric names stay fixed", () => {
    expect(DATAPLANE_API.stream).toBe("/dp/v1/stream");
    expect(METRICS.requests.name).toBe("loom_requests_total");
    expect(new Set(Object.values(METRICS).map((metric) => metric.name)).size).toBe(
      Object.keys(METRICS).length,
    );
  });
});
