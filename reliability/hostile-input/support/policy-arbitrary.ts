import { httpMethodSchema } from "@loom/spec";
import fc from "fast-check";
import { stringify } from "yaml";

/**
 * Policy documents for issue #7's hostile-input suite, built from the policy kinds' shapes in packages/spec:
 * valid ones (the schemas' fields with values inside their bounds), the same mutated (a field removed, retyped,
 * misspelt or pushed out of bounds), and garbage (any JSON value, broken YAML text).
 */

/** Services the suite creates first, so references to them are valid. */
export const KNOWN_SERVICES = ["cart", "web", "pay", "db"] as const;
/** Rollouts only target this one, so a running Rollout never owns a route the generator writes. */
const ROLLOUT_SERVICE = "db";
const ROUTED_SERVICES = ["cart", "web", "pay"] as const;

type Json = unknown;

const service = fc.constantFrom(...ROUTED_SERVICES);
const label = fc.stringMatching(/^[a-z][a-z0-9-]{0,6}[a-z0-9]$/);
const tags = (min: number) =>
  fc.dictionary(fc.constantFrom("version", "zone", "track"), fc.constantFrom("v1", "v2", "a", "canary"), {
    minKeys: min,
    maxKeys: 2,
  });
const duration = fc.oneof(
  fc
    .tuple(fc.integer({ min: 0, max: 999 }), fc.constantFrom("ms", "s", "m", "h"))
    .map(([n, unit]) => `${n}${unit}`),
  fc.constantFrom("1.5m", "0.25s", "250ms"),
);
const percentage = fc.oneof(fc.integer({ min: 0, max: 100 }), fc.double({ min: 0, max: 100, noNaN: true }));
const method = fc.constantFrom(...httpMethodSchema.options);
const path = fc.stringMatching(/^\/[a-z0-9/_-]{0,12}$/);
const headerName = fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/);
const text = fc.string({ maxLength: 12 });

/** Optional fields: present or absent, never `undefined` (YAML and JSON drop it anyway). */
function record(
  required: Record<string, fc.Arbitrary<Json>>,
  optional: Record<string, fc.Arbitrary<Json>> = {},
): fc.Arbitrary<Record<string, Json>> {
  return fc.record({ ...required, ...optional }, { requiredKeys: Object.keys(required) as never[] });
}

const targetRef = fc.oneof(
  fc.constant({ kind: "Mesh" }),
  service.map((name) => ({ kind: "Service", name })),
  fc.record({ kind: fc.constant("ServiceSubset"), name: service, tags: tags(1) }),
);
const serviceRef = service.map((name) => ({ kind: "Service", name }));
const callerRef = fc.oneof(
  fc.constant({ kind: "Mesh" }),
  service.map((name) => ({ kind: "Service", name })),
);
const from = fc.array(fc.record({ targetRef: callerRef }), { maxLength: 2 });

const timeoutConfig = record({}, { request: duration, connect: duration, idle: duration });
const retryConfig = record(
  {},
  {
    attempts: fc.integer({ min: 1, max: 10 }),
    retryOn: fc.uniqueArray(
      fc.constantFrom("5xx", "gateway-error", "connect-failure", "reset", "retriable-4xx"),
      {
        minLength: 1,
      },
    ),
    perTryTimeout: duration,
    backoff: record({}, { base: duration, max: duration }),
    budget: record({}, { percent: percentage, minRetriesPerSecond: fc.nat(100) }),
  },
);

const backendRef = record({}, { name: service, tags: tags(0), weight: fc.nat(100) });
const headerList = fc.array(fc.record({ name: headerName, value: text }), { maxLength: 2 });
const headerModifier = record(
  {},
  { set: headerList, add: headerList, remove: fc.array(headerName, { maxLength: 2 }) },
);
const routeFilter = fc.oneof(
  fc.record({ type: fc.constant("RequestHeaderModifier"), requestHeaderModifier: headerModifier }),
  fc.record({ type: fc.constant("ResponseHeaderModifier"), responseHeaderModifier: headerModifier }),
  fc.record({
    type: fc.constant("RequestMirror"),
    requestMirror: record(
      { backendRef: record({}, { name: service, tags: tags(0) }) },
      { percent: percentage },
    ),
  }),
);
const routeMatch = record(
  {},
  {
    path: record({ value: path }, { type: fc.constantFrom("Exact", "PathPrefix", "RegularExpression") }),
    method,
    headers: fc.array(
      record({ name: headerName, value: text }, { type: fc.constantFrom("Exact", "RegularExpression") }),
      {
        maxLength: 2,
      },
    ),
  },
);
const routeRule = record(
  // At least one backend with a weight above 0 (the first).
  {
    backendRefs: fc
      .tuple(backendRef, fc.integer({ min: 1, max: 100 }), fc.array(backendRef, { maxLength: 2 }))
      .map(([first, weight, rest]) => [{ ...first, weight }, ...rest]),
  },
  {
    matches: fc.array(routeMatch, { maxLength: 2 }),
    filters: fc.array(routeFilter, { maxLength: 2 }),
    timeout: timeoutConfig,
    retry: retryConfig,
  },
);

