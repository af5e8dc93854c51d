import { describe, expect, it } from "vitest";
import {
  resolvePrecedence,
  type TargetRef,
  type Timeout,
  targetRefSelects,
  withDefaults,
} from "../src/index.ts";

function timeout(
  name: string,
  targetRef: TargetRef,
  creationTimestamp?: string,
  namespace?: string,
): Timeout {
  return withDefaults({
    kind: "Timeout",
    metadata: { name, creationTimestamp, namespace },
    spec: { targetRef },
  });
}

const mesh: TargetRef = { kind: "Mesh" };
const cartService: TargetRef = { kind: "Service", name: "cart" };
const cartV2: TargetRef = { kind: "ServiceSubset", name: "cart", tags: { version: "v2" } };
const cartV2ZoneA: TargetRef = { kind: "ServiceSubset", name: "cart", tags: { version: "v2", zone: "a" } };

const names = (policies: { metadata: { name: string } }[]) => policies.map((policy) => policy.metadata.name);

describe("which policies select a target", () => {
  const instance = { service: "cart", tags: { version: "v2", zone: "a", region: "eu" } };

  it("Mesh selects every service and instance", () => {
    expect(targetRefSelects(mesh, instance)).toBe(true);
    expect(targetRefSelects(mesh, { service: "web" })).toBe(true);
  });

  it("Service selects that service only", () => {
    expect(targetRefSelects(cartService, instance)).toBe(true);
    expect(targetRefSelects(cartService, { service: "web" })).toBe(false);
  });

  it("ServiceSubset selects instances whose tags include all of its tags", () => {
    expect(targetRefSelects(cartV2ZoneA, instance)).toBe(true);
    expect(targetRefSelects(cartV2ZoneA, { service: "cart", tags: { version: "v2" } })).toBe(false);
    expect(targetRefSelects(cartV2, { service: "cart", tags: { version: "v1" } })).toBe(false);
    expect(targetRefSelects(cartV2, { service: "web", tags: { version: "v2" } })).toBe(false);
  });

  it("ServiceSubset does not select a service as a whole", () => {
    expect(targetRefSelects(cartV2, { service: "cart" })).toBe(false);
  });
});

describe("resolvePrecedence", () => {
  const instance = { service: "cart", tags: { version: "v2", zone: "a" } };

  it("leaves out policies that do not select the target", () => {
    const result = resolvePrecedence(
      [
        timeout("web", { kind: "Service", name: "web" }),
        timeout("v1", { ...cartV2, tags: { version: "v1" } }),
      ],
      instance,
    );
    expect(result).toEqual({ inForce: undefined, shadowed: [] });
  });

  it("prefers the most specific target: more subset tags, subset, service, mesh", () => {
    const policies = [
      timeout("a-mesh", mesh, "2020-01-01T00:00:00Z"),
      timeout("b-service", cartService, "2021-01-01T00:00:00Z"),
      timeout("c-subset", cartV2, "2022-01-01T00:00:00Z"),
      timeout("d-subset-two-tags", cartV2ZoneA, "2023-01-01T00:00:00Z"),
    ];
    const result = resolvePrecedence(policies, instance);
    expect(result.inForce?.metadata.name).toBe("d-subset-two-tags");
    expect(names(result.shadowed)).toEqual(["c-subset", "b-service", "a-mesh"]);
  });

  it("for a service alone, prefers Service over Mesh and ignores subsets", () => {
    const result = resolvePrecedence(
      [timeout("mesh", mesh), timeout("subset", cartV2), timeout("service", cartService)],
      {
        service: "cart",
      },
    );
    expect(result.inForce?.metadata.name).toBe("service");
    expect(names(result.shadowed)).toEqual(["mesh"]);
  });

  it("between equals, the oldest wins", () => {
    const result = resolvePrecedence(
      [
        timeout("a-new", cartService, "2026-03-01T00:00:00Z"),
        timeout("z-old", cartService, "2026-01-01T00:00:00Z"),
      ],
      instance,
    );
    expect(result.inForce?.metadata.name).toBe("z-old");
    expect(names(result.shadowed)).toEqual(["a-new"]);
  });

  it("compares timestamps as instants, not as text", () => {
    const result = resolvePrecedence(
      [
        timeout("utc", cartService, "2026-01-01T10:00:00Z"),
        timeout("earlier", cartService, "2026-01-01T11:00:00+02:00"),
      ],
      instance,
    );
    expect(result.inForce?.metadata.name).toBe("earlier");
  });

  it("a policy without a creationTimestamp counts as the newest", () => {
    const result = resolvePrecedence(
      [timeout("a-unsaved", cartService), timeout("z-saved", cartService, "2026-01-01T00:00:00Z")],
      instance,
    );
    expect(result.inForce?.metadata.name).toBe("z-saved");
  });

  it("between equals of the same age, the first name in plain lexicographic order wins", () => {
    const created = "2026-01-01T00:00:00Z";
    const result = resolvePrecedence(
      [
        timeout("cart-9", cartService, created),
        timeout("cart-a", cartService, created),
        timeout("cart-10", cartService, created),
      ],
      instance,
    );
    expect(names([result.inForce as Timeout, ...result.shadowed])).toEqual(["cart-10", "cart-9", "cart-a"]);
  });

  it("between equals without timestamps, the first name wins, then the namespace", () => {
    const result = resolvePrecedence(
      [timeout("b", mesh), timeout("a", mesh, undefined, "shop"), timeout("a", mesh, undefined, "default")],
      instance,
    );
    expect(
      [result.inForce, ...result.shadowed].map(
        (policy) => `${policy?.metadata.namespace}/${policy?.metadata.name}`,
      ),
    ).toEqual(["default/a", "shop/a", "default/b"]);
  });

  it("gives the same answer whatever the input order", () => {
    const policies = [
      timeout("m", mesh, "2020-01-01T00:00:00Z"),
      timeout("s1", cartService, "2021-01-01T00:00:00Z"),
      timeout("s2", cartService),
      timeout("v2", cartV2),
    ];
    const expected = resolvePrecedence(policies, instance);
    for (const order of [
      [3, 2, 1, 0],
      [1, 3, 0, 2],
      [2, 0, 3, 1],
    ]) {
      expect(
        resolvePrecedence(
          order.map((index) => policies[index] as Timeout),
          instance,
        ),
      ).toEqual(expected);
    }
  });

  it("does not reorder the caller's array", () => {
    const policies = [timeout("b", mesh), timeout("a", mesh)];
    resolvePrecedence(policies, instance);
    expect(names(policies)).toEqual(["b", "a"]);
  });
});
