import { render, screen } from "@testing-library/react";
import { describe, expect, test, vi } from "vitest";
import { activeFilters, NO_FILTERS } from "@/features/tap/tap-filters";
import { TapPage } from "@/features/tap/tap-page";
import { keepNewest, MAX_TAP_ROWS, toTapRow } from "@/features/tap/tap-rows";
import { TapTable } from "@/features/tap/tap-table";
import { renderWithApi } from "./fake-api";

vi.mock("next/navigation", () => ({ useSearchParams: () => new URLSearchParams() }));

const summary = (path: string) => ({
  time: "2026-11-22T03:00:00.000Z",
  direction: "inbound",
  method: "GET",
  path,
  status: 200,
  latencyMs: 1.5,
  source: "web",
  destination: "cart",
});

describe("the live tap", () => {
  test("keeps the newest rows first, at most MAX_TAP_ROWS of them", () => {
    let rows = keepNewest([], [toTapRow(summary("/a"), "cart-v1", 1)]);
    const burst = Array.from({ length: MAX_TAP_ROWS + 50 }, (_, index) =>
      toTapRow(summary(`/b/${index}`), "cart-v1", index + 2),
    );
    rows = keepNewest(rows, burst);
    expect(rows).toHaveLength(MAX_TAP_ROWS);
    expect(rows[0]?.path).toBe(`/b/${MAX_TAP_ROWS + 49}`);
    expect(rows.some((row) => row.path === "/a")).toBe(false);
  });

  test("reads a summary without a status (no response was sent) as such", () => {
    const { status: _status, ...noResponse } = summary("/gone");
    expect(toTapRow(noResponse, "cart-v1", 1)).toMatchObject({
      path: "/gone",
      status: undefined,
      latencyMs: 1.5,
    });
  });

  test("shows a gRPC call's status, and marks a gRPC failure behind HTTP 200 as a failure", () => {
    const rows = [
      toTapRow({ ...summary("/shop.Cart/Get"), grpcStatus: 14 }, "cart-v1", 2),
      toTapRow({ ...summary("/shop.Cart/List"), grpcStatus: 0 }, "cart-v1", 1),
      toTapRow(summary("/plain"), "cart-v1", 0),
    ];
    render(<TapTable rows={rows} />);
    const statusCells = screen
      .getAllByRole("row")
      .slice(1)
      .map((row) => row.querySelectorAll("td")[5] as HTMLElement);
    expect(statusCells.map((cell) => cell.textContent)).toEqual(["200 · gRPC 14", "200 · gRPC 0", "200"]);
    expect(statusCells.map((cell) => cell.className)).toEqual(["error-text", "", ""]);
  });

  test("the failures filter is one of the filters passed to tap.stream", () => {
    expect(NO_FILTERS).toMatchObject({ classification: "", grpcStatus: "" });
    expect(activeFilters({ ...NO_FILTERS, classification: "failure", path: " " })).toEqual({
      classification: "failure",
    });
  });

  test("tells a viewer why there is no tap, and never asks for one", async () => {
    const api = renderWithApi({
      "auth.me": () => ({ id: 2, name: "vera", role: "viewer" }),
      "dataplanes.list": () => [],
    });
    render(<TapPage />, { wrapper: api.wrapper });
    expect((await screen.findByRole("note")).textContent).toContain("The live tap is for editors and admins");
    expect(screen.queryByLabelText("Service or proxy")).toBeNull();
    expect(api.calls.map((call) => call.path)).not.toContain("tap.stream");
  });
});
