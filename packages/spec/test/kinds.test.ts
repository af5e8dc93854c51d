import { describe, expect, it } from "vitest";
import { messagesOf, parseValid, yaml } from "./helpers.ts";

const defaultMetadata = (name: string) => ({ name, mesh: "default", namespace: "default", labels: {} });

describe("Mesh", () => {
  it("fills every default from a minimal mesh", () => {
    expect(
      parseValid(yaml`
      kind: Mesh
      metadata: { name: default }
      spec: {}
    `),
    ).toEqual({
      kind: "Mesh",
      metadata: defaultMetadata("default"),
      spec: {
        mtls: { mode: "permissive", trustDomain: "loom.local" },
        defaultTrafficPermission: "Allow",
        tracing: { samplingRate: 0.1 },
      },
    });
  });

  it("keeps every field of a full mesh", () => {
    const mesh = parseValid(yaml`
      kind: Mesh
      metadata:
        name: prod
        labels: { team: platform }
        resourceVersion: "7"
        creationTimestamp: "2026-01-02T03:04:05Z"
      spec:
        mtls: { mode: strict, trustDomain: prod.example.com }
        defaultTrafficPermission: Deny
        tracing: { samplingRate: 1 }
    `);
    expect(mesh.metadata).toEqual({
      ...defaultMetadata("prod"),
      labels: { team: "platform" },
      resourceVersion: "7",
      creationTimestamp: "2026-01-02T03:04:05Z",
    });
    expect(mesh.spec).toEqual({
      mtls: { mode: "strict", trustDomain: "prod.example.com" },
      defaultTrafficPermission: "Deny",
      tracing: { samplingRate: 1 },
    });
  });

  it("refuses a bad mode, sampling rate, trust domain and name", () => {
    expect(
      messagesOf(yaml`
      kind: Mesh
      metadata: { name: Prod }
      spec:
        mtls:
          mode: on
          trustDomain: Loom_Local
        tracing: { samplingRate: 1.5 }
    `),
    ).toEqual([
      `Mesh "Prod" (line 2) metadata.name: must be lowercase letters, digits and '-', starting and ending with a letter or digit`,
      `Mesh "Prod" (line 5) spec.mtls.mode: must be one of "off", "permissive", "strict"`,
      `Mesh "Prod" (line 6) spec.mtls.trustDomain: must be a DNS-like name such as loom.local`,
      `Mesh "Prod" (line 7) spec.tracing.samplingRate: must be between 0 and 1`,
    ]);
  });

  it("refuses mtls written as a mode instead of a mapping, and a name too long", () => {
    expect(
      messagesOf(yaml`
      kind: Mesh
      metadata:
        name: ${"m".repeat(64)}
      spec:
        mtls: strict
    `),
    ).toEqual([
      `Mesh "${"m".repeat(64)}" (line 3) metadata.name: must be at most 63 characters long`,
      `Mesh "${"m".repeat(64)}" (line 5) spec.mtls: expected a mapping, got a string`,
    ]);
  });

  it("refuses an unknown default permission", () => {
    expect(
      messagesOf(yaml`
      kind: Mesh
      metadata: { name: prod }
      spec: { defaultTrafficPermission: allow }
    `),
    ).toEqual([
      `Mesh "prod" (line 3) spec.defaultTrafficPermission: must be one of "Allow", "Deny" (did you mean "Allow"?)`,
    ]);
  });
});

