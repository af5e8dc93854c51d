import { describe, expect, it } from "vitest";
import { parseResources, type Resource, stringifyResources, withDefaults } from "../src/index.ts";
import { yaml } from "./helpers.ts";

const EVERY_KIND = yaml`
  kind: Mesh
  metadata: { name: default }
  spec: { mtls: { mode: strict } }
  ---
  kind: Service
  metadata: { name: cart, labels: { app.kubernetes.io/name: cart } }
  spec: { ports: [{ port: 8080 }] }
  ---
  kind: Dataplane
  metadata: { name: cart-1 }
  spec: { service: cart, tags: { version: "1.0" }, inbound: [{ port: 15000, appPort: 8080 }] }
  ---
  kind: TrafficRoute
  metadata: { name: cart }
  spec:
    targetRef: { kind: Service, name: cart }
    rules:
      - matches: [{ headers: [{ name: x-canary, value: "yes" }] }]
        backendRefs: [{ tags: { version: v2 } }]
      - backendRefs: [{ tags: { version: v1 }, weight: 9 }, { tags: { version: v2 }, weight: 1 }]
        timeout: { request: 1s }
  ---
  kind: TrafficPermission
  metadata: { name: cart }
  spec:
    targetRef: { kind: Service, name: cart }
    from: [{ targetRef: { kind: Mesh }, action: Allow }]
  ---
  kind: RateLimit
  metadata: { name: cart }
  spec: { targetRef: { kind: Service, name: cart }, requests: 5 }
  ---
  kind: CircuitBreaker
  metadata: { name: cart }
  spec: { targetRef: { kind: Mesh }, outlierDetection: {} }
  ---
  kind: FaultInjection
  metadata: { name: cart }
  spec: { targetRef: { kind: Mesh }, abort: { percentage: 0.5, httpStatus: 500 } }
  ---
  kind: HealthCheck
  metadata: { name: cart }
  spec: { targetRef: { kind: Mesh }, path: /healthz }
  ---
  kind: Retry
  metadata: { name: cart }
  spec: { targetRef: { kind: Mesh } }
  ---
  kind: Timeout
  metadata: { name: cart, creationTimestamp: "2026-01-02T03:04:05+02:00" }
  spec: { targetRef: { kind: Mesh } }
  ---
  kind: Rollout
  metadata: { name: cart }
  spec:
    targetRef: { kind: Service, name: cart }
    stable: { tags: { version: v1 } }
    canary: { tags: { version: v2 } }
    steps: [{ canaryWeight: 10 }, { canaryWeight: 100, hold: 0s }]
`;

describe("round trip", () => {
  const { resources, errors } = parseResources(EVERY_KIND);

  it("reads one resource of every kind", () => {
    expect(errors).toEqual([]);
    expect(resources.map((resource) => resource.kind)).toEqual([
      "Mesh",
      "Service",
      "Dataplane",
      "TrafficRoute",
      "TrafficPermission",
      "RateLimit",
      "CircuitBreaker",
      "FaultInjection",
      "HealthCheck",
      "Retry",
      "Timeout",
      "Rollout",
    ]);
  });

  it("reads back what it writes", () => {
    const text = stringifyResources(resources);
    expect(parseResources(text)).toEqual({ resources, errors: [] });
    expect(stringifyResources(parseResources(text).resources)).toBe(text);
  });

  it("keeps strings that look like numbers or booleans strings", () => {
    const text = stringifyResources(resources);
    const dataplane = parseResources(text).resources.find((resource) => resource.kind === "Dataplane");
    expect(dataplane?.spec.tags).toEqual({ version: "1.0" });
    expect(text).toContain('version: "1.0"');
  });

  it("writes a resource as written, without defaults, and reads it back with them", () => {
    const written = {
      kind: "RateLimit",
      metadata: { name: "cart" },
      spec: { targetRef: { kind: "Mesh" }, requests: 5 },
    };
    const text = stringifyResources([written as Resource]);
    expect(text).toBe(yaml`
      kind: RateLimit
      metadata:
        name: cart
      spec:
        targetRef:
          kind: Mesh
        requests: 5
    `);
    expect(parseResources(text).resources).toEqual([withDefaults(written as Resource)]);
  });

  it("writes an empty set as empty text", () => {
    expect(stringifyResources([])).toBe("");
    expect(parseResources(stringifyResources([]))).toEqual({ resources: [], errors: [] });
  });
});

describe("withDefaults", () => {
  it("fills defaults and is idempotent", () => {
    const route = withDefaults({
      kind: "TrafficRoute",
      metadata: { name: "cart" },
      spec: { targetRef: { kind: "Service", name: "cart" }, rules: [{ backendRefs: [{}] }] },
    });
    expect(route.spec.rules[0]?.backendRefs).toEqual([{ tags: {}, weight: 1 }]);
    expect(withDefaults(route)).toEqual(route);
  });

  it("throws every error at once, formatted, when the resource is invalid", () => {
    expect(() =>
      withDefaults({
        kind: "RateLimit",
        metadata: { name: "cart" },
        spec: { targetRef: { kind: "Mesh" }, requests: 0, burst: -1 },
      }),
    ).toThrow(
      'RateLimit "cart" spec.requests: must be at least 1\nRateLimit "cart" spec.burst: must not be negative',
    );
  });
});

describe("errors", () => {
  it("are plain values with kind, name, source, line, path and message", () => {
    const { errors } = parseResources(
      "kind: Retry\nmetadata: { name: cart }\nspec:\n  targetRef: { kind: Mesh }\n  attempts: 0\n",
      {
        source: "retry.yaml",
      },
    );
    expect(errors).toEqual([
      {
        kind: "Retry",
        name: "cart",
        source: "retry.yaml",
        line: 5,
        path: "spec.attempts",
        message: "must be at least 1",
        formatted: 'Retry "cart" (retry.yaml line 5) spec.attempts: must be at least 1',
      },
    ]);
    expect(JSON.parse(JSON.stringify(errors))).toEqual(errors);
  });

  it("quote keys that are not identifiers in paths", () => {
    const { errors } = parseResources(yaml`
      kind: Service
      metadata:
        name: cart
        labels:
          app.kubernetes.io/version: 2
      spec: { ports: [{ port: 80 }] }
    `);
    expect(errors.map((error) => error.formatted)).toEqual([
      `Service "cart" (line 5) metadata.labels["app.kubernetes.io/version"]: expected a string, got a number`,
    ]);
  });

  it("point at the nearest existing ancestor when the field is missing", () => {
    const { errors } = parseResources(yaml`
      kind: TrafficRoute
      metadata: { name: cart }
      spec:
        targetRef: { kind: Service, name: cart }
        rules:
          - matches: []
    `);
    expect(errors.map((error) => error.formatted)).toEqual([
      `TrafficRoute "cart" (line 6) spec.rules[0].backendRefs: is required`,
    ]);
  });

  it("follow YAML aliases to their anchors", () => {
    const { errors } = parseResources(yaml`
      kind: TrafficRoute
      metadata: { name: cart }
      spec:
        targetRef: { kind: Service, name: cart }
        rules:
          - backendRefs: &backends
              - { weight: -1 }
          - backendRefs: *backends
    `);
    expect(errors.map((error) => error.formatted)).toEqual([
      `TrafficRoute "cart" (line 7) spec.rules[0].backendRefs[0].weight: must not be negative`,
      `TrafficRoute "cart" (line 7) spec.rules[1].backendRefs[0].weight: must not be negative`,
    ]);
  });
});
