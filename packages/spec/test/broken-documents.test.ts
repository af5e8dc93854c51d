import { describe, expect, it } from "vitest";
import { parseResources, stringifyResources, validateResources } from "../src/index.ts";
import { yaml } from "./helpers.ts";

/** Two valid services the broken documents below may reference, then one mistake per document. */
const BROKEN = yaml`
  kind: Service
  metadata: { name: cart }
  spec: { ports: [{ port: 8080 }] }
  ---
  kind: Service
  metadata: { name: web }
  spec: { ports: [{ port: 8080 }] }
  ---
  kind: Timeout
  metadata:
    name: indented
      namespace: shop
  spec: { targetRef: { kind: Mesh } }
  ---
  kind: Timeout
  metadata:
  TAB name: tabbed
  spec: { targetRef: { kind: Mesh } }
  ---
  kind: TrafficRoutes
  metadata: { name: unknown-kind }
  ---
  metadata: { name: no-kind }
  spec: {}
  ---
  kind: RateLimit
  metadata: { name: wrong-type }
  spec:
    targetRef: { kind: Mesh }
    requests: ten
  ---
  kind: RateLimit
  metadata: { name: negative }
  spec:
    targetRef: { kind: Mesh }
    requests: 10
    burst: -5
  ---
  kind: TrafficRoute
  metadata: { name: no-weight }
  spec:
    targetRef: { kind: Service, name: cart }
    rules:
      - backendRefs:
          - { tags: { version: v1 }, weight: 0 }
  ---
  kind: Timeout
  metadata: { name: twice }
  spec: { targetRef: { kind: Mesh } }
  ---
  kind: Timeout
  metadata: { name: twice }
  spec: { targetRef: { kind: Service, name: cart } }
  ---
  kind: Retry
  metadata: { name: dangling }
  spec:
    targetRef:
      kind: Service
      name: nope
  ---
  kind: HealthCheck
  metadata: { name: bad-duration }
  spec:
    targetRef: { kind: Mesh }
    interval: 10 seconds
  ---
  kind: Timeout
  metadata: { name: Cart_Timeout }
  spec: { targetRef: { kind: Mesh } }
  ---
  kind: CircuitBreaker
  metadata: { name: unknown-field }
  spec:
    targetRef: { kind: Mesh }
    maxConnection: 10
  ---
  kind: FaultInjection
  metadata: { name: too-much }
  spec:
    targetRef: { kind: Mesh }
    abort: { percentage: 150, httpStatus: 503 }
  ---
  kind: TrafficRoute
  metadata: { name: no-rules }
  spec:
    targetRef: { kind: Service, name: cart }
    rules: []
  ---
  kind: Timeout
  metadata: { name: duplicate-key }
  spec:
    targetRef: { kind: Mesh }
    request: 1s
    request: 2s
  ---
  - kind: Timeout
    metadata: { name: a-list }
  ---
  kind: Service
  metadata: { name: bad-protocol }
  spec: { ports: [{ port: 80, protocol: HTTP }] }
  ---
  kind: TrafficPermission
  metadata: { name: bad-caller }
  spec:
    targetRef: { kind: Service, name: web }
    from:
      - targetRef: { kind: Service, name: cart }
        action: allow
  ---
  kind: Rollout
  metadata: { name: same-tags }
  spec:
    targetRef: { kind: Service, name: cart }
    stable: { tags: { version: v1 } }
    canary: { tags: { version: v1 } }
    steps: [{ canaryWeight: 10 }]
  ---
  kind: Mesh
  metadata: { name: default }
  spec:
    mtls: { mode: "strict }
`.replace("TAB", "\t");