describe("Service", () => {
  it("fills the port protocol", () => {
    expect(
      parseValid(yaml`
      kind: Service
      metadata: { name: cart }
      spec:
        ports: [{ port: 8080 }]
    `),
    ).toEqual({
      kind: "Service",
      metadata: defaultMetadata("cart"),
      spec: { ports: [{ port: 8080, protocol: "http" }] },
    });
  });

  it("keeps every field of a full service", () => {
    expect(
      parseValid(yaml`
        kind: Service
        metadata: { name: cart, mesh: prod, namespace: shop }
        spec:
          ports:
            - { name: web, port: 8080, protocol: http2 }
            - { name: rpc, port: 9090, protocol: grpc }
            - { name: db, port: 5432, protocol: tcp }
      `).spec,
    ).toEqual({
      ports: [
        { name: "web", port: 8080, protocol: "http2" },
        { name: "rpc", port: 9090, protocol: "grpc" },
        { name: "db", port: 5432, protocol: "tcp" },
      ],
    });
  });

  it("refuses no ports", () => {
    expect(
      messagesOf(yaml`
      kind: Service
      metadata: { name: cart }
      spec: { ports: [] }
    `),
    ).toEqual([`Service "cart" (line 3) spec.ports: needs at least one port`]);
  });

  it("refuses a repeated port", () => {
    expect(
      messagesOf(yaml`
      kind: Service
      metadata: { name: cart }
      spec:
        ports:
          - port: 8080
          - port: 8080
    `),
    ).toEqual([`Service "cart" (line 6) spec.ports[1].port: 8080 is already listed at ports[0]`]);
  });

  it("refuses an out-of-range port, a fractional one and a missing spec", () => {
    expect(
      messagesOf(yaml`
      kind: Service
      metadata: { name: cart }
      spec:
        ports:
          - port: 70000
          - port: 80.5
      ---
      kind: Service
      metadata: { name: orders }
    `),
    ).toEqual([
      `Service "cart" (line 5) spec.ports[0].port: must be a port (1-65535)`,
      `Service "cart" (line 6) spec.ports[1].port: must be an integer`,
      `Service "orders" (line 8) spec: is required`,
    ]);
  });
});

describe("Dataplane", () => {
  it("fills tags, address, listeners and gateway", () => {
    expect(
      parseValid(yaml`
      kind: Dataplane
      metadata: { name: cart-1 }
      spec: { service: cart }
    `),
    ).toEqual({
      kind: "Dataplane",
      metadata: defaultMetadata("cart-1"),
      spec: { service: "cart", tags: {}, address: "127.0.0.1", inbound: [], outbounds: [], gateway: false },
    });
  });

  it("keeps every field of a full dataplane", () => {
    expect(
      parseValid(yaml`
        kind: Dataplane
        metadata: { name: cart-1 }
        spec:
          service: cart
          tags: { version: v2, zone: a }
          address: 10.0.0.7
          inbound:
            - { port: 15000, appPort: 8080, protocol: grpc }
          outbounds:
            - { service: orders, port: 15001 }
          gateway: true
      `).spec,
    ).toEqual({
      service: "cart",
      tags: { version: "v2", zone: "a" },
      address: "10.0.0.7",
      inbound: [{ port: 15000, appPort: 8080, protocol: "grpc" }],
      outbounds: [{ service: "orders", port: 15001 }],
      gateway: true,
    });
  });

  it("refuses a missing service and a missing app port", () => {
    expect(
      messagesOf(yaml`
      kind: Dataplane
      metadata: { name: cart-1 }
      spec:
        inbound:
          - port: 15000
    `),
    ).toEqual([
      `Dataplane "cart-1" (line 3) spec.service: is required`,
      `Dataplane "cart-1" (line 5) spec.inbound[0].appPort: is required`,
    ]);
  });

  it("refuses a port two listeners would bind", () => {
    expect(
      messagesOf(yaml`
      kind: Dataplane
      metadata: { name: cart-1 }
      spec:
        service: cart
        inbound: [{ port: 15000, appPort: 8080 }]
        outbounds:
          - { service: orders, port: 15001 }
          - { service: payments, port: 15000 }
    `),
    ).toEqual([`Dataplane "cart-1" (line 8) spec.outbounds[1].port: 15000 is already used by inbound[0]`]);
  });

  it("refuses tags that are not strings and a gateway flag that is not a boolean", () => {
    expect(
      messagesOf(yaml`
      kind: Dataplane
      metadata: { name: cart-1 }
      spec:
        service: cart
        tags:
          version: 2
        gateway: "yes"
    `),
    ).toEqual([
      `Dataplane "cart-1" (line 6) spec.tags.version: expected a string, got a number`,
      `Dataplane "cart-1" (line 7) spec.gateway: expected true or false, got a string`,
    ]);
  });
});

