import { describe, expect, test } from "vitest";
import { parseEdgeFilter } from "@/features/graph/graph-filter";
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