const EXPECTED = [
  `Timeout (shop.yaml line 12) bad indentation: this line is indented deeper than the one above`,
  `Timeout (shop.yaml line 17) tabs are not allowed for indentation; use spaces`,
  `"unknown-kind" (shop.yaml line 20) kind: unknown kind "TrafficRoutes" (did you mean "TrafficRoute"?); known kinds: Mesh, Service, Dataplane, TrafficRoute, TrafficPermission, RateLimit, CircuitBreaker, FaultInjection, HealthCheck, Retry, Timeout, Rollout`,
  `"no-kind" (shop.yaml line 23) kind: is required; known kinds: Mesh, Service, Dataplane, TrafficRoute, TrafficPermission, RateLimit, CircuitBreaker, FaultInjection, HealthCheck, Retry, Timeout, Rollout`,
  `RateLimit "wrong-type" (shop.yaml line 30) spec.requests: expected a number, got a string`,
  `RateLimit "negative" (shop.yaml line 37) spec.burst: must not be negative`,
  `TrafficRoute "no-weight" (shop.yaml line 44) spec.rules[0].backendRefs: at least one backend needs a weight above 0`,
  `HealthCheck "bad-duration" (shop.yaml line 66) spec.interval: must be a duration such as "250ms", "10s", "5m" or "1h"`,
  `Timeout "Cart_Timeout" (shop.yaml line 69) metadata.name: must be lowercase letters, digits and '-', starting and ending with a letter or digit`,
  `CircuitBreaker "unknown-field" (shop.yaml line 76) spec: unknown field "maxConnection" (did you mean "maxConnections"?)`,
  `FaultInjection "too-much" (shop.yaml line 82) spec.abort.percentage: must be between 0 and 100`,
  `TrafficRoute "no-rules" (shop.yaml line 88) spec.rules: needs at least one rule`,
  `Timeout "duplicate-key" (shop.yaml line 95) duplicate key "request"`,
  `(shop.yaml line 97) a resource must be a mapping with kind, metadata and spec`,
  `Service "bad-protocol" (shop.yaml line 102) spec.ports[0].protocol: must be one of "http", "http2", "grpc", "tcp" (did you mean "http"?)`,
  `TrafficPermission "bad-caller" (shop.yaml line 110) spec.from[0].action: must be one of "Allow", "Deny" (did you mean "Allow"?)`,
  `Rollout "same-tags" (shop.yaml line 117) spec.canary.tags: must differ from stable.tags`,
  `Mesh "default" (shop.yaml line 123) the " that opens a string here is never closed`,
  // Found by set validation, after every document parsed on its own.
  `Timeout "twice" (shop.yaml line 52) metadata.name: already used by the Timeout at line 48 in the same mesh and namespace`,
  `Retry "dangling" (shop.yaml line 60) spec.targetRef: names service "nope", which does not exist`,
];

describe("twenty broken documents in one file", () => {
  it("yields twenty distinct messages, each with its line, and keeps the valid documents", () => {
    let messages: string[] = [];
    expect(() => {
      const { resources, errors } = parseResources(BROKEN, { source: "shop.yaml" });
      messages = [...errors, ...validateResources(resources)].map((error) => error.formatted);
    }).not.toThrow();
    expect(messages).toEqual(EXPECTED);
    expect(new Set(messages).size).toBe(20);
  });

  it("keeps reading after a broken document", () => {
    const { resources } = parseResources(BROKEN);
    expect(resources.map((resource) => resource.metadata.name)).toEqual([
      "cart",
      "web",
      "twice",
      "twice",
      "dangling",
    ]);
  });
});

describe("no input makes parseResources throw", () => {
  const valid = stringifyResources(
    parseResources(BROKEN).resources.concat(
      parseResources(yaml`
      kind: TrafficRoute
      metadata: { name: cart, labels: { app.kubernetes.io/name: cart } }
      spec:
        targetRef: { kind: Service, name: cart }
        rules:
          - matches: [{ path: { value: /a }, headers: [{ name: x, value: "1" }] }]
            backendRefs: [{ tags: { version: v1 }, weight: 3 }, { name: web }]
            filters: [{ type: RequestMirror, requestMirror: { backendRef: { name: web } } }]
    `).resources,
    ),
  );

  it("survives hundreds of random edits of a valid file", () => {
    const random = seededRandom(42);
    const noise = [
      "\t",
      " ",
      "\n",
      ":",
      "-",
      "---\n",
      "[",
      "{",
      '"',
      "*a",
      "&a ",
      "!!",
      "#",
      "0",
      "-1",
      "~",
      "?",
      "|",
    ];
    for (let round = 0; round < 200; round++) {
      let text = valid;
      for (let edit = 0; edit < 3; edit++) {
        const at = Math.floor(random() * text.length);
        const cut = Math.floor(random() * 4);
        text = text.slice(0, at) + (noise[Math.floor(random() * noise.length)] ?? "") + text.slice(at + cut);
      }
      const parsed = parseResources(text);
      validateResources(parsed.resources);
      const lines = text.split("\n").length;
      for (const error of parsed.errors) {
        expect(error.formatted).toContain(error.message);
        expect(error.line).toBeGreaterThanOrEqual(1);
        expect(error.line).toBeLessThanOrEqual(lines);
      }
    }
  });

  it("returns an error for alias bombs instead of expanding them", () => {
    const bomb = [
      "a: &a [x, x, x, x, x, x, x, x, x, x]",
      ...Array.from({ length: 8 }, (_, i) => {
        const previous = i === 0 ? "a" : `l${i - 1}`;
        return `l${i}: &l${i} [*${previous}, *${previous}, *${previous}, *${previous}, *${previous}, *${previous}, *${previous}, *${previous}, *${previous}, *${previous}]`;
      }),
    ].join("\n");
    const { resources, errors } = parseResources(bomb);
    expect(resources).toEqual([]);
    expect(errors).toHaveLength(1);
  });

  it("treats empty text and empty documents as nothing", () => {
    expect(parseResources("")).toEqual({ resources: [], errors: [] });
    expect(parseResources("---\n# only a comment\n---\n")).toEqual({ resources: [], errors: [] });
  });
});

function seededRandom(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}