describe("TrafficRoute", () => {
  it("fills matches, filters and backend weights", () => {
    expect(
      parseValid(yaml`
      kind: TrafficRoute
      metadata: { name: cart }
      spec:
        targetRef: { kind: Service, name: cart }
        rules:
          - backendRefs: [{ tags: { version: v1 } }]
    `),
    ).toEqual({
      kind: "TrafficRoute",
      metadata: defaultMetadata("cart"),
      spec: {
        targetRef: { kind: "Service", name: "cart" },
        rules: [{ matches: [], backendRefs: [{ tags: { version: "v1" }, weight: 1 }], filters: [] }],
      },
    });
  });

  it("keeps every field of a full route, and rule overrides stay partial", () => {
    expect(
      parseValid(yaml`
        kind: TrafficRoute
        metadata: { name: cart }
        spec:
          targetRef: { kind: Service, name: cart }
          rules:
            - matches:
                - path: { type: Exact, value: /checkout }
                  method: POST
                  headers: [{ name: x-canary, value: "true" }]
              backendRefs:
                - { tags: { version: v1 }, weight: 90 }
                - { name: cart-next, weight: 10 }
              filters:
                - type: RequestHeaderModifier
                  requestHeaderModifier: { set: [{ name: x-route, value: checkout }], remove: [x-debug] }
                - type: RequestMirror
                  requestMirror: { backendRef: { tags: { version: v2 } }, percent: 5 }
              timeout: { request: 2s }
              retry: { attempts: 2 }
      `).spec,
    ).toEqual({
      targetRef: { kind: "Service", name: "cart" },
      rules: [
        {
          matches: [
            {
              path: { type: "Exact", value: "/checkout" },
              method: "POST",
              headers: [{ type: "Exact", name: "x-canary", value: "true" }],
            },
          ],
          backendRefs: [
            { tags: { version: "v1" }, weight: 90 },
            { name: "cart-next", tags: {}, weight: 10 },
          ],
          filters: [
            {
              type: "RequestHeaderModifier",
              requestHeaderModifier: {
                set: [{ name: "x-route", value: "checkout" }],
                add: [],
                remove: ["x-debug"],
              },
            },
            { type: "RequestMirror", requestMirror: { backendRef: { tags: { version: "v2" } }, percent: 5 } },
          ],
          timeout: { request: "2s" },
          retry: { attempts: 2 },
        },
      ],
    });
  });

  it("refuses backends whose weights are all 0", () => {
    expect(
      messagesOf(yaml`
      kind: TrafficRoute
      metadata:
        name: cart
      spec:
        targetRef: { kind: Service, name: cart }
        rules:
          - backendRefs:
              - { tags: { version: v1 }, weight: 0 }
              - { tags: { version: v2 }, weight: 0 }
    `),
    ).toEqual([
      `TrafficRoute "cart" (line 7) spec.rules[0].backendRefs: at least one backend needs a weight above 0`,
    ]);
  });

  it("refuses a mesh-wide target, empty rules and a path without a slash", () => {
    expect(
      messagesOf(yaml`
      kind: TrafficRoute
      metadata: { name: cart }
      spec:
        targetRef: { kind: Mesh }
        rules: []
      ---
      kind: TrafficRoute
      metadata: { name: orders }
      spec:
        targetRef: { kind: Service, name: orders }
        rules:
          - matches: [{ path: { value: checkout } }]
            backendRefs: [{}]
    `),
    ).toEqual([
      `TrafficRoute "cart" (line 4) spec.targetRef.kind: must be "Service"`,
      `TrafficRoute "cart" (line 5) spec.rules: needs at least one rule`,
      `TrafficRoute "orders" (line 12) spec.rules[0].matches[0].path.value: must start with "/"`,
    ]);
  });

  it("refuses an unknown filter type and a misspelt override field", () => {
    expect(
      messagesOf(yaml`
      kind: TrafficRoute
      metadata: { name: cart }
      spec:
        targetRef: { kind: Service, name: cart }
        rules:
          - backendRefs: [{}]
            filters: [{ type: Redirect }]
            retry:
              atempts: 2
    `),
    ).toEqual([
      `TrafficRoute "cart" (line 7) spec.rules[0].filters[0].type: must be one of "RequestHeaderModifier", "ResponseHeaderModifier", "RequestMirror"`,
      `TrafficRoute "cart" (line 9) spec.rules[0].retry: unknown field "atempts" (did you mean "attempts"?)`,
    ]);
  });
});

