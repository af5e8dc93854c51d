import { fixedRateLoad, useProcesses, waitFor } from "@loom/test-harness";
import type { Core, NodeSingular } from "cytoscape";
import type { Browser, Locator, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { GATEWAY_SERVICE, SHOP } from "../examples/demo/src/topology.ts";
import { browserTestsRun, launchChromium, screenshot, signIn } from "./support/chromium.ts";
import { DEMO_ADMIN, type RunningDemo, startDemo } from "./support/demo.ts";

useProcesses();

const SERVICES = [GATEWAY_SERVICE, ...SHOP.map((service) => service.name)].sort();
const EDGES = [
  `${GATEWAY_SERVICE}->web`,
  ...SHOP.flatMap((service) => service.calls.map((callee) => `${service.name}->${callee}`)),
].sort();
/** payments has one caller, so denying it stops every request its app counts. */
const DENIED = { source: "checkout", destination: "payments" };

const seconds = (since: number) => (performance.now() - since) / 1000;
const report = (figure: string, value: number | string) =>
  console.log(`demo-flows: ${figure} ${typeof value === "number" ? value.toFixed(2) : value}`);

/** Through the sidebar, as an operator moves between sections. */
function goTo(page: Page, section: string): Promise<void> {
  return page.getByRole("navigation", { name: "Sections" }).getByRole("link", { name: section }).click();
}

interface DrawnGraph {
  nodes: string[];
  edges: { id: string; label: string; denied: string }[];
}

/** The service graph's container, on which cytoscape keeps its instance. */
interface GraphHost {
  _cyreg?: { cy?: Core };
  getBoundingClientRect(): { left: number; top: number };
}

/** What cytoscape has drawn, to check the picture itself. */
function drawnGraph(page: Page): Promise<DrawnGraph> {
  return page.getByRole("img", { name: "Service graph" }).evaluate((host) => {
    const cy = (host as unknown as GraphHost)._cyreg?.cy;
    if (!cy) return { nodes: [], edges: [] };
    return {
      nodes: cy
        .nodes()
        .map((node) => node.id())
        .sort(),
      edges: cy.edges().map((edge) => ({
        id: edge.id(),
        label: String(edge.data("label")),
        denied: String(edge.data("denied")),
      })),
    };
  });
}

/** Where each service's node is drawn (model coordinates, rounded). */
function nodePositions(page: Page): Promise<Record<string, string>> {
  return page.getByRole("img", { name: "Service graph" }).evaluate((host) => {
    const cy = (host as unknown as GraphHost)._cyreg?.cy;
    const positions: Record<string, string> = {};
    cy?.nodes('[kind = "service"]').forEach((node) => {
      positions[node.id()] = `${Math.round(node.position("x"))},${Math.round(node.position("y"))}`;
    });
    return positions;
  });
}

/** The compound node each of `ids` is drawn inside, if any. */
function nodeParents(page: Page, ids: readonly string[]): Promise<Record<string, string | null>> {
  return page.getByRole("img", { name: "Service graph" }).evaluate((host, wanted) => {
    const cy = (host as unknown as GraphHost)._cyreg?.cy;
    return Object.fromEntries(
      wanted.map((id) => [id, (cy?.getElementById(id).parent().first().id() as string | undefined) ?? null]),
    );
  }, ids);
}

/** Clicks a node or an edge (its midpoint) where cytoscape draws it, as the mouse would. */
async function clickInGraph(page: Page, id: string): Promise<void> {
  const canvas = page.getByRole("img", { name: "Service graph" });
  await canvas.scrollIntoViewIfNeeded();
  const locate = () =>
    canvas.evaluate((host, elementId) => {
      const graph = host as unknown as GraphHost & { clientWidth: number; clientHeight: number };
      const element = graph._cyreg?.cy?.getElementById(elementId);
      if (!element || element.empty()) return null;
      // An edge a third of the way along, clear of its label (drawn at the midpoint) and of its ends' nodes.
      const along = (from: { x: number; y: number }, to: { x: number; y: number }) => ({
        x: from.x + (to.x - from.x) / 3,
        y: from.y + (to.y - from.y) / 3,
      });
      const at = element.isEdge()
        ? along(element.renderedSourceEndpoint(), element.renderedTargetEndpoint())
        : (element as NodeSingular).renderedPosition();
      const box = graph.getBoundingClientRect();
      const inView = at.x > 0 && at.y > 0 && at.x < graph.clientWidth && at.y < graph.clientHeight;
      return { x: Math.round(box.left + at.x), y: Math.round(box.top + at.y), inView };
    }, id);
  // Where it stays put: the page may still be moving (a message above the canvas going, the canvas resizing).
  const point = await waitFor(
    async () => {
      const first = await locate();
      await new Promise((resolve) => setTimeout(resolve, 300));
      const second = await locate();
      return first && second && first.inView && first.x === second.x && first.y === second.y
        ? first
        : undefined;
    },
    { what: `${id} to be drawn in view and still`, timeoutMs: 15_000, intervalMs: 0 },
  );
  await page.mouse.move(point.x, point.y);
  await page.mouse.click(point.x, point.y);
}

/** Selects a node or an edge by clicking it in the graph, until the side panel shows it. */
async function selectInGraph(page: Page, id: string, heading: string): Promise<Locator> {
  const panel = page.getByRole("complementary", { name: "Selection" });
  const shown = panel.getByRole("heading", { name: heading, exact: true });
  for (let attempt = 1; ; attempt += 1) {
    await clickInGraph(page, id);
    try {
      await shown.waitFor({ timeout: 3_000 });
      if (attempt > 1) report(`${id} selected at click`, attempt);
      return panel;
    } catch (error) {
      if (attempt === 3) throw error;
    }
  }
}

describe.runIf(browserTestsRun)("the four operator flows against npm run demo", () => {
  let demo: RunningDemo;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    // Every trace sampled, so a trace through three services is there within seconds.
    demo = await startDemo({ rps: 40, sampling: 1 });
    report("demo ready (s)", demo.readySeconds);
    report("graph live per the launcher (s)", demo.graphLiveSeconds);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.setDefaultTimeout(20_000);
    await signIn(page, demo.urls.console, DEMO_ADMIN);
  }, 300_000);

  afterEach(async (context) => {
    if (context.task.result?.state === "fail" && page)
      await screenshot(page, `demo-failed-${context.task.name.split(":")[0]?.replace(/[^\w-]+/g, "-")}`);
  });

  afterAll(async () => {
    await browser?.close();
    await demo?.stop();
  });

  test("dashboard: every service and call drawn, rps moving while watched, an edge's metrics one click away", async () => {
    const opened = performance.now();
    await goTo(page, "Graph");
    await expect
      .poll(async () => (await drawnGraph(page)).nodes, { timeout: 30_000 })
      .toEqual(expect.arrayContaining(SERVICES));
    await expect
      .poll(async () => (await drawnGraph(page)).edges.map((edge) => edge.id).sort(), { timeout: 30_000 })
      .toEqual(EDGES);
    report("graph drawn in the browser (s)", seconds(opened));
    await screenshot(page, "demo-1-graph");

    const rpsOf = async () =>
      (await drawnGraph(page)).edges
        .find((edge) => edge.id === "web->catalog")
        ?.label.match(/([\d.]+) rps/)?.[1];
    const first = await rpsOf();
    expect(first).toBeDefined();
    const positionsBefore = await nodePositions(page);
    const watching = performance.now();
    await expect.poll(rpsOf, { timeout: 30_000, interval: 500 }).not.toBe(first);
    report(`web → catalog rps changed from ${first} to ${await rpsOf()} after (s)`, seconds(watching));
    // The picture the operator has read stays put across the update.
    expect(await nodePositions(page)).toEqual(positionsBefore);

    const labelOf = async () =>
      (await drawnGraph(page)).edges.find((edge) => edge.id === "web->catalog")?.label;
    const edgeLabels = page.getByRole("combobox", { name: /^Edge labels/ });
    await edgeLabels.selectOption("p99");
    await expect.poll(labelOf).toMatch(/^p99 [\d.]+ m?s$/);
    await edgeLabels.selectOption("all");
    await expect.poll(labelOf).toMatch(/^mTLS · [\d.]+ rps · [\d.]+% · p99 [\d.]+ m?s$/);
    await screenshot(page, "demo-1-graph-all-edge-labels");
    await edgeLabels.selectOption("rps");
    expect(await nodePositions(page)).toEqual(positionsBefore);

    await page.getByLabel("Group by namespace").check();
    await expect
      .poll(async () => (await drawnGraph(page)).nodes)
      .toEqual(expect.arrayContaining(["namespace:default", ...SERVICES]));
    expect(Object.values(await nodeParents(page, SERVICES))).toEqual(SERVICES.map(() => "namespace:default"));
    await screenshot(page, "demo-1-graph-by-namespace");
    await page.getByLabel("Group by namespace").uncheck();
    await expect.poll(async () => (await drawnGraph(page)).nodes).not.toContain("namespace:default");

    const panel = await selectInGraph(page, "checkout->payments", "checkout → payments");
    expect(await panel.textContent()).toMatch(/Requests[\d.]+ rpsSuccess[\d.]+%Latencyp50 .* p99 [\d.]+ m?s/);
    await screenshot(page, "demo-1-edge-metrics");
  });

  test("canary: an 80/20 split made from cart's graph node reaches the versions' own counters; rollback restores 100/0", async () => {
    await goTo(page, "Graph");
    const panel = await selectInGraph(page, "cart", "cart");
    await panel.getByRole("button", { name: "Show versions in the graph" }).click();
    await expect
      .poll(async () => (await drawnGraph(page)).nodes)
      .toEqual(expect.arrayContaining(["cart@v1", "cart@v2"]));
    await screenshot(page, "demo-2-cart-versions");

    await panel.getByRole("link", { name: "Create canary" }).click();
    await page.waitForURL(/\/canary\?service=cart$/);
    const wizard = page.getByRole("region", { name: "Canary wizard" });
    await wizard.getByLabel("Fixed split").click();
    // The slider by mouse and arrow keys, as an operator sets it.
    const slider = wizard.getByRole("slider");
    await slider.click();
    for (let presses = 0; presses < 100; presses += 1) {
      const value = Number(await slider.inputValue());
      if (value === 20) break;
      await slider.press(value > 20 ? "ArrowLeft" : "ArrowRight");
    }
    await wizard.getByText("Canary share: 20%").waitFor();
    await screenshot(page, "demo-2-canary-wizard");

    const before = await demo.counters();
    // Extra shoppers adding to their carts while the split is measured: more cart requests, a tighter share.
    const extraLoad = fixedRateLoad({
      url: `${demo.urls.gateway}/cart/items`,
      method: "POST",
      headers: { "content-type": "application/json", host: "shop.local" },
      body: JSON.stringify({ user: "e2e", productId: "p1", quantity: 1 }),
      rps: 40,
      durationMs: 16_000,
    });
    const applied = performance.now();
    await wizard.getByRole("button", { name: "Apply" }).click();
    await page.getByText("TrafficRoute default/cart-split: configured (version 2)").waitFor();
    const reached = await waitFor(
      async () => {
        const now = await demo.counters();
        return (now["cart-v2"]?.requests ?? 0) > (before["cart-v2"]?.requests ?? 0) ? now : undefined;
      },
      { what: "cart-v2 to get its first request", timeoutMs: 10_000, intervalMs: 100 },
    );
    const toCanary = seconds(applied);
    // The share over what the versions counted from there until 10 s after the apply; on a machine too busy
    // to carry 500 cart requests by then (a share of fewer wobbles by more than ±2 points), up to 15 s.
    const cartRequests = (counters: typeof reached) =>
      ["cart-v1", "cart-v2"].reduce(
        (sum, name) => sum + (counters[name]?.requests ?? 0) - (reached[name]?.requests ?? 0),
        0,
      );
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, 10_000 - (performance.now() - applied))));
    let after = await demo.counters();
    while (cartRequests(after) < 500 && performance.now() - applied < 15_000) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      after = await demo.counters();
    }
    const measuredUntil = seconds(applied);
    await extraLoad;
    const v1 = (after["cart-v1"]?.requests ?? 0) - (reached["cart-v1"]?.requests ?? 0);
    const v2 = (after["cart-v2"]?.requests ?? 0) - (reached["cart-v2"]?.requests ?? 0);
    const share = (100 * v2) / (v1 + v2);
    report("first request at cart-v2 after apply (s)", toCanary);
    report(
      `split measured at the apps until ${measuredUntil.toFixed(1)} s (v1 ${v1}, v2 ${v2}): v2 share %`,
      share,
    );
    expect(toCanary).toBeLessThan(10);
    expect(v1 + v2).toBeGreaterThan(100);
    expect(share).toBeGreaterThanOrEqual(15);
    expect(share).toBeLessThanOrEqual(25);
    await screenshot(page, "demo-2-canary-applied");

    // Roll back from the policy's history.
    await goTo(page, "Policies");
    await page
      .getByRole("tablist", { name: "Policy kinds" })
      .getByRole("tab", { name: /TrafficRoute/ })
      .click();
    await page.getByRole("table", { name: "Policies" }).getByRole("button", { name: "cart-split" }).click();
    await page.getByRole("tab", { name: "History" }).click();
    const rolledBack = performance.now();
    await page.getByRole("button", { name: "Roll back to version 1" }).click();
    await page.getByText("Version 3", { exact: true }).waitFor();
    await screenshot(page, "demo-2-rollback");
    const route = await demo.admin.policies.get.query({ kind: "TrafficRoute", name: "cart-split" });
    expect(
      "rules" in route.spec && route.spec.rules[0]?.backendRefs.map((ref) => [ref.tags.version, ref.weight]),
    ).toEqual([
      ["v1", 100],
      ["v2", 0],
    ]);
    // Measured at the apps again: once in-flight requests are through, v2 gets nothing and v1 everything.
    let last = await demo.counters();
    const quiet = await waitFor(
      async () => {
        await new Promise((resolve) => setTimeout(resolve, 2_000));
        const now = await demo.counters();
        const [v1Delta, v2Delta] = ["cart-v1", "cart-v2"].map(
          (name) => (now[name]?.requests ?? 0) - (last[name]?.requests ?? 0),
        );
        last = now;
        return v2Delta === 0 && (v1Delta ?? 0) > 0 ? { v1Delta } : undefined;
      },
      { what: "cart-v2 to get no more requests after the rollback", timeoutMs: 20_000, intervalMs: 0 },
    );
    report(
      `rollback to 100/0 measured at the apps (v1 +${quiet.v1Delta}, v2 +0 over 2 s) after (s)`,
      seconds(rolledBack),
    );
  });

  test("permissions: a denied pair gets 403 at the proxy and a denied edge; allowing again restores the calls", async () => {
    const outbound403 = () =>
      demo.requestsAt(`${DENIED.source}-v1`, {
        direction: "outbound",
        destination: DENIED.destination,
        status_class: "4xx",
      });
    const callsReceived = async () => (await demo.counters())[`${DENIED.destination}-v1`]?.requests ?? 0;

    await goTo(page, "Permissions");
    const matrix = page.getByRole("table", { name: "Permission matrix" });
    await matrix
      .getByRole("button", { name: `${DENIED.source} → ${DENIED.destination}: Allow`, exact: false })
      .click();
    const editor = page.getByRole("region", { name: "Change permission" });
    await editor.getByLabel("Deny").click();
    const refusedBefore = await outbound403();
    const denied = performance.now();
    await editor.getByRole("button", { name: "Apply" }).click();
    await waitFor(async () => (await outbound403()) > refusedBefore, {
      what: `${DENIED.source}'s sidecar to count 403s from ${DENIED.destination}`,
      timeoutMs: 10_000,
      intervalMs: 100,
    });
    const to403 = seconds(denied);
    report(`first 403 at ${DENIED.source}'s sidecar after apply (s)`, to403);
    expect(to403).toBeLessThan(5);
    // Nothing reaches the callee's app any more (after a moment for requests already past its proxy).
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const [received, refused] = [await callsReceived(), await outbound403()];
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const [receivedLater, refusedLater] = [await callsReceived(), await outbound403()];
    report(
      `over 3 s while denied: ${DENIED.destination} app +${receivedLater - received}, 403s +`,
      refusedLater - refused,
    );
    expect(receivedLater - received).toBe(0);
    expect(refusedLater - refused).toBeGreaterThan(0);
    await screenshot(page, "demo-3-denied-applied");

    await goTo(page, "Graph");
    const row = page
      .getByRole("table", { name: "Edges" })
      .getByRole("row")
      .filter({ hasText: `${DENIED.source} → ${DENIED.destination}` });
    await expect.poll(() => row.textContent()).toContain("denied");
    const edgeId = `${DENIED.source}->${DENIED.destination}`;
    const deniedEdge = async () => (await drawnGraph(page)).edges.find((edge) => edge.id === edgeId);
    await expect.poll(async () => (await deniedEdge())?.denied).toBe("yes");
    expect((await deniedEdge())?.label).toMatch(/^denied · /);
    // The other calls are not marked.
    expect(
      (await drawnGraph(page)).edges.filter((edge) => edge.denied === "yes").map((edge) => edge.id),
    ).toEqual([edgeId]);
    await (await selectInGraph(page, edgeId, `${DENIED.source} → ${DENIED.destination}`))
      .getByText("Denied:")
      .waitFor();
    await screenshot(page, "demo-3-denied-edge");

    await goTo(page, "Permissions");
    await matrix
      .getByRole("button", { name: `${DENIED.source} → ${DENIED.destination}: Deny`, exact: false })
      .click();
    await editor.getByLabel("Allow").click();
    const allowedFrom = await callsReceived();
    const allowed = performance.now();
    await editor.getByRole("button", { name: "Apply" }).click();
    await waitFor(async () => (await callsReceived()) > allowedFrom, {
      what: `${DENIED.destination}'s app to be called again`,
      timeoutMs: 10_000,
      intervalMs: 100,
    });
    report(`${DENIED.destination} called again after allowing (s)`, seconds(allowed));
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const refusedAfter = await outbound403();
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(await outbound403()).toBe(refusedAfter);
    await goTo(page, "Graph");
    await expect.poll(() => row.textContent()).not.toContain("denied");
    await screenshot(page, "demo-3-allowed-again");
  });

  test("traces: a trace across three services opens as a parent/child waterfall with durations; an edge leads to its traces", async () => {
    await goTo(page, "Traces");
    const traces = page.getByRole("table", { name: "Traces" });
    const acrossThree = traces.getByRole("row").filter({ hasText: /\w+, \w+, \w+/ });
    await acrossThree.first().waitFor({ timeout: 30_000 });
    await acrossThree.first().getByRole("button").click();
    const waterfall = page.getByRole("region", { name: /^Trace [0-9a-f]{32}$/ });
    await waterfall.waitFor();
    const traceId = (await waterfall.getAttribute("aria-label"))?.slice("Trace ".length) ?? "";
    const readRows = () =>
      waterfall.locator(".waterfall-row").evaluateAll((buttons) =>
        buttons.map((button) => {
          type Found = { textContent: string | null; style: { paddingLeft: string } } | null;
          const row = button as unknown as { querySelector(selector: string): Found };
          const name = row.querySelector(".span-name");
          if (name === null) throw new Error("a waterfall row without a span name");
          return {
            depth: Number.parseFloat(name.style.paddingLeft) / 14,
            key: name.textContent ?? "",
            duration: row.querySelector(".span-duration")?.textContent ?? "",
          };
        }),
      );
    // The trace as the control plane stored it: which span is whose child. Its spans come from
    // several proxies' export batches, so the page and the store agree once the last one is in.
    type StoredSpan = Awaited<ReturnType<typeof demo.admin.traces.get.query>>[number];
    const keyOf = (span: StoredSpan) => `${span.service} ${span.name}`;
    let rows: Awaited<ReturnType<typeof readRows>> = [];
    let spans: StoredSpan[] = [];
    await expect
      .poll(
        async () => {
          spans = await demo.admin.traces.get.query({ traceId });
          rows = await readRows();
          return (
            rows
              .map((row) => row.key)
              .sort()
              .join("\n") === spans.map(keyOf).sort().join("\n")
          );
        },
        { timeout: 20_000, interval: 500 },
      )
      .toBe(true);
    await screenshot(page, "demo-4-trace-waterfall");
    const byId = new Map(spans.map((span) => [span.spanId, span]));
    const parentage = new Set(
      spans.flatMap((span) => {
        const parent = span.parentSpanId === null ? undefined : byId.get(span.parentSpanId);
        return parent ? [`${keyOf(parent)} ⊃ ${keyOf(span)}`] : [];
      }),
    );
    expect(new Set(spans.map((span) => span.service)).size).toBeGreaterThanOrEqual(3);
    expect(rows.map((row) => row.key).sort()).toEqual(spans.map(keyOf).sort());
    expect(rows[0]?.depth).toBe(0);
    rows.forEach((row, index) => {
      expect(row.duration).toMatch(/^[\d.]+ m?s$/);
      if (index === 0) return;
      expect(row.depth).toBeLessThanOrEqual((rows[index - 1]?.depth ?? 0) + 1);
      if (row.depth === 0) return;
      // Its parent is the nearest row above it one level up, and the stored trace says so.
      const parent = rows.slice(0, index).findLast((above) => above.depth === row.depth - 1);
      expect(parentage, `${parent?.key} ⊃ ${row.key}`).toContain(`${parent?.key} ⊃ ${row.key}`);
    });
    report(
      `waterfall of ${spans.length} spans over services`,
      [...new Set(spans.map((span) => span.service))].join(" "),
    );

    // From a graph edge straight to that edge's traces.
    await goTo(page, "Graph");
    const panel = await selectInGraph(page, "web->cart", "web → cart");
    await panel.getByRole("link", { name: "Slow traces of this edge" }).click();
    await page.waitForURL(/\/traces\?service=cart&caller=web&minDurationMs=\d+/);
    const throughEdge = page
      .getByRole("table", { name: "Traces" })
      .getByRole("row")
      .filter({ has: page.getByRole("cell", { name: /(^|, )cart(,|$)/ }) })
      .filter({ has: page.getByRole("cell", { name: /(^|, )web(,|$)/ }) });
    await throughEdge.first().waitFor({ timeout: 30_000 });
    await screenshot(page, "demo-4-edge-traces");
  });
});
