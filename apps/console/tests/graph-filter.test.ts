import { describe, expect, test } from "vitest";
import { type GraphScope, parseEdgeFilter, scopePredicate } from "@/features/graph/graph-filter";
import type { GraphEdge } from "@/features/graph/use-service-graph";

function edge(
  rps: number,
  successRate: number | null,
  p99: number | null,
  mtls: GraphEdge["mtls"],
): GraphEdge {
  return {
    source: "web",
    destination: "cart",
    mtls,
    metrics: { rps, requests: rps * 60, successRate, latencyMs: { p50: null, p95: null, p99 } },
  };
}

const busyFailingPlaintext = edge(150, 0.98, 300, "none");
const quietHealthyMtls = edge(5, 0.999, 40, "full");

function matches(expression: string): boolean[] {
  const { predicate, error } = parseEdgeFilter(expression);
  if (!predicate) throw new Error(error ?? "no predicate");
  return [busyFailingPlaintext, quietHealthyMtls].map(predicate);
}

describe("the graph's find/hide expressions", () => {
  test.each([
    ["rps > 100", [true, false]],
    ["success < 99", [true, false]],
    ["p99 > 250ms", [true, false]],
    ["p99 >= 0.3s", [true, false]],
    ["!mtls", [true, false]],
    ["mtls", [false, true]],
    ["rps > 1, p99 < 100ms", [false, true]],
    ["cart", [true, true]],
  ])("%s", (expression, expected) => {
    expect(matches(expression)).toEqual(expected);
  });

  test("an empty box filters nothing", () => {
    expect(parseEdgeFilter("  ")).toEqual({ predicate: null });
  });

  test("says what it cannot read", () => {
    expect(parseEdgeFilter("rps >> 5").error).toBe(
      'cannot read ">>": try rps > 100, success < 99, p99 > 250ms, !mtls or a service name',
    );
  });
});

describe("the graph's namespace, mesh and health filters", () => {
  const call = (source: string, destination: string, successRate: number | null): GraphEdge => ({
    source,
    destination,
    mtls: "full",
    metrics: { rps: 1, requests: 60, successRate, latencyMs: { p50: null, p95: null, p99: null } },
  });
  const calls = [
    call("web", "cart", 1),
    call("cart", "payments", 0.97),
    call("payments", "bank", 0.5),
    call("batch", "report", null),
  ];
  const namespaces: Record<string, string> = {
    payments: "money",
    bank: "money",
    batch: "ops",
    report: "ops",
  };
  const meshes: Record<string, string> = { batch: "internal", report: "internal" };
  const where = {
    namespaceOf: (service: string) => namespaces[service] ?? "default",
    meshOf: (service: string) => meshes[service] ?? "default",
  };
  const kept = (scope: Partial<GraphScope>) => {
    const predicate = scopePredicate({ namespace: null, mesh: null, health: "any", ...scope }, where);
    return predicate && calls.filter(predicate).map((edge) => `${edge.source}->${edge.destination}`);
  };

  test("filter nothing until one is set", () => {
    expect(kept({})).toBeNull();
  });

  test("a namespace keeps the calls from or to its services", () => {
    expect(kept({ namespace: "money" })).toEqual(["cart->payments", "payments->bank"]);
    expect(kept({ namespace: "nowhere" })).toEqual([]);
  });

  test("a mesh keeps its own calls", () => {
    expect(kept({ mesh: "internal" })).toEqual(["batch->report"]);
  });

  test("health keeps calls by the colours' thresholds, idle ones only under any", () => {
    expect(kept({ health: "unhealthy" })).toEqual(["cart->payments", "payments->bank"]);
    expect(kept({ health: "failing" })).toEqual(["payments->bank"]);
    expect(kept({ health: "failing", namespace: "default" })).toEqual([]);
  });
});