describe("TrafficPermission", () => {
  it("fills the match lists", () => {
    expect(
      parseValid(yaml`
      kind: TrafficPermission
      metadata: { name: cart-callers }
      spec:
        targetRef: { kind: Service, name: cart }
        from:
          - targetRef: { kind: Service, name: web }
            action: Allow
            match: {}
    `).spec,
    ).toEqual({
      targetRef: { kind: "Service", name: "cart" },
      from: [
        { targetRef: { kind: "Service", name: "web" }, action: "Allow", match: { methods: [], paths: [] } },
      ],
    });
  });

  it("keeps every field of a full permission", () => {
    expect(
      parseValid(yaml`
        kind: TrafficPermission
        metadata: { name: cart-callers }
        spec:
          targetRef: { kind: ServiceSubset, name: cart, tags: { version: v2 } }
          from:
            - targetRef: { kind: Service, name: web }
              action: Allow
              match: { methods: [GET, POST], paths: [/cart] }
            - targetRef: { kind: Mesh }
              action: Deny
      `).spec,
    ).toEqual({
      targetRef: { kind: "ServiceSubset", name: "cart", tags: { version: "v2" } },
      from: [
        {
          targetRef: { kind: "Service", name: "web" },
          action: "Allow",
          match: { methods: ["GET", "POST"], paths: ["/cart"] },
        },
        { targetRef: { kind: "Mesh" }, action: "Deny" },
      ],
    });
  });

  it("refuses an empty from list", () => {
    expect(
      messagesOf(yaml`
      kind: TrafficPermission
      metadata: { name: cart-callers }
      spec:
        targetRef: { kind: Service, name: cart }
        from: []
    `),
    ).toEqual([`TrafficPermission "cart-callers" (line 5) spec.from: needs at least one rule`]);
  });

  it("refuses a missing action, a lowercase method and a subset caller", () => {
    expect(
      messagesOf(yaml`
      kind: TrafficPermission
      metadata: { name: cart-callers }
      spec:
        targetRef: { kind: Service, name: cart }
        from:
          - targetRef: { kind: ServiceSubset, name: web, tags: { version: v1 } }
            match: { methods: [get] }
    `),
    ).toEqual([
      `TrafficPermission "cart-callers" (line 6) spec.from[0].targetRef.kind: must be one of "Mesh", "Service"`,
      `TrafficPermission "cart-callers" (line 6) spec.from[0].action: is required; it must be one of "Allow", "Deny"`,
      `TrafficPermission "cart-callers" (line 7) spec.from[0].match.methods[0]: must be one of "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE" (did you mean "GET"?)`,
    ]);
  });

  it("refuses a ServiceSubset without tags", () => {
    expect(
      messagesOf(yaml`
      kind: TrafficPermission
      metadata: { name: cart-callers }
      spec:
        targetRef: { kind: ServiceSubset, name: cart, tags: {} }
        from: [{ targetRef: { kind: Mesh }, action: Allow }]
    `),
    ).toEqual([`TrafficPermission "cart-callers" (line 4) spec.targetRef.tags: must name at least one tag`]);
  });
});

describe("RateLimit", () => {
  it("fills interval, burst and the rejection status", () => {
    expect(
      parseValid(yaml`
      kind: RateLimit
      metadata: { name: cart }
      spec:
        targetRef: { kind: Service, name: cart }
        requests: 100
    `).spec,
    ).toEqual({
      targetRef: { kind: "Service", name: "cart" },
      requests: 100,
      interval: "1s",
      burst: 0,
      onRateLimit: { status: 429 },
    });
  });

  it("keeps every field of a full rate limit", () => {
    expect(
      parseValid(yaml`
        kind: RateLimit
        metadata: { name: cart }
        spec:
          targetRef: { kind: Mesh }
          from: [{ targetRef: { kind: Service, name: web } }]
          requests: 10
          interval: 1m
          burst: 5
          onRateLimit: { status: 503 }
      `).spec,
    ).toEqual({
      targetRef: { kind: "Mesh" },
      from: [{ targetRef: { kind: "Service", name: "web" } }],
      requests: 10,
      interval: "1m",
      burst: 5,
      onRateLimit: { status: 503 },
    });
  });

  it("refuses a missing request count", () => {
    expect(
      messagesOf(yaml`
      kind: RateLimit
      metadata: { name: cart }
      spec:
        targetRef: { kind: Mesh }
    `),
    ).toEqual([`RateLimit "cart" (line 3) spec.requests: is required`]);
  });

  it("refuses zero requests, a negative burst and a success status", () => {
    expect(
      messagesOf(yaml`
      kind: RateLimit
      metadata: { name: cart }
      spec:
        targetRef: { kind: Mesh }
        requests: 0
        burst: -1
        onRateLimit: { status: 200 }
    `),
    ).toEqual([
      `RateLimit "cart" (line 5) spec.requests: must be at least 1`,
      `RateLimit "cart" (line 6) spec.burst: must not be negative`,
      `RateLimit "cart" (line 7) spec.onRateLimit.status: must be an HTTP error status (400-599)`,
    ]);
  });

  it("refuses a request count written as text and a bad interval", () => {
    expect(
      messagesOf(yaml`
      kind: RateLimit
      metadata: { name: cart }
      spec:
        targetRef: { kind: Mesh }
        requests: ten
        interval: 1 minute
    `),
    ).toEqual([
      `RateLimit "cart" (line 5) spec.requests: expected a number, got a string`,
      `RateLimit "cart" (line 6) spec.interval: must be a duration such as "250ms", "10s", "5m" or "1h"`,
    ]);
  });
});

