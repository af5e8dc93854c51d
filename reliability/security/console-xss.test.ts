import { randomBytes } from "node:crypto";
import { useProcesses, waitFor } from "@loom/test-harness";
import { TRPCClientError } from "@trpc/client";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium, screenshot, signIn } from "../../e2e/support/chromium.ts";
import { type RunningConsole, startConsole } from "../../e2e/support/console-server.ts";
import {
  ADMIN,
  apiClient,
  type RunningControlPlane,
  startControlPlane,
} from "../../e2e/support/control-plane.ts";
import { type FixtureMesh, startFixtureMesh } from "../../e2e/support/fixture-mesh.ts";
import { reportCounts } from "../report.ts";
import { ensureConsoleBuild } from "./support/console-stack.ts";
import { type CountingApp, startCountingApp, startManagedProxy } from "./support/mesh.ts";

useProcesses();

/** The payload; each free-text field gets its own alert number, so a dialog would say which one fired. */
const payload = (n: number) => `<img src=x onerror=alert(${n})>`;
const IN = {
  serviceLabel: payload(1),
  policyLabel: payload(2),
  proxyTag: payload(3),
  spanService: payload(4),
  spanName: payload(5),
  tokenName: payload(6),
  /** Breaking out of an attribute, should a value ever land in one. */
  attributeBreakout: `"><svg onload=alert(7)>`,
};

type Field = keyof typeof IN;

interface PageDocument {
  document: { body: { innerText: string }; querySelectorAll(selector: string): { length: number } };
}

/** Every section of the console, and the markup each must show as text (found by reading them; the rest shows none). */
const PAGES: { name: string; path: string; shows: Field[] }[] = [
  { name: "overview", path: "/", shows: [] },
  // The graph draws names on a canvas (cytoscape): text by construction.
  { name: "graph", path: "/graph", shows: [] },
  { name: "services", path: "/services", shows: ["proxyTag"] },
  { name: "service detail", path: "/services/checkout", shows: ["proxyTag"] },
  { name: "policies", path: "/policies", shows: [] },
  {
    name: "policy yaml",
    path: "/policies?kind=Timeout&policy=default/default/checkout-timeout",
    shows: ["policyLabel"],
  },
  {
    name: "policy history",
    path: "/policies?kind=Timeout&policy=default/default/checkout-timeout&view=history",
    shows: ["policyLabel", "tokenName"],
  },
  { name: "proxies", path: "/proxies", shows: ["proxyTag"] },
  { name: "security", path: "/security", shows: [] },
  { name: "traces", path: "/traces", shows: ["spanService"] },
  {
    name: "traces of the markup service",
    path: `/traces?service=${encodeURIComponent(IN.spanService)}`,
    shows: ["spanService", "spanName", "attributeBreakout"],
  },
  { name: "permissions", path: "/permissions", shows: [] },
  { name: "canary", path: "/canary", shows: [] },
];

async function refusal(call: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await call;
  } catch (error) {
    if (error instanceof TRPCClientError)
      return { code: (error.data as { code: string } | undefined)?.code ?? "?", message: error.message };
    throw error;
  }
  throw new Error("accepted, but a refusal was expected");
}