const specs: Record<string, fc.Arbitrary<Json>> = {
  TrafficRoute: fc.record({
    targetRef: serviceRef,
    rules: fc.array(routeRule, { minLength: 1, maxLength: 3 }),
  }),
  TrafficPermission: fc.record({
    targetRef,
    from: fc.array(
      record(
        { targetRef: callerRef, action: fc.constantFrom("Allow", "Deny") },
        {
          match: record(
            {},
            { methods: fc.array(method, { maxLength: 3 }), paths: fc.array(path, { maxLength: 2 }) },
          ),
        },
      ),
      { minLength: 1, maxLength: 3 },
    ),
  }),
  RateLimit: record(
    { targetRef, requests: fc.integer({ min: 1, max: 100_000 }) },
    {
      from,
      interval: duration,
      burst: fc.nat(1000),
      onRateLimit: record({}, { status: fc.integer({ min: 400, max: 599 }) }),
    },
  ),
  CircuitBreaker: record(
    { targetRef },
    {
      maxConnections: fc.integer({ min: 1, max: 10_000 }),
      maxPendingRequests: fc.integer({ min: 1, max: 10_000 }),
      maxRequests: fc.integer({ min: 1, max: 10_000 }),
      outlierDetection: record(
        {},
        {
          consecutive5xx: fc.integer({ min: 1, max: 50 }),
          consecutiveGatewayErrors: fc.integer({ min: 1, max: 50 }),
          interval: duration,
          baseEjectionTime: duration,
          maxEjectionPercent: percentage,
        },
      ),
    },
  ),
  FaultInjection: fc
    .tuple(
      record({ targetRef }, { from }),
      fc.record({ percentage, value: duration }),
      fc.record({ percentage, httpStatus: fc.integer({ min: 200, max: 599 }) }),
      fc.constantFrom("delay", "abort", "both"),
    )
    .map(([spec, delay, abort, which]) => ({
      ...spec,
      ...(which !== "abort" && { delay }),
      ...(which !== "delay" && { abort }),
    })),
  HealthCheck: record(
    { targetRef },
    {
      interval: duration,
      timeout: duration,
      unhealthyThreshold: fc.integer({ min: 1, max: 10 }),
      healthyThreshold: fc.integer({ min: 1, max: 10 }),
      path,
    },
  ),
  Retry: fc.tuple(fc.record({ targetRef }), retryConfig).map(([ref, config]) => ({ ...ref, ...config })),
  Timeout: fc.tuple(fc.record({ targetRef }), timeoutConfig).map(([ref, config]) => ({ ...ref, ...config })),
  Rollout: fc.tuple(tags(1), fc.constantFrom("v1", "v2")).chain(([stable, version]) =>
    record(
      {
        targetRef: fc.constant({ kind: "Service", name: ROLLOUT_SERVICE }),
        stable: fc.constant({ tags: stable }),
        canary: fc.constant({ tags: { ...stable, release: `${version}-canary` } }),
        steps: fc.array(record({ canaryWeight: percentage }, { hold: duration }), {
          minLength: 1,
          maxLength: 4,
        }),
      },
      {
        gates: record(
          {},
          {
            maxSuccessRateDrop: percentage,
            maxP99Ratio: fc.double({ min: 1, max: 10, noNaN: true }),
            minRequests: fc.nat(1000),
          },
        ),
        autoPromote: fc.boolean(),
        autoRollback: fc.boolean(),
      },
    ),
  ),
};

/** A DNS-1123 name unique within a run, so every accepted document is a new resource. */
const uniqueName = fc.uuid().map((uuid) => `p-${uuid.slice(0, 8)}${uuid.slice(24)}`);

export const validPolicy: fc.Arbitrary<Record<string, Json>> = fc
  .constantFrom(...Object.keys(specs))
  .chain((kind) =>
    fc.record({
      kind: fc.constant(kind),
      metadata: record({ name: uniqueName }, { labels: fc.dictionary(label, text, { maxKeys: 2 }) }),
      spec: specs[kind] as fc.Arbitrary<Json>,
    }),
  );

/** Values that break a field: wrong type, out of bounds, empty, huge, or hostile text. */
const badValue: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom(
    null,
    -1,
    0,
    1.5,
    1e308,
    -0.0001,
    "",
    " ",
    "10 s",
    "-5s",
    "ten",
    true,
    [],
    {},
    [null],
    "<img src=x onerror=alert(1)>",
    "a".repeat(300),
  ),
  fc.jsonValue({ maxDepth: 2 }),
);
const RENAMES: Record<string, (key: string) => string> = {
  plural: (key) => `${key}s`,
  upper: (key) => key.toUpperCase(),
  truncated: (key) => key.slice(1),
  spaced: (key) => `${key} `,
  unknown: () => "unknownField",
};