describe("CircuitBreaker", () => {
  it("fills the limits", () => {
    expect(
      parseValid(yaml`
      kind: CircuitBreaker
      metadata: { name: cart }
      spec:
        targetRef: { kind: Service, name: cart }
    `).spec,
    ).toEqual({
      targetRef: { kind: "Service", name: "cart" },
      maxConnections: 1024,
      maxPendingRequests: 1024,
      maxRequests: 1024,
    });
  });

  it("keeps every field of a full circuit breaker and fills outlier detection", () => {
    expect(
      parseValid(yaml`
        kind: CircuitBreaker
        metadata: { name: cart }
        spec:
          targetRef: { kind: Service, name: cart }
          maxConnections: 10
          maxPendingRequests: 20
          maxRequests: 30
          outlierDetection: { consecutive5xx: 2 }
      `).spec,
    ).toEqual({
      targetRef: { kind: "Service", name: "cart" },
      maxConnections: 10,
      maxPendingRequests: 20,
      maxRequests: 30,
      outlierDetection: {
        consecutive5xx: 2,
        consecutiveGatewayErrors: 3,
        interval: "10s",
        baseEjectionTime: "30s",
        maxEjectionPercent: 50,
      },
    });
  });

  it("refuses zero connections and an ejection share above 100", () => {
    expect(
      messagesOf(yaml`
      kind: CircuitBreaker
      metadata: { name: cart }
      spec:
        targetRef: { kind: Service, name: cart }
        maxConnections: 0
        outlierDetection:
          maxEjectionPercent: 150
    `),
    ).toEqual([
      `CircuitBreaker "cart" (line 5) spec.maxConnections: must be at least 1`,
      `CircuitBreaker "cart" (line 7) spec.outlierDetection.maxEjectionPercent: must be between 0 and 100`,
    ]);
  });

  it("refuses a missing targetRef", () => {
    expect(
      messagesOf(yaml`
      kind: CircuitBreaker
      metadata: { name: cart }
      spec: { maxRequests: 5 }
    `),
    ).toEqual([`CircuitBreaker "cart" (line 3) spec.targetRef: is required`]);
  });

  it("refuses a bad ejection time and an unknown targetRef kind", () => {
    expect(
      messagesOf(yaml`
      kind: CircuitBreaker
      metadata: { name: cart }
      spec:
        targetRef: { kind: Services, name: cart }
        outlierDetection: { baseEjectionTime: 30 }
    `),
    ).toEqual([
      `CircuitBreaker "cart" (line 4) spec.targetRef.kind: must be one of "Mesh", "Service", "ServiceSubset" (did you mean "Service"?)`,
      `CircuitBreaker "cart" (line 5) spec.outlierDetection.baseEjectionTime: expected a string, got a number`,
    ]);
  });
});

