import type { ElementDefinition } from "cytoscape";
import { describe, expect, test } from "vitest";
import { type DrawnElement, diffElements } from "@/features/graph/graph-diff";

const service = (id: string, data: Record<string, unknown> = {}): ElementDefinition => ({
  group: "nodes",
  data: { id, label: id, colour: "green", kind: "service", ...data },
});
const edge = (source: string, target: string, data: Record<string, unknown> = {}): ElementDefinition => ({
  group: "edges",
  data: {
    id: `${source}->${target}`,
    source,
    target,
    label: "",
    colour: "green",
    mtls: "full",
    denied: "no",
    ...data,
  },
});

/** The drawn map as the canvas keeps it, with each element's id standing in for the cytoscape element. */
function drawnFrom(elements: ElementDefinition[]): Map<string, DrawnElement<string>> {
  return new Map(
    elements.map((element) => [
      String(element.data.id),
      { element: String(element.data.id), data: element.data },
    ]),
  );
}

describe("a live update of the drawn graph", () => {
  test("only the fields that changed, and only of the elements they changed on", () => {
    const drawn = drawnFrom([service("web"), service("cart"), edge("web", "cart")]);
    const diff = diffElements(drawn, [
      service("web", { colour: "red" }),
      service("cart"),
      edge("web", "cart", { mtls: "none", label: "plaintext" }),
    ]);
    expect(diff.changes).toEqual([
      ["web", { colour: "red" }],
      ["web->cart", { label: "plaintext", mtls: "none" }],
    ]);
    expect(diff).toMatchObject({ added: [], moves: [], removed: [], regrouped: false });
    // The next update compares with what this one drew.
    expect(diffElements(drawn, [service("web", { colour: "red" })]).changes).toEqual([]);
  });

  test("new elements in the wanted order, and ids no longer wanted", () => {
    const drawn = drawnFrom([service("web"), service("cart"), edge("web", "cart")]);
    const checkout = service("checkout");
    const call = edge("web", "checkout");
    const diff = diffElements(drawn, [service("web"), checkout, call]);
    expect(diff.added).toEqual([checkout, call]);
    expect(diff.removed).toEqual(["cart", "web->cart"]);
  });

  test("a service moved into a namespace box and out again", () => {
    const drawn = drawnFrom([
      service("web"),
      { group: "nodes", data: { id: "web@v1", kind: "version", parent: "web" } },
    ]);
    const diff = diffElements(drawn, [
      { group: "nodes", data: { id: "namespace:shop", kind: "namespace" } },
      service("web", { parent: "namespace:shop" }),
      { group: "nodes", data: { id: "web@v1", kind: "version", parent: "web" } },
    ]);
    expect(diff.moves).toEqual([["web", "namespace:shop"]]);
    expect(diff.regrouped).toBe(true);
    expect(diffElements(drawn, [service("web")]).moves).toEqual([["web", null]]);
  });
});
