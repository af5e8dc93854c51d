import { useProcesses, waitFor } from "@loom/test-harness";
import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { browserTestsRun, launchChromium, screenshot, signIn } from "./support/chromium.ts";
import { type RunningConsole, startConsole } from "./support/console-server.ts";
import { ADMIN, type RunningControlPlane, startControlPlane } from "./support/control-plane.ts";
import { type FixtureMesh, startFixtureMesh } from "./support/fixture-mesh.ts";

useProcesses();

/** Through the sidebar, as an operator moves between sections. */
function goTo(page: Page, section: string): Promise<void> {
  return page.getByRole("navigation", { name: "Sections" }).getByRole("link", { name: section }).click();
}

const CART_TIMEOUT = `kind: Timeout
metadata:
  name: cart-timeout
spec:
  targetRef:
    kind: Service
    name: cart
  request: 3s
`;

describe.runIf(browserTestsRun)("console against a real control plane and proxies", () => {
  let controlPlane: RunningControlPlane;
  let mesh: FixtureMesh;
  let consoleApp: RunningConsole;
  let browser: Browser;
  let page: Page;
  let load: { stop(): Promise<void> };

  beforeAll(async () => {
    controlPlane = await startControlPlane();
    mesh = await startFixtureMesh(controlPlane);
    // Gentle, steady traffic through web → cart → checkout, so the graph and traces have something to show.
    load = mesh.startLoad(5);
    consoleApp = await startConsole(controlPlane.apiUrl);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.setDefaultTimeout(15_000);
  });

  afterEach(async (context) => {
    if (context.task.result?.state === "fail" && page) await screenshot(page, `failed-${context.task.name}`);
  });

  afterAll(async () => {
    await load?.stop();
    await browser?.close();
  });

  /** The policy as the control plane holds it: the effect of what the browser did. */
  async function cartTimeout() {
    const { kind, metadata, spec } = await controlPlane.admin.policies.get.query({
      kind: "Timeout",
      name: "cart-timeout",
    });
    if (!("request" in spec))
      throw new Error(`cart-timeout came back as a ${kind} without a request timeout`);
    return { request: spec.request, resourceVersion: metadata.resourceVersion };
  }

  test("signing in through the form leads back to the page asked for", async () => {
    await page.goto(`${consoleApp.url}/proxies`);
    await page.waitForURL(/\/sign-in\?next=%2Fproxies/);
    await page.getByLabel("Username").fill(ADMIN.username);
    await page.getByLabel("Password").fill("not-the-password");
    await page.getByRole("button", { name: "Sign in" }).click();
    const form = page.getByRole("form", { name: "Sign in" });
    await expect
      .poll(() => form.getByRole("alert").textContent())
      .toBe("Could not sign in. wrong username or password.");
    await screenshot(page, "sign-in-error");

    await page.getByLabel("Password").fill(ADMIN.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(`${consoleApp.url}/proxies`);
    expect(await page.getByTestId("current-user").textContent()).toBe("admin admin");
  });

  test("the proxies page shows each proxy online with the config version it acked", async () => {
    const table = page.getByRole("table", { name: "Proxies" });
    for (const name of ["web-v1", "cart-v1", "checkout-v1"]) {
      const row = table.getByRole("row").filter({ hasText: name });
      await expect.poll(() => row.getByText("online").count()).toBe(1);
    }
    const [acked] = await controlPlane.admin.dataplanes.list.query({ service: "web" });
    await expect
      .poll(() => table.getByRole("row").filter({ hasText: "web-v1" }).textContent())
      .toContain(acked?.ackedVersion?.slice(0, 10));
    await table.getByRole("button", { name: "web-v1" }).click();
    const listeners = page
      .getByRole("region", { name: "Proxy web-v1" })
      .getByRole("list", { name: "Listeners" });
    expect(await listeners.textContent()).toMatch(/outbound 127\.0\.0\.1:\d+ → cart/);
    await screenshot(page, "proxies");
  });

  test("a proxy's details show the config it runs, read from the proxy and following changes live", async () => {
    const config = page
      .getByRole("region", { name: "Proxy web-v1" })
      .getByRole("region", { name: "Running config" });
    const [web] = await controlPlane.admin.dataplanes.list.query({ service: "web" });
    await expect
      .poll(() => config.textContent())
      .toContain(`Running version ${web?.ackedVersion?.slice(0, 10)} acked`);
    const summary = config.getByRole("list", { name: "Config summary" });
    await expect
      .poll(() => summary.textContent())
      .toMatch(
        /outbound cart :\d+ \(http\): 1 of 1 endpoint\(s\) healthy \(cart-v1\); route default; defaults/,
      );

    // A Retry for cart reaches web's proxy: the page shows what the proxy now runs, without a reload.
    await controlPlane.admin.policies.applyYaml.mutate({
      text: "kind: Retry\nmetadata:\n  name: cart-retry-live\nspec:\n  targetRef:\n    kind: Service\n    name: cart\n",
    });
    await expect.poll(() => summary.textContent(), { timeout: 20_000 }).toContain("retry cart-retry-live");
    await config.getByText("Full config (YAML)").click();
    expect(await config.getByRole("figure", { name: "Config YAML" }).textContent()).toContain(
      "name: cart-retry-live",
    );
    await screenshot(page, "proxy-config");
    await controlPlane.admin.policies.delete.mutate({ kind: "Retry", name: "cart-retry-live" });
    await expect.poll(() => summary.textContent(), { timeout: 20_000 }).not.toContain("cart-retry-live");
  });

  test("live tap: requests of a service stream by with their real paths, pause and resume", async () => {
    // Requests on a path of their own, so the rows shown are surely these (the steady load asks for /).
    let sending = true;
    let sent = 0;
    const tagged = (async () => {
      while (sending) {
        sent += 1;
        await fetch(`${mesh.entryUrl}tap-e2e/${sent}`).then(
          (answer) => answer.arrayBuffer(),
          () => undefined,
        );
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    try {
      await goTo(page, "Live tap");
      await page.getByLabel("Service or proxy").selectOption({ label: "cart" });
      await page
        .getByTestId("tap-state-cart-v1")
        .getByText("cart-v1: streaming")
        .waitFor({ timeout: 20_000 });
      const rows = page.getByRole("table", { name: "Live requests" }).getByRole("row");
      const tappedRow = rows.filter({ hasText: /\/tap-e2e\/\d+/ }).first();
      await tappedRow.waitFor({ timeout: 20_000 });
      expect(await tappedRow.textContent()).toMatch(/GET\/tap-e2e\/\d+200[\d.]+ ms/);
      await screenshot(page, "tap-streaming");

      const newest = () => rows.nth(1).getAttribute("data-seq").then(Number);
      await page.getByRole("button", { name: "Pause" }).click();
      await page.getByTestId("tap-state-cart-v1").getByText("cart-v1: paused").waitFor();
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const pausedAt = await newest();
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      expect(await newest()).toBe(pausedAt);
      expect(await page.getByRole("status", { name: "Tap status" }).textContent()).toMatch(
        /^Paused: \d+ request/,
      );

      await page.getByRole("button", { name: "Resume" }).click();
      await expect.poll(newest, { timeout: 20_000 }).toBeGreaterThan(pausedAt);

      // The filter runs in the proxy: once applied, only the tagged paths come through.
      await page.getByLabel("Path prefix").fill("/tap-e2e/");
      await page.getByRole("button", { name: "Apply filters" }).click();
      await expect.poll(() => rows.count(), { timeout: 20_000 }).toBeGreaterThan(3);
      const paths = await page
        .getByRole("table", { name: "Live requests" })
        .locator("tbody code")
        .allTextContents();
      expect(paths.every((path) => path.startsWith("/tap-e2e/"))).toBe(true);
    } finally {
      sending = false;
      await tagged;
    }

    const viewer = { username: "tess", password: "viewer-password-tap" };
    await controlPlane.admin.users.create.mutate({ ...viewer, role: "viewer" });
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    try {
      const viewerPage = await context.newPage();
      await signIn(viewerPage, consoleApp.url, viewer);
      await viewerPage.goto(`${consoleApp.url}/tap`);
      await viewerPage
        .getByRole("note")
        .getByText("The live tap is for editors and admins", { exact: false })
        .waitFor();
      expect(await viewerPage.getByRole("table", { name: "Live requests" }).count()).toBe(0);
    } finally {
      await context.close();
    }
  });

  test("the overview counts services and proxies", async () => {
    await goTo(page, "Overview");
    const online = page.getByRole("link", { name: /proxies online/ });
    await expect.poll(() => online.textContent()).toBe("3proxies online");
    await page
      .getByRole("table", { name: "Edges" })
      .getByRole("row")
      .filter({ hasText: "web → cart" })
      .waitFor();
    await screenshot(page, "overview");
  });

  test("the service graph shows the measured calls with their numbers and mTLS, and a panel per edge", async () => {
    await goTo(page, "Graph");
    const edges = page.getByRole("table", { name: "Edges" });
    const webToCart = edges.getByRole("row").filter({ hasText: "web → cart" });
    await expect.poll(() => webToCart.textContent(), { timeout: 30_000 }).toMatch(/rps.*100\.0%.*mTLS/);
    await edges.getByRole("row").filter({ hasText: "cart → checkout" }).waitFor();
    await webToCart.getByRole("button").click();
    const panel = page.getByRole("complementary", { name: "Selection" });
    await panel.getByRole("heading", { name: "web → cart" }).waitFor();
    await panel.getByRole("link", { name: "Slow traces of this edge" }).waitFor();
    await screenshot(page, "graph");

    const focus = page.getByLabel("Only the selection's calls");
    await focus.check();
    await expect.poll(() => edges.getByRole("row").count()).toBe(2);
    await focus.uncheck();
    await expect.poll(() => edges.getByRole("row").count()).toBe(3);

    const find = page.getByRole("searchbox");
    await find.fill("!mtls");
    await page.getByText("No calls between services in this window.").waitFor();
    await find.fill("rps >");
    await page.getByText('cannot read ">"', { exact: false }).waitFor();
    await find.fill("");

    // The fixture's calls all succeed, in the default namespace.
    const health = page.getByRole("combobox", { name: /^Health/ });
    await health.selectOption("failing");
    await page.getByText("No calls between services in this window.").waitFor();
    await health.selectOption("any");
    const namespace = page.getByRole("combobox", { name: /^Namespace/ });
    await namespace.selectOption("default");
    await expect.poll(() => edges.getByRole("row").count()).toBe(3);
    await namespace.selectOption("all");
  });

  test("traces: search results with duration bars, a scatter plot, and a waterfall across the three services", async () => {
    await goTo(page, "Traces");
    const traces = page.getByRole("table", { name: "Traces" });
    const fromWeb = traces.getByRole("row").filter({ hasText: "cart, checkout, web" });
    await fromWeb.first().waitFor({ timeout: 30_000 });
    await page.getByRole("figure", { name: "Trace duration over time" }).waitFor();
    await fromWeb.first().getByRole("button").click();
    const waterfall = page.getByRole("region", { name: /^Trace [0-9a-f]{32}$/ });
    await waterfall.waitFor();
    for (const service of ["web", "cart", "checkout"])
      await waterfall.getByRole("button").filter({ hasText: service }).first().waitFor();
    await waterfall.getByRole("button").first().click();
    await waterfall.getByText("Service").first().waitFor();
    await screenshot(page, "trace-waterfall");

    // From a graph edge straight to its slow traces.
    await goTo(page, "Graph");
    await page.getByRole("table", { name: "Edges" }).getByRole("button", { name: "web → cart" }).click();
    await page.getByRole("link", { name: "Slow traces of this edge" }).click();
    await page.waitForURL(/\/traces\?service=cart&caller=web&minDurationMs=\d+/);
    expect(await page.getByLabel("Service").inputValue()).toBe("cart");
    expect(await page.getByLabel("Called by").inputValue()).toBe("web");
  });

  test("a policy applied through the YAML editor is validated, previewed, stored and listed", async () => {
    await page.goto(`${consoleApp.url}/policies?kind=Timeout`);
    await page.getByRole("button", { name: "New Timeout" }).click();
    await page.getByRole("textbox", { name: "Policy YAML" }).fill(CART_TIMEOUT);
    const validation = page.getByRole("list", { name: "Validation" });
    await expect.poll(() => validation.textContent()).toBe("Valid: 1 resource(s).");
    const preview = page.getByRole("figure", { name: "Diff of Timeout default/cart-timeout" });
    expect(await preview.textContent()).toContain("+  request: 3s");
    // The control plane's what-if: web calls cart, so web's proxy is the one whose config changes.
    await page.getByText("1 of 3 online proxies would get new config: web-v1.").waitFor();
    await screenshot(page, "policy-new-preview");

    await page.getByRole("button", { name: "Apply" }).click();
    await page.getByText("Timeout default/cart-timeout: created (version 1)").waitFor();
    expect((await cartTimeout()).request).toBe("3s");

    const row = page
      .getByRole("table", { name: "Policies" })
      .getByRole("row")
      .filter({ hasText: "cart-timeout" });
    await expect.poll(() => row.getByText("in force").count()).toBe(1);
    const propagated = page.getByText(
      /Propagation of Timeout cart-timeout version 1: 3 of 3 proxies applied it/,
    );
    await propagated.waitFor({ timeout: 30_000 }).catch(async (error: unknown) => {
      const status = await controlPlane.admin.propagation.status.query({
        kind: "Timeout",
        name: "cart-timeout",
        version: 1,
      });
      const proxies = await controlPlane.admin.dataplanes.list.query();
      throw new Error(
        `${error}\nthe control plane says: ${JSON.stringify(status)}\n${JSON.stringify(proxies)}`,
      );
    });
    await screenshot(page, "policy-applied");
  });

  test("a broken policy gets the spec package's line-numbered messages and cannot be applied", async () => {
    await page.getByRole("button", { name: "New Timeout" }).click();
    const editor = page.getByRole("textbox", { name: "Policy YAML" });
    await editor.fill(
      CART_TIMEOUT.replace("request: 3s", "request: soon").replace("name: cart\n", "name: carts\n"),
    );
    const messages = page.getByRole("list", { name: "Validation" }).getByRole("listitem");
    await expect
      .poll(() => messages.allTextContents())
      .toEqual([
        'Timeout "cart-timeout" (line 8) spec.request: must be a duration such as "250ms", "10s", "5m" or "1h"',
      ]);
    expect(await page.getByRole("button", { name: "Apply" }).isDisabled()).toBe(true);

    // A valid document naming a service that does not exist: the check against the registry, as on the server.
    await editor.fill(CART_TIMEOUT.replace("name: cart\n", "name: carts\n"));
    await expect
      .poll(() => messages.allTextContents())
      .toEqual([
        'Timeout "cart-timeout" (line 7) spec.targetRef: names service "carts", which does not exist',
      ]);
    await screenshot(page, "policy-validation-error");
  });

  test("a policy written with its kind's form: the spec's messages at the fields, the same preview and apply", async () => {
    await page.goto(`${consoleApp.url}/policies?kind=CircuitBreaker`);
    await page.getByRole("button", { name: "New CircuitBreaker" }).click();
    await page.getByRole("tab", { name: "Form" }).click();
    const form = page.getByRole("form", { name: "Policy form" });
    await form.getByLabel("Name", { exact: true }).fill("cart-breaker");
    await form.getByLabel("Service").fill("cart");
    await form.getByLabel("Max requests").fill("0");
    const messages = page.getByRole("list", { name: "Validation" }).getByRole("listitem");
    await expect
      .poll(() => messages.allTextContents())
      .toEqual(['CircuitBreaker "cart-breaker" (line 9) spec.maxRequests: must be at least 1']);
    expect(await form.getByText("must be at least 1").count()).toBe(1);
    await form.getByLabel("Max requests").fill("512");
    await expect.poll(() => messages.allTextContents()).toEqual(["Valid: 1 resource(s)."]);
    await page.getByText("1 of 3 online proxies would get new config: web-v1.").waitFor();
    await screenshot(page, "policy-form");
    await page.getByRole("tab", { name: "YAML" }).click();
    expect(await page.getByRole("textbox", { name: "Policy YAML" }).inputValue()).toContain(
      "maxRequests: 512",
    );

    await page.getByRole("button", { name: "Apply" }).click();
    await page.getByText("CircuitBreaker default/cart-breaker: created (version 1)").waitFor();
    const stored = await controlPlane.admin.policies.get.query({
      kind: "CircuitBreaker",
      name: "cart-breaker",
    });
    expect(stored.spec).toMatchObject({ targetRef: { kind: "Service", name: "cart" }, maxRequests: 512 });
    await controlPlane.admin.policies.delete.mutate({ kind: "CircuitBreaker", name: "cart-breaker" });
  });

  test("an edit shows its diff, and one click in history rolls it back", async () => {
    await page.goto(`${consoleApp.url}/policies?kind=Timeout&policy=default/default/cart-timeout&view=edit`);
    const editor = page.getByRole("textbox", { name: "Policy YAML" });
    await editor.fill((await editor.inputValue()).replace("request: 3s", "request: 5s"));
    const preview = page.getByRole("figure", { name: "Diff of Timeout default/cart-timeout" });
    await expect.poll(() => preview.textContent()).toContain("-  request: 3s+  request: 5s");
    await page.getByRole("button", { name: "Apply" }).click();
    await page.getByText("Timeout default/cart-timeout: configured (version 2)").waitFor();
    expect((await cartTimeout()).request).toBe("5s");

    await page.getByRole("tab", { name: "History" }).click();
    await page.getByRole("button", { name: "Roll back to version 1" }).click();
    await waitFor(async () => (await cartTimeout()).resourceVersion === "3", {
      what: "the rollback to be stored as version 3",
    });
    expect((await cartTimeout()).request).toBe("3s");
    await page.getByText("Version 3", { exact: true }).waitFor();
    await screenshot(page, "policy-history");
  });

  test("a service's page charts its golden signals and lists its calls, proxies and policies", async () => {
    await goTo(page, "Services");
    await page.getByRole("table", { name: "Services" }).getByRole("link", { name: "cart" }).click();
    await page.getByRole("figure", { name: "Requests per second" }).waitFor();
    await page.getByRole("figure", { name: "Latency" }).waitFor();
    const calls = page.getByRole("table", { name: "Calls" });
    await calls.getByRole("row").filter({ hasText: "web → cart" }).waitFor({ timeout: 20_000 });
    await calls.getByRole("row").filter({ hasText: "cart → checkout" }).waitFor();
    expect(await page.getByRole("listitem").filter({ hasText: "cart-v1" }).textContent()).toContain("online");
    const policies = page.getByRole("table", { name: "Policies in force" });
    expect(await policies.getByRole("row").filter({ hasText: "Timeout" }).textContent()).toContain(
      "cart-timeout",
    );
    await screenshot(page, "service-cart");
  });

  test("the permission matrix: deny a caller with the what-if impact shown first, then allow it again", async () => {
    await goTo(page, "Permissions");
    const matrix = page.getByRole("table", { name: "Permission matrix" });
    const webToCart = matrix.getByRole("button", { name: /^web → cart: / });
    await expect
      .poll(() => webToCart.getAttribute("aria-label"))
      .toBe("web → cart: Allow, by the mesh default");
    expect(await webToCart.textContent()).toMatch(/allow[\d.]+ rps/);

    await webToCart.click();
    const editor = page.getByRole("region", { name: "Change permission" });
    await editor.getByLabel("Deny").check();
    await editor.getByText(/would refuse [\d.]+ rps from web to cart/).waitFor({ timeout: 20_000 });
    await screenshot(page, "permissions-deny-preview");
    await editor.getByRole("button", { name: "Apply" }).click();
    await page.getByText("TrafficPermission default/cart-permissions: created (version 1)").waitFor();
    await expect
      .poll(() => webToCart.getAttribute("aria-label"))
      .toBe("web → cart: Deny, by TrafficPermission cart-permissions");
    const stored = await controlPlane.admin.policies.get.query({
      kind: "TrafficPermission",
      name: "cart-permissions",
    });
    expect(stored.spec).toMatchObject({
      from: [{ targetRef: { kind: "Service", name: "web" }, action: "Deny" }],
    });
    await screenshot(page, "permissions-denied");

    await webToCart.click();
    await editor.getByLabel("Allow").check();
    await editor.getByRole("button", { name: "Apply" }).click();
    await page.getByText("TrafficPermission default/cart-permissions: configured (version 2)").waitFor();
    await expect
      .poll(() => webToCart.getAttribute("aria-label"))
      .toBe("web → cart: Allow, by TrafficPermission cart-permissions");
  });

  test("a viewer sees the policies but no control that would change them", async () => {
    const viewer = { username: "vera", password: "viewer-password-e2e" };
    await controlPlane.admin.users.create.mutate({ ...viewer, role: "viewer" });
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    try {
      const viewerPage = await context.newPage();
      await signIn(viewerPage, consoleApp.url, viewer);
      await viewerPage.goto(`${consoleApp.url}/policies?kind=Timeout&policy=default/default/cart-timeout`);
      await viewerPage.getByRole("figure", { name: "Policy YAML" }).waitFor();
      expect(await viewerPage.getByRole("tab").allTextContents()).toContain("History");
      expect(await viewerPage.getByRole("tab", { name: "Edit" }).count()).toBe(0);
      expect(await viewerPage.getByRole("button", { name: /New|Delete|Apply/ }).count()).toBe(0);
      await viewerPage.getByRole("tab", { name: "History" }).click();
      await viewerPage.getByText("Version 1", { exact: true }).waitFor();
      expect(await viewerPage.getByRole("button", { name: /Roll back/ }).count()).toBe(0);
      await screenshot(viewerPage, "policies-as-viewer");
    } finally {
      await context.close();
    }
  });

  test("the canary wizard starts a progressive rollout of a second version, follows it live, and aborts it", async () => {
    const canaryProxy = await mesh.addInstance("cart", "v2");
    await page.goto(`${consoleApp.url}/services/cart`);
    await page.getByRole("link", { name: "Canary", exact: true }).click();
    const wizard = page.getByRole("region", { name: "Canary wizard" });
    expect(await wizard.getByLabel("Stable version").inputValue()).toBe("v1");
    expect(await wizard.getByLabel("Canary version").inputValue()).toBe("v2");
    await wizard.getByLabel("Canary weight per step (%)").fill("50, 100");
    // Long enough to look at step 1 before the controller moves on.
    await wizard.getByLabel("Hold each step").fill("30s");
    const validation = wizard.getByRole("list", { name: "Validation" });
    await expect.poll(() => validation.textContent()).toBe("Valid: 1 resource(s).");
    await wizard.getByRole("button", { name: "Apply" }).click();
    await page.getByText("Rollout default/cart-canary: created (version 1)").waitFor();

    const rollouts = page.getByRole("region", { name: "Rollouts" });
    await rollouts.getByText(/Step 1 of 2: canary at 50%/).waitFor({ timeout: 20_000 });
    await page.getByRole("figure", { name: "Share of requests by version (%)" }).waitFor();
    await screenshot(page, "canary-progress");
    await rollouts.getByRole("button", { name: /Abort/ }).click();
    await rollouts.getByText("aborted", { exact: true }).waitFor();
    expect((await controlPlane.admin.rollouts.get.query({ name: "cart-canary" })).phase).toBe("aborted");
    await canaryProxy.stop();
  });

  test("security: identities per proxy, and what strict mTLS would refuse before switching", async () => {
    await goTo(page, "Security");
    const identities = page.getByRole("table", { name: "Proxy identities" });
    expect(await identities.getByRole("row").filter({ hasText: "web-v1" }).textContent()).toContain(
      "spiffe://loom.local/ns/default/sa/web",
    );
    await page.getByRole("button", { name: "Switch to strict mTLS…" }).click();
    const panel = page.getByRole("region", { name: "Switch to strict mTLS" });
    await panel.getByText("No plaintext call between services in the last 15 minutes.").waitFor();
    const diff = panel.getByRole("figure", { name: "Diff of Mesh default/default" });
    await expect.poll(() => diff.textContent()).toContain("+    mode: strict");
    await screenshot(page, "security-strict-preview");
  });

  test("pages follow changes made elsewhere without a reload", async () => {
    await page.goto(`${consoleApp.url}/policies?kind=Timeout`);
    const list = page.getByRole("table", { name: "Policies" });
    await list.getByText("cart-timeout").waitFor();
    await controlPlane.admin.policies.applyYaml.mutate({
      text: CART_TIMEOUT.replaceAll("cart", "web"),
    });
    await list.getByText("web-timeout").waitFor({ timeout: 5_000 });

    await goTo(page, "Proxies");
    const checkout = page
      .getByRole("table", { name: "Proxies" })
      .getByRole("row")
      .filter({ hasText: "checkout-v1" });
    await checkout.getByText("online").waitFor();
    await mesh.proxies[2]?.stop();
    // Test mode marks a silent proxy offline after 4 s.
    await checkout.getByText("offline").waitFor({ timeout: 15_000 });
    await screenshot(page, "proxies-one-offline");
  });

  test("every section renders", async () => {
    for (const section of ["Services", "Security", "Traces"]) {
      await goTo(page, section);
      await page.getByRole("heading", { level: 1, name: section }).waitFor();
      await screenshot(page, `section-${section.toLowerCase()}`);
    }
    // Dark mode follows the operating system's setting.
    await page.emulateMedia({ colorScheme: "dark" });
    await goTo(page, "Graph");
    await page.getByRole("table", { name: "Edges" }).waitFor();
    await screenshot(page, "graph-dark");
    await page.emulateMedia({ colorScheme: "light" });
  });
});