describe("FaultInjection", () => {
  it("accepts a minimal delay", () => {
    expect(
      parseValid(yaml`
      kind: FaultInjection
      metadata: { name: slow-cart }
      spec:
        targetRef: { kind: Service, name: cart }
        delay: { percentage: 10, value: 500ms }
    `),
    ).toEqual({
      kind: "FaultInjection",
      metadata: defaultMetadata("slow-cart"),
      spec: { targetRef: { kind: "Service", name: "cart" }, delay: { percentage: 10, value: "500ms" } },
    });
  });

  it("keeps every field of a full fault", () => {
    expect(
      parseValid(yaml`
        kind: FaultInjection
        metadata: { name: chaos }
        spec:
          targetRef: { kind: ServiceSubset, name: cart, tags: { version: v2 } }
          from: [{ targetRef: { kind: Service, name: web } }]
          delay: { percentage: 10, value: 1.5s }
          abort: { percentage: 5, httpStatus: 503 }
      `).spec,
    ).toEqual({
      targetRef: { kind: "ServiceSubset", name: "cart", tags: { version: "v2" } },
      from: [{ targetRef: { kind: "Service", name: "web" } }],
      delay: { percentage: 10, value: "1.5s" },
      abort: { percentage: 5, httpStatus: 503 },
    });
  });

  it("refuses a fault that neither delays nor aborts", () => {
    expect(
      messagesOf(yaml`
      kind: FaultInjection
      metadata: { name: chaos }
      spec:
        targetRef: { kind: Mesh }
    `),
    ).toEqual([`FaultInjection "chaos" (line 3) spec: needs a delay, an abort or both`]);
  });

  it("refuses a percentage above 100 and a status outside HTTP", () => {
    expect(
      messagesOf(yaml`
      kind: FaultInjection
      metadata: { name: chaos }
      spec:
        targetRef: { kind: Mesh }
        delay: { percentage: 101, value: 1s }
        abort: { percentage: 5, httpStatus: 700 }
    `),
    ).toEqual([
      `FaultInjection "chaos" (line 5) spec.delay.percentage: must be between 0 and 100`,
      `FaultInjection "chaos" (line 6) spec.abort.httpStatus: must be an HTTP status (200-599)`,
    ]);
  });

  it("refuses a delay without a value", () => {
    expect(
      messagesOf(yaml`
      kind: FaultInjection
      metadata: { name: chaos }
      spec:
        targetRef: { kind: Mesh }
        delay:
          percentage: 50
    `),
    ).toEqual([`FaultInjection "chaos" (line 5) spec.delay.value: is required`]);
  });
});

describe("HealthCheck", () => {
  it("fills interval, timeout and thresholds", () => {
    expect(
      parseValid(yaml`
      kind: HealthCheck
      metadata: { name: cart }
      spec:
        targetRef: { kind: Service, name: cart }
    `).spec,
    ).toEqual({
      targetRef: { kind: "Service", name: "cart" },
      interval: "10s",
      timeout: "2s",
      unhealthyThreshold: 3,
      healthyThreshold: 1,
    });
  });

  it("keeps every field of a full health check", () => {
    expect(
      parseValid(yaml`
        kind: HealthCheck
        metadata: { name: cart }
        spec:
          targetRef: { kind: Service, name: cart }
          interval: 5s
          timeout: 500ms
          unhealthyThreshold: 2
          healthyThreshold: 2
          path: /healthz
      `).spec,
    ).toEqual({
      targetRef: { kind: "Service", name: "cart" },
      interval: "5s",
      timeout: "500ms",
      unhealthyThreshold: 2,
      healthyThreshold: 2,
      path: "/healthz",
    });
  });

  it("refuses a path without a slash", () => {
    expect(
      messagesOf(yaml`
      kind: HealthCheck
      metadata: { name: cart }
      spec:
        targetRef: { kind: Service, name: cart }
        path: healthz
    `),
    ).toEqual([`HealthCheck "cart" (line 5) spec.path: must start with "/"`]);
  });

  it("refuses a zero threshold and a bad duration", () => {
    expect(
      messagesOf(yaml`
      kind: HealthCheck
      metadata: { name: cart }
      spec:
        targetRef: { kind: Service, name: cart }
        interval: 10 s
        unhealthyThreshold: 0
    `),
    ).toEqual([
      `HealthCheck "cart" (line 5) spec.interval: must be a duration such as "250ms", "10s", "5m" or "1h"`,
      `HealthCheck "cart" (line 6) spec.unhealthyThreshold: must be at least 1`,
    ]);
  });

  it("refuses a target service without a name", () => {
    expect(
      messagesOf(yaml`
      kind: HealthCheck
      metadata: { name: cart }
      spec:
        targetRef: { kind: Service }
    `),
    ).toEqual([`HealthCheck "cart" (line 4) spec.targetRef.name: is required`]);
  });
});

