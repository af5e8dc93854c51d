import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, test } from "vitest";
import { GraphEdgeTable, SHOWN_EDGES } from "@/features/graph/graph-edge-table";
import type { GraphEdge } from "@/features/graph/use-service-graph";

/** Calls from web to svc-0 … svc-(count-1), svc-i at i rps. */
const calls = (count: number): GraphEdge[] =>
  Array.from({ length: count }, (_, index) => ({
    source: "web",
    destination: `svc-${index}`,
    metrics: { rps: index, requests: index * 60, successRate: 1, latencyMs: { p50: 1, p95: 2, p99: 3 } },
    mtls: "full",
  }));

const rows = () =>
  within(screen.getByRole("table", { name: "Edges" }))
    .getAllByRole("row")
    .slice(1);

describe("the edge table", () => {
  test("a big mesh shows its busiest calls until all are asked for", async () => {
    const total = SHOWN_EDGES + 50;
    render(<GraphEdgeTable edges={calls(total)} selection={null} onSelect={() => {}} />);
    expect(rows()).toHaveLength(SHOWN_EDGES);
    expect(within(rows()[0] as HTMLElement).getByRole("button").textContent).toBe(`web → svc-${total - 1}`);
    expect(screen.getByText(`The ${SHOWN_EDGES} busiest of ${total} calls.`, { exact: false })).toBeTruthy();

    await userEvent.click(screen.getByRole("button", { name: `Show all ${total}` }));
    expect(rows()).toHaveLength(total);
    expect(screen.queryByRole("button", { name: `Show all ${total}` })).toBeNull();
  });

  test("a small mesh shows every call and no button", () => {
    render(<GraphEdgeTable edges={calls(3)} selection={null} onSelect={() => {}} />);
    expect(rows()).toHaveLength(3);
    expect(screen.queryByRole("button", { name: /Show all/ })).toBeNull();
  });
});