describe("markup in names and free text renders as text everywhere in the console (Chromium)", () => {
  let controlPlane: RunningControlPlane;
  let mesh: FixtureMesh;
  let app: CountingApp;
  let consoleApp: RunningConsole;
  let browser: Browser;
  let page: Page;
  let load: { stop(): Promise<void> };
  const dialogs: string[] = [];

  beforeAll(async () => {
    await ensureConsoleBuild();
    controlPlane = await startControlPlane();
    mesh = await startFixtureMesh(controlPlane);
    const { admin } = controlPlane;
    await admin.policies.applyYaml.mutate({
      text: JSON.stringify({
        kind: "Service",
        metadata: {
          name: "checkout",
          labels: { team: IN.serviceLabel, [IN.attributeBreakout]: IN.attributeBreakout },
        },
        spec: { ports: [{ port: 8080, protocol: "http" }] },
      }),
    });
    // A write by a token whose name is markup: the actor shows in history and audit.
    const { token } = await admin.tokens.api.create.mutate({ name: IN.tokenName, role: "editor" });
    await apiClient(controlPlane.apiUrl, token).policies.create.mutate({
      kind: "Timeout",
      metadata: { name: "checkout-timeout", labels: { note: IN.policyLabel } },
      spec: { targetRef: { kind: "Service", name: "checkout" } },
    });
    // A second checkout instance whose version tag is markup: graph nodes, proxies, service detail.
    app = await startCountingApp();
    await startManagedProxy(controlPlane, {
      service: "checkout",
      appPort: app.port,
      tags: { version: IN.proxyTag },
    });
    await waitFor(
      async () =>
        (await admin.dataplanes.list.query({ status: "online" })).filter((d) => d.ackedVersion).length === 4,
      { what: "the markup-tagged proxy to come online", timeoutMs: 60_000 },
    );
    await postMarkupSpan(controlPlane.apiUrl, token);
    load = mesh.startLoad(5);
    consoleApp = await startConsole(controlPlane.apiUrl);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.setDefaultTimeout(15_000);
    page.on("dialog", (dialog) => {
      dialogs.push(`${page.url()}: ${dialog.message()}`);
      void dialog.dismiss();
    });
    await signIn(page, consoleApp.url, ADMIN);
  });

  afterAll(async () => {
    await load?.stop();
    await browser?.close();
    await app?.close();
  });

  it("the API refuses a service or policy named with markup, naming the field and the rule", async () => {
    const { admin } = controlPlane;
    const attempts = [
      admin.services.create.mutate({
        kind: "Service",
        metadata: { name: payload(1) },
        spec: { ports: [{ port: 80 }] },
      }),
      admin.policies.applyYaml.mutate({
        text: `kind: Service\nmetadata:\n  name: "${payload(1)}"\nspec:\n  ports:\n    - port: 80\n`,
      }),
      admin.policies.create.mutate({
        kind: "Timeout",
        metadata: { name: payload(2) },
        spec: { targetRef: { kind: "Service", name: "checkout" } },
      }),
    ];
    const refusals = await Promise.all(attempts.map(refusal));
    reportCounts("security/console-xss markup names refused by the API", {
      sent: attempts.length,
      failed: refusals.filter((r) => r.code !== "BAD_REQUEST").length,
      refused: refusals.filter((r) => r.code === "BAD_REQUEST").length,
      crashed: controlPlane.process.exitStatus ? 1 : 0,
    });
    for (const { code, message } of refusals) {
      expect(code).toBe("BAD_REQUEST");
      expect(message).toMatch(/metadata\.name/);
      expect(message).toContain("must be lowercase letters, digits and '-'");
    }
  });

  it("no page runs the markup: no dialog, no injected element, and the text is shown where the data is", async () => {
    const shown: Record<string, string[]> = {};
    const missing: string[] = [];
    let injected = 0;
    for (const { name, path, shows } of PAGES) {
      await page.goto(`${consoleApp.url}${path}`);
      await page.getByTestId("current-user").waitFor();
      // Live pages fill in over a few refreshes; what they show after that is what an operator sees.
      await page.waitForLoadState("networkidle").catch(() => {});
      await page.waitForTimeout(1_500);
      await expandDetails(page, name);
      const found = await page.evaluate(
        (needles) => {
          // The root project compiles without the DOM library; this runs in the page.
          const { document } = globalThis as unknown as PageDocument;
          // biome-ignore lint/performance/useDomNodeTextContent: the text an operator sees, not hidden nodes
          const text = document.body.innerText;
          return {
            injected: document.querySelectorAll('img[src="x"], svg[onload], [onerror], [onload]').length,
            shown: Object.entries(needles)
              .filter(([, needle]) => text.includes(needle))
              .map(([field]) => field),
          };
        },
        IN as Record<string, string>,
      );
      injected += found.injected;
      shown[name] = found.shown;
      for (const field of shows) if (!found.shown.includes(field)) missing.push(`${name}: ${field}`);
      if (found.injected > 0 || dialogs.length > 0)
        await screenshot(page, `xss-${name.replaceAll(" ", "-")}`);
    }
    console.log(`markup shown as text per page: ${JSON.stringify(shown)}`);
    reportCounts("security/console-xss pages rendered with markup in the data", {
      sent: PAGES.length,
      failed: injected + dialogs.length + missing.length,
      refused: 0,
      crashed: consoleApp.process.exitStatus ? 1 : 0,
      notes: {
        missingText: missing.length,
        dialogs: dialogs.length,
        injectedElements: injected,
        fieldsShownAsText: Object.values(shown).flat().length,
      },
    });
    expect(dialogs).toEqual([]);
    expect(injected).toBe(0);
    // Where each piece of markup is data, the operator reads it as text (the service's labels are not shown).
    expect(missing).toEqual([]);
  });
});

/** Opens what a page keeps folded (a proxy's details, a trace's waterfall), where more free text appears. */
async function expandDetails(page: Page, pageName: string): Promise<void> {
  if (pageName === "proxies") {
    const markupRow = page
      .getByRole("table", { name: "Proxies" })
      .getByRole("row")
      .filter({ hasText: "alert(3)" });
    if ((await markupRow.count()) > 0) await markupRow.first().getByRole("button").first().click();
  }
  if (pageName === "traces of the markup service") {
    const rows = page.getByRole("table", { name: "Traces" }).getByRole("row").getByRole("button");
    if ((await rows.count()) > 0) {
      await rows.first().click();
      await page.waitForTimeout(500);
      const spans = page.getByRole("region", { name: /^Trace / }).getByRole("button");
      if ((await spans.count()) > 0) await spans.first().click();
    }
  }
  await page.waitForTimeout(300);
}

/** One span, as an app's OTLP exporter would send it (with an API token), with markup as its service and span name. */
async function postMarkupSpan(apiUrl: string, token: string): Promise<void> {
  const nowNs = BigInt(Date.now()) * 1_000_000n;
  const text = (key: string, value: string) => ({ key, value: { stringValue: value } });
  const response = await fetch(`${apiUrl}/v1/traces`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({
      resourceSpans: [
        {
          resource: { attributes: [text("service.name", IN.spanService)] },
          scopeSpans: [
            {
              spans: [
                {
                  traceId: randomBytes(16).toString("hex"),
                  spanId: randomBytes(8).toString("hex"),
                  name: IN.spanName,
                  kind: 2,
                  startTimeUnixNano: String(nowNs - 5_000_000n),
                  endTimeUnixNano: String(nowNs),
                  attributes: [text("http.route", IN.attributeBreakout), text("loom.note", IN.spanName)],
                  status: { code: 2, message: IN.spanName },
                },
              ],
            },
          ],
        },
      ],
    }),
  });
  expect(response.status).toBe(200);
}