describe("Retry", () => {
  it("fills attempts, conditions, backoff and budget", () => {
    expect(
      parseValid(yaml`
      kind: Retry
      metadata: { name: cart }
      spec:
        targetRef: { kind: Service, name: cart }
    `).spec,
    ).toEqual({
      targetRef: { kind: "Service", name: "cart" },
      attempts: 3,
      retryOn: ["gateway-error", "connect-failure", "reset"],
      backoff: { base: "25ms", max: "250ms" },
      budget: { percent: 20, minRetriesPerSecond: 10 },
    });
  });

  it("keeps every field of a full retry", () => {
    expect(
      parseValid(yaml`
        kind: Retry
        metadata: { name: cart }
        spec:
          targetRef: { kind: Mesh }
          attempts: 5
          retryOn: [5xx, retriable-4xx]
          perTryTimeout: 1s
          backoff: { base: 10ms, max: 1s }
          budget: { percent: 10, minRetriesPerSecond: 1 }
      `).spec,
    ).toEqual({
      targetRef: { kind: "Mesh" },
      attempts: 5,
      retryOn: ["5xx", "retriable-4xx"],
      perTryTimeout: "1s",
      backoff: { base: "10ms", max: "1s" },
      budget: { percent: 10, minRetriesPerSecond: 1 },
    });
  });

  it("refuses too many attempts", () => {
    expect(
      messagesOf(yaml`
      kind: Retry
      metadata: { name: cart }
      spec:
        targetRef: { kind: Mesh }
        attempts: 11
    `),
    ).toEqual([`Retry "cart" (line 5) spec.attempts: must be at most 10`]);
  });

  it("refuses an empty or unknown condition list", () => {
    expect(
      messagesOf(yaml`
      kind: Retry
      metadata: { name: cart }
      spec:
        targetRef: { kind: Mesh }
        retryOn: []
      ---
      kind: Retry
      metadata: { name: orders }
      spec:
        targetRef: { kind: Mesh }
        retryOn: [timeout]
    `),
    ).toEqual([
      `Retry "cart" (line 5) spec.retryOn: needs at least one condition`,
      `Retry "orders" (line 11) spec.retryOn[0]: must be one of "5xx", "gateway-error", "connect-failure", "reset", "retriable-4xx", "grpc-cancelled", "grpc-deadline-exceeded", "grpc-internal", "grpc-resource-exhausted", "grpc-unavailable"`,
    ]);
  });

  it("refuses a budget above 100 percent and a negative floor", () => {
    expect(
      messagesOf(yaml`
      kind: Retry
      metadata: { name: cart }
      spec:
        targetRef: { kind: Mesh }
        budget:
          percent: 120
          minRetriesPerSecond: -1
    `),
    ).toEqual([
      `Retry "cart" (line 6) spec.budget.percent: must be between 0 and 100`,
      `Retry "cart" (line 7) spec.budget.minRetriesPerSecond: must not be negative`,
    ]);
  });
});

describe("Timeout", () => {
  it("fills request, connect and idle", () => {
    expect(
      parseValid(yaml`
      kind: Timeout
      metadata: { name: cart }
      spec:
        targetRef: { kind: Service, name: cart }
    `).spec,
    ).toEqual({ targetRef: { kind: "Service", name: "cart" }, request: "15s", connect: "5s", idle: "1h" });
  });

  it("keeps every field of a full timeout", () => {
    expect(
      parseValid(yaml`
        kind: Timeout
        metadata: { name: cart }
        spec:
          targetRef: { kind: ServiceSubset, name: cart, tags: { version: v1 } }
          request: 2s
          connect: 250ms
          idle: 5m
      `).spec,
    ).toEqual({
      targetRef: { kind: "ServiceSubset", name: "cart", tags: { version: "v1" } },
      request: "2s",
      connect: "250ms",
      idle: "5m",
    });
  });

  it("refuses a duration without a unit", () => {
    expect(
      messagesOf(yaml`
      kind: Timeout
      metadata: { name: cart }
      spec:
        targetRef: { kind: Mesh }
        request: "15"
    `),
    ).toEqual([
      `Timeout "cart" (line 5) spec.request: must be a duration such as "250ms", "10s", "5m" or "1h"`,
    ]);
  });

  it("refuses a misspelt field and says which one was meant", () => {
    expect(
      messagesOf(yaml`
      kind: Timeout
      metadata: { name: cart }
      spec:
        targetRef: { kind: Mesh }
        conect: 1s
    `),
    ).toEqual([`Timeout "cart" (line 5) spec: unknown field "conect" (did you mean "connect"?)`]);
  });

  it("refuses a missing name and an unknown metadata field", () => {
    expect(
      messagesOf(yaml`
      kind: Timeout
      metadata:
        annotations: {}
      spec:
        targetRef: { kind: Mesh }
    `),
    ).toEqual([
      `Timeout (line 2) metadata.name: is required`,
      `Timeout (line 3) metadata: unknown field "annotations"`,
    ]);
  });
});

