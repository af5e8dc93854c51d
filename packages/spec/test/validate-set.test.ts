import { describe, expect, it } from "vitest";
import { parseResources, type Resource, validateResources, withDefaults } from "../src/index.ts";
import { yaml } from "./helpers.ts";

const cart = withDefaults({ kind: "Service", metadata: { name: "cart" }, spec: { ports: [{ port: 8080 }] } });

function validate(text: string, known?: Resource[]): string[] {
  const { resources, errors } = parseResources(text, { source: "apply.yaml" });
  expect(errors).toEqual([]);
  return validateResources(resources, { known }).map((error) => error.formatted);
}

describe("duplicate names", () => {
  it("are refused within a set, pointing at both lines", () => {
    expect(
      validate(yaml`
      kind: Retry
      metadata: { name: cart }
      spec: { targetRef: { kind: Mesh } }
      ---
      kind: Retry
      metadata:
        name: cart
      spec: { targetRef: { kind: Mesh } }
    `),
    ).toEqual([
      `Retry "cart" (apply.yaml line 7) metadata.name: already used by the Retry at line 2 in the same mesh and namespace`,
    ]);
  });

  it("are allowed across kinds, meshes and namespaces", () => {
    expect(
      validate(yaml`
      kind: Retry
      metadata: { name: cart }
      spec: { targetRef: { kind: Mesh } }
      ---
      kind: Timeout
      metadata: { name: cart }
      spec: { targetRef: { kind: Mesh } }
      ---
      kind: Retry
      metadata: { name: cart, mesh: prod }
      spec: { targetRef: { kind: Mesh } }
      ---
      kind: Retry
      metadata: { name: cart, namespace: shop }
      spec: { targetRef: { kind: Mesh } }
    `),
    ).toEqual([]);
  });

  it("say so without lines when the resources did not come from YAML", () => {
    const retry = withDefaults({
      kind: "Retry",
      metadata: { name: "cart" },
      spec: { targetRef: { kind: "Mesh" } },
    });
    expect(validateResources([retry, structuredClone(retry)]).map((error) => error.formatted)).toEqual([
      `Retry "cart" metadata.name: already used by an earlier Retry in the same mesh and namespace`,
    ]);
  });

  it("name the other file when the first came from elsewhere", () => {
    const first = parseResources(
      "kind: Retry\nmetadata: { name: cart }\nspec: { targetRef: { kind: Mesh } }\n",
      {
        source: "a.yaml",
      },
    ).resources;
    const second = parseResources(
      "\nkind: Retry\nmetadata: { name: cart }\nspec: { targetRef: { kind: Mesh } }\n",
      {
        source: "b.yaml",
      },
    ).resources;
    expect(validateResources([...first, ...second]).map((error) => error.formatted)).toEqual([
      `Retry "cart" (b.yaml line 3) metadata.name: already used by the Retry at a.yaml line 2 in the same mesh and namespace`,
    ]);
  });
});

describe("references to services", () => {
  it("must name a service in the set or among the known resources", () => {
    expect(
      validate(
        yaml`
      kind: Timeout
      metadata: { name: cart }
      spec: { targetRef: { kind: Service, name: cart } }
      ---
      kind: Timeout
      metadata: { name: nope }
      spec:
        targetRef:
          kind: Service
          name: nope
    `,
        [cart],
      ),
    ).toEqual([
      `Timeout "nope" (apply.yaml line 10) spec.targetRef: names service "nope", which does not exist`,
    ]);
  });

  it("accept a service defined in the same set", () => {
    expect(
      validate(yaml`
      kind: Timeout
      metadata: { name: orders }
      spec: { targetRef: { kind: ServiceSubset, name: orders, tags: { version: v1 } } }
      ---
      kind: Service
      metadata: { name: orders }
      spec: { ports: [{ port: 80 }] }
    `),
    ).toEqual([]);
  });

  it("are checked in callers, backends and mirrors", () => {
    expect(
      validate(
        yaml`
          kind: TrafficPermission
          metadata: { name: cart }
          spec:
            targetRef: { kind: Service, name: cart }
            from:
              - targetRef: { kind: Service, name: web }
                action: Allow
          ---
          kind: TrafficRoute
          metadata: { name: cart }
          spec:
            targetRef: { kind: Service, name: cart }
            rules:
              - backendRefs:
                  - { tags: { version: v1 } }
                  - name: cart-next
                filters:
                  - type: RequestMirror
                    requestMirror:
                      backendRef: { name: shadow }
        `,
        [cart],
      ),
    ).toEqual([
      `TrafficPermission "cart" (apply.yaml line 6) spec.from[0].targetRef: names service "web", which does not exist`,
      `TrafficRoute "cart" (apply.yaml line 16) spec.rules[0].backendRefs[1]: names service "cart-next", which does not exist`,
      `TrafficRoute "cart" (apply.yaml line 20) spec.rules[0].filters[0].requestMirror.backendRef: names service "shadow", which does not exist`,
    ]);
  });

  it("only count services of the same mesh", () => {
    expect(
      validate(
        "kind: Retry\nmetadata: { name: r, mesh: prod }\nspec: { targetRef: { kind: Service, name: cart } }\n",
        [cart],
      ),
    ).toEqual([`Retry "r" (apply.yaml line 3) spec.targetRef: names service "cart", which does not exist`]);
  });

  it("ignore Mesh targets and callers", () => {
    expect(
      validate(yaml`
      kind: RateLimit
      metadata: { name: all }
      spec: { targetRef: { kind: Mesh }, from: [{ targetRef: { kind: Mesh } }], requests: 1 }
    `),
    ).toEqual([]);
  });
});
