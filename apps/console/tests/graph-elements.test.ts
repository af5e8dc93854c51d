import { describe, expect, test } from "vitest";
import { type EdgeLabels, graphElements } from "@/features/graph/graph-elements";
import type { GoldenMetrics, GraphEdge, GraphService } from "@/features/graph/use-service-graph";

const metrics = (rps: number): GoldenMetrics => ({
  rps,
  requests: rps * 60,
  successRate: 1,
  latencyMs: { p50: 1, p95: 2, p99: 3 },
});
const services: GraphService[] = [
  { name: "web", metrics: metrics(10), versions: [{ version: "v1", metrics: metrics(10) }] },
  {
    name: "cart",
    metrics: metrics(8),
    versions: [
      { version: "v1", metrics: metrics(6) },
      { version: "v2", metrics: metrics(2) },
    ],
  },
];
const edges: GraphEdge[] = [{ source: "web", destination: "cart", metrics: metrics(8), mtls: "full" }];

const byId = (elements: ReturnType<typeof graphElements>) =>
  new Map(elements.map((element) => [element.data.id, element.data]));

describe("the service graph's elements", () => {
  test("plain: one node per service, one edge per call, nothing denied", () => {
    const elements = byId(graphElements(services, edges));
    expect([...elements.keys()]).toEqual(["web", "cart", "web->cart"]);
    expect(elements.get("cart")).toMatchObject({ label: "cart\n8.0 rps" });
    expect(elements.get("cart")?.parent).toBeUndefined();
    expect(elements.get("web->cart")).toMatchObject({ label: "8.0 rps", denied: "no" });
  });

  test("edge labels say the number asked for, or everything, or nothing", () => {
    const label = (edgeLabels: EdgeLabels, denied = new Set<string>()) =>
      byId(graphElements(services, edges, { edgeLabels, denied })).get("web->cart")?.label;
    expect(label("rps")).toBe("8.0 rps");
    expect(label("success")).toBe("100.0%");
    expect(label("p99")).toBe("p99 3.0 ms");
    expect(label("all")).toBe("mTLS · 8.0 rps · 100.0% · p99 3.0 ms");
    expect(label("none")).toBe("");
    expect(label("none", new Set(["web->cart"]))).toBe("denied");
    expect(label("p99", new Set(["web->cart"]))).toBe("denied · p99 3.0 ms");
  });

  test("an expanded service holds its versions, each with its own rps; the edge still ends at the service", () => {
    const elements = graphElements(services, edges, { expanded: new Set(["cart"]) });
    const data = byId(elements);
    expect(data.get("cart@v1")).toMatchObject({ parent: "cart", label: "v1\n6.0 rps", kind: "version" });
    expect(data.get("cart@v2")).toMatchObject({ parent: "cart", label: "v2\n2.0 rps", service: "cart" });
    expect(data.get("cart")?.label).toBe("cart");
    expect(data.get("web->cart")).toMatchObject({ source: "web", target: "cart" });
    // Parents come before their children, so the list can be added in order.
    const ids = elements.map((element) => element.data.id);
    expect(ids.indexOf("cart")).toBeLessThan(ids.indexOf("cart@v1"));
  });

  test("a registered version without requests (a canary at 0 %) is drawn too, as idle", () => {
    const registeredVersions = new Map([["cart", ["v1", "v2", "v3"]]]);
    const data = byId(graphElements(services, edges, { expanded: new Set(["cart"]), registeredVersions }));
    expect(data.get("cart@v3")).toMatchObject({ parent: "cart", label: "v3\nidle", health: "idle" });
    expect(data.get("cart@v2")?.label).toBe("v2\n2.0 rps");
  });

  test("grouped by namespace: a box per namespace, each service inside its own", () => {
    const namespaces = new Map([["cart", "shop"]]);
    const data = byId(graphElements(services, edges, { namespaces, groupByNamespace: true }));
    expect(data.get("namespace:shop")).toMatchObject({ kind: "namespace", label: "shop" });
    expect(data.get("cart")?.parent).toBe("namespace:shop");
    expect(data.get("web")?.parent).toBe("namespace:default");
  });

  test("a denied edge is marked and says so in its label", () => {
    const data = byId(graphElements(services, edges, { denied: new Set(["web->cart"]) }));
    expect(data.get("web->cart")).toMatchObject({ denied: "yes" });
    expect(String(data.get("web->cart")?.label)).toMatch(/^denied · /);
  });
});