describe("Rollout", () => {
  it("fills hold, gates and automation", () => {
    expect(
      parseValid(yaml`
      kind: Rollout
      metadata: { name: cart-v2 }
      spec:
        targetRef: { kind: Service, name: cart }
        stable: { tags: { version: v1 } }
        canary: { tags: { version: v2 } }
        steps: [{ canaryWeight: 10 }]
    `).spec,
    ).toEqual({
      targetRef: { kind: "Service", name: "cart" },
      stable: { tags: { version: "v1" } },
      canary: { tags: { version: "v2" } },
      steps: [{ canaryWeight: 10, hold: "1m" }],
      gates: { maxSuccessRateDrop: 1, maxP99Ratio: 1.5, minRequests: 20 },
      autoPromote: true,
      autoRollback: true,
    });
  });

  it("keeps every field of a full rollout", () => {
    expect(
      parseValid(yaml`
        kind: Rollout
        metadata: { name: cart-v2 }
        spec:
          targetRef: { kind: Service, name: cart }
          stable: { tags: { version: v1 } }
          canary: { tags: { version: v2 } }
          steps:
            - { canaryWeight: 5, hold: 30s }
            - { canaryWeight: 50, hold: 2m }
          gates: { maxSuccessRateDrop: 0.5, maxP99Ratio: 1.2, minRequests: 100 }
          autoPromote: false
          autoRollback: false
      `).spec,
    ).toEqual({
      targetRef: { kind: "Service", name: "cart" },
      stable: { tags: { version: "v1" } },
      canary: { tags: { version: "v2" } },
      steps: [
        { canaryWeight: 5, hold: "30s" },
        { canaryWeight: 50, hold: "2m" },
      ],
      gates: { maxSuccessRateDrop: 0.5, maxP99Ratio: 1.2, minRequests: 100 },
      autoPromote: false,
      autoRollback: false,
    });
  });

  it("refuses a canary that selects the same instances as stable, whatever the tag order", () => {
    expect(
      messagesOf(yaml`
      kind: Rollout
      metadata: { name: cart-v2 }
      spec:
        targetRef: { kind: Service, name: cart }
        stable: { tags: { version: v1, zone: a } }
        canary:
          tags: { zone: a, version: v1 }
        steps: [{ canaryWeight: 10 }]
    `),
    ).toEqual([`Rollout "cart-v2" (line 7) spec.canary.tags: must differ from stable.tags`]);
  });

  it("refuses no steps, empty canary tags and a weight above 100", () => {
    expect(
      messagesOf(yaml`
      kind: Rollout
      metadata: { name: cart-v2 }
      spec:
        targetRef: { kind: Service, name: cart }
        stable: { tags: { version: v1 } }
        canary: { tags: {} }
        steps: []
      ---
      kind: Rollout
      metadata: { name: cart-v3 }
      spec:
        targetRef: { kind: Service, name: cart }
        stable: { tags: { version: v1 } }
        canary: { tags: { version: v3 } }
        steps: [{ canaryWeight: 10 }, { canaryWeight: 120 }]
    `),
    ).toEqual([
      `Rollout "cart-v2" (line 6) spec.canary.tags: must name at least one tag`,
      `Rollout "cart-v2" (line 7) spec.steps: needs at least one step`,
      `Rollout "cart-v3" (line 15) spec.steps[1].canaryWeight: must be between 0 and 100`,
    ]);
  });

  it("refuses a subset target and a p99 ratio below 1", () => {
    expect(
      messagesOf(yaml`
      kind: Rollout
      metadata: { name: cart-v2 }
      spec:
        targetRef: { kind: ServiceSubset, name: cart, tags: { version: v1 } }
        stable: { tags: { version: v1 } }
        canary: { tags: { version: v2 } }
        steps: [{ canaryWeight: 10 }]
        gates: { maxP99Ratio: 0.9 }
    `),
    ).toEqual([
      `Rollout "cart-v2" (line 4) spec.targetRef.kind: must be "Service"`,
      `Rollout "cart-v2" (line 8) spec.gates.maxP99Ratio: must be at least 1`,
    ]);
  });
});