/** Every path to a value inside `value`, objects and arrays alike. */
function paths(value: Json, prefix: (string | number)[] = []): (string | number)[][] {
  if (value === null || typeof value !== "object") return [prefix];
  const entries = Array.isArray(value)
    ? value.map((item, index) => [index, item] as const)
    : Object.entries(value);
  return [prefix, ...entries.flatMap(([key, item]) => paths(item, [...prefix, key]))];
}

type Mutation =
  | { op: "remove" | "retype" | "rename"; at: number; value: Json; rename: string }
  | { op: "kind"; kind: string };

const mutation = fc.oneof(
  fc.record({
    op: fc.constantFrom("remove", "retype", "retype", "rename"),
    at: fc.nat(),
    value: badValue,
    rename: fc.constantFrom(...Object.keys(RENAMES)),
  }),
  fc.record({
    op: fc.constant("kind"),
    kind: fc.constantFrom(...Object.keys(specs), "Mesh", "Service", "Dataplane", "Policy", "trafficroute"),
  }),
) as fc.Arbitrary<Mutation>;

function mutate(document: Record<string, Json>, mutations: Mutation[]): Json {
  let root: Json = structuredClone(document);
  for (const change of mutations) {
    if (change.op === "kind") {
      if (isRecord(root)) root.kind = change.kind;
      continue;
    }
    const all = paths(root);
    const target = all[change.at % all.length] as (string | number)[];
    if (target.length === 0) {
      if (change.op === "retype") root = change.value;
      continue;
    }
    const parent = target.slice(0, -1).reduce<Json>((node, key) => (node as Record<string, Json>)[key], root);
    const key = target[target.length - 1] as string | number;
    if (Array.isArray(parent)) {
      if (change.op === "remove") parent.splice(Number(key), 1);
      else if (change.op === "retype") parent[Number(key)] = change.value;
    } else if (isRecord(parent)) {
      const name = String(key);
      if (change.op === "retype") parent[name] = change.value;
      else {
        if (change.op === "rename")
          parent[(RENAMES[change.rename] as (key: string) => string)(name)] = parent[name];
        delete parent[name];
      }
    }
  }
  return root;
}

function isRecord(value: Json): value is Record<string, Json> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

export const mutatedPolicy: fc.Arbitrary<Json> = fc
  .tuple(validPolicy, fc.array(mutation, { minLength: 1, maxLength: 3 }))
  .map(([document, mutations]) => mutate(document, mutations));

export const garbageValue: fc.Arbitrary<Json> = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }),
  fc.record({
    kind: fc.constantFrom(...Object.keys(specs)),
    metadata: fc.jsonValue({ maxDepth: 2 }),
    spec: fc.jsonValue({ maxDepth: 3 }),
  }),
);

/** YAML text bent out of shape: truncated, a character inserted, tabs, a stray quote, aliases, huge. */
const brokenText = fc
  .tuple(
    validPolicy,
    fc.nat(),
    fc.constantFrom("truncate", "insert", "tab", "quote", "alias", "dup", "bomb", "binary"),
    fc.constantFrom(":", "-", "[", "{", "\t", "'", '"', "&a", "*a", "? ", "!!js/function", "\u0000"),
  )
  .map(([document, at, how, inserted]) => {
    const yaml = stringify(document, { lineWidth: 0 });
    const position = at % yaml.length;
    switch (how) {
      case "truncate":
        return yaml.slice(0, position);
      case "insert":
        return `${yaml.slice(0, position)}${inserted}${yaml.slice(position)}`;
      case "tab":
        return yaml.replace(/\n {2}/, "\n\t");
      case "quote":
        return yaml.replace(/: (\w)/, ': "$1');
      case "alias":
        return `${yaml}extra: *nothing\n`;
      case "dup":
        return `${yaml}kind: ${String(document.kind)}\n`;
      case "bomb":
        return `a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n`;
      default:
        return `${yaml.slice(0, position)}\u0001\uFFFE\u00ff${yaml.slice(position)}`;
    }
  });

/** One generated document: the value a client would send as an object, and the YAML text of it. */
export interface PolicyDocument {
  origin: "valid" | "mutated" | "garbage" | "broken-yaml";
  /** Undefined for broken YAML text, which only exists as text. */
  value?: Json;
  text: string;
}

export const policyDocument: fc.Arbitrary<PolicyDocument> = fc.oneof(
  {
    arbitrary: validPolicy.map((value) => ({
      origin: "valid" as const,
      value,
      text: stringify(value, { lineWidth: 0 }),
    })),
    weight: 5,
  },
  {
    arbitrary: mutatedPolicy.map((value) => ({
      origin: "mutated" as const,
      value,
      text: stringify(value, { lineWidth: 0 }),
    })),
    weight: 3,
  },
  {
    arbitrary: garbageValue.map((value) => ({
      origin: "garbage" as const,
      value,
      text: stringify(value, { lineWidth: 0 }),
    })),
    weight: 1,
  },
  { arbitrary: brokenText.map((text) => ({ origin: "broken-yaml" as const, text })), weight: 1 },
);
