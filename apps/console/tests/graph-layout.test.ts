import { describe, expect, test } from "vitest";
import { layeredPositions, layerRanks } from "@/features/graph/graph-layout";

describe("the layered layout of big meshes", () => {
  test("a service sits one column right of its deepest caller", () => {
    const ranks = layerRanks(
      ["web", "cart", "checkout", "payments", "lonely"],
      [
        { source: "web", target: "cart" },
        { source: "cart", target: "checkout" },
        { source: "web", target: "checkout" },
        { source: "checkout", target: "payments" },
      ],
    );
    expect(Object.fromEntries(ranks)).toEqual({ web: 0, cart: 1, checkout: 2, payments: 3, lonely: 0 });
  });

  test("a cycle is cut once instead of looping, and every service still gets a rank", () => {
    const ranks = layerRanks(
      ["a", "b", "c"],
      [
        { source: "a", target: "b" },
        { source: "b", target: "c" },
        { source: "c", target: "b" },
      ],
    );
    expect(ranks.get("a")).toBe(0);
    expect(ranks.get("b")).toBe(1);
    expect(ranks.get("c")).toBe(2);
  });

  test("callers are left of callees in a mesh that fits one band, and no two services share a place", () => {
    const services = Array.from({ length: 200 }, (_, index) => `svc-${index}`);
    const calls = services
      .slice(1)
      .map((target, index) => ({ source: `svc-${Math.floor(index / 3)}`, target }));
    const positions = layeredPositions(services, calls);
    expect(positions.size).toBe(services.length);
    for (const { source, target } of calls)
      expect(positions.get(source)?.x ?? Number.NaN).toBeLessThan(positions.get(target)?.x ?? Number.NaN);
    const places = new Set([...positions.values()].map(({ x, y }) => `${x},${y}`));
    expect(places.size).toBe(services.length);
    expect(layeredPositions(services, calls)).toEqual(positions);
  });

  test("a long call chain is cut into bands stacked downwards, so the picture keeps about the canvas's shape", () => {
    const services = Array.from({ length: 300 }, (_, index) => `svc-${index}`);
    const calls = services.slice(1).map((target, index) => ({ source: `svc-${index}`, target }));
    const positions = [...layeredPositions(services, calls).values()];
    const width = Math.max(...positions.map(({ x }) => x)) - Math.min(...positions.map(({ x }) => x));
    const height = Math.max(...positions.map(({ y }) => y)) - Math.min(...positions.map(({ y }) => y));
    expect(width / height).toBeGreaterThan(0.8);
    expect(width / height).toBeLessThan(4);
    expect(new Set(positions.map(({ x, y }) => `${x},${y}`)).size).toBe(services.length);
  });
});
