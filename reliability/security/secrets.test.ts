import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { DATAPLANE_API } from "@loom/spec";
import { useProcesses, waitFor } from "@loom/test-harness";
import Database from "better-sqlite3";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appRouter } from "../../apps/control-plane/src/trpc/router.ts";
import { launchChromium, signIn } from "../../e2e/support/chromium.ts";
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
import { type CapturedLogs, captureAllLogs } from "./support/log-capture.ts";
import {
  type CountingApp,
  caFiles,
  dataplaneApi,
  registration,
  startCountingApp,
  startManagedProxy,
} from "./support/mesh.ts";

useProcesses();

const VIEWER = { username: "vera", password: "vera-viewer-password-1" };
const WRONG_PASSWORD = "a-wrong-password-that-must-stay-unlogged";

const queryProcedures = Object.entries(
  appRouter._def.procedures as unknown as Record<string, { _def: { type: string } }>,
)
  .filter(([, procedure]) => procedure._def.type === "query")
  .map(([name]) => name);

const CART_TIMEOUT = `kind: Timeout
metadata:
  name: cart-timeout
spec:
  targetRef:
    kind: Service
    name: cart
  request: 3s
`;

/** Every console section, as an operator browses them. */
const PAGES = [
  "/",
  "/graph",
  "/services",
  "/services/cart",
  "/policies",
  "/policies?kind=Timeout&policy=default/default/cart-timeout",
  "/policies?kind=Timeout&policy=default/default/cart-timeout&view=history",
  "/proxies",
  "/security",
  "/traces",
  "/permissions",
  "/canary",
  "/tap",
];

describe("secrets never leave: logs of every process, every query's answer, the console's HTML", () => {
  let logs: CapturedLogs;
  let controlPlane: RunningControlPlane;
  let mesh: FixtureMesh;
  let app: CountingApp;
  let consoleApp: RunningConsole;
  let browser: Browser;
  let load: { stop(): Promise<void> };
  /** Named secrets: what must never be seen, and where it came from. */
  const secrets = new Map<string, string>();
  /** Every answer and page the suite read, by where it came from. */
  const seen: { where: string; text: string }[] = [];
  let adminToken: string;
  let adminCookie: string;
  let traceId: string | undefined;

  const addSecret = (name: string, value: string | undefined) => {
    if (value && value.length >= 8) secrets.set(name, value);
  };
  const addToken = (name: string, token: string) => {
    addSecret(name, token);
    addSecret(`${name} (sha256)`, createHash("sha256").update(token).digest("hex"));
  };

  beforeAll(async () => {
    logs = captureAllLogs();
    await ensureConsoleBuild();
    controlPlane = await startControlPlane();
    mesh = await startFixtureMesh(controlPlane);
    const { admin } = controlPlane;
    await admin.policies.applyYaml.mutate({ text: CART_TIMEOUT });
    await admin.users.create.mutate({ ...VIEWER, role: "viewer" });
    load = mesh.startLoad(5);
    consoleApp = await startConsole(controlPlane.apiUrl);
    browser = await launchChromium();
  });

  afterAll(async () => {
    logs?.stop();
    await load?.stop();
    await browser?.close();
    await app?.close();
  });

  it("exercises every way a secret is made or used (tokens, passwords, sessions, certificates, revocations)", async () => {
    const { admin, apiUrl } = controlPlane;
    const caPem = await readFile(caFiles(controlPlane).certFile, "utf8");
    // API tokens: loomctl's, one revoked (then used), and a wrong password (then refused).
    adminToken = (await apiClient(apiUrl).auth.createCliToken.mutate(ADMIN)).token;
    addToken("admin CLI token", adminToken);
    const revoked = await admin.tokens.api.create.mutate({ name: "revoked-editor", role: "editor" });
    addToken("revoked API token", revoked.token);
    await admin.tokens.api.revoke.mutate({ id: revoked.record.id });
    const afterRevoke = await fetch(`${apiUrl}/api/trpc/services.list`, {
      headers: { authorization: `Bearer ${revoked.token}` },
    });
    expect(afterRevoke.status).toBe(401);
    const wrong = await fetch(`${consoleApp.url}/api/trpc/auth.login`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-loom-csrf": "1", origin: consoleApp.url },
      body: JSON.stringify({ username: "admin", password: WRONG_PASSWORD }),
    });
    expect(wrong.status).toBe(401);
    await admin.users.setPassword.mutate({ username: VIEWER.username, password: `${VIEWER.password}-new` });

    // Dataplane tokens: a proxy whose token is revoked while it runs keeps retrying with it (and logging why).
    app = await startCountingApp();
    const doomed = await startManagedProxy(controlPlane, { service: "checkout", appPort: app.port });
    await waitFor(async () => (await admin.security.certificates.query({})).length >= 4, {
      what: "four proxies to hold certificates",
      timeoutMs: 60_000,
    });
    // A proxy's admin listener is the other way its state leaves the process (/config is the running snapshot).
    for (const adminPath of ["/config", "/metrics", "/ready", "/tap"]) {
      const answer = await fetch(`${doomed.adminUrl}${adminPath}`);
      seen.push({ where: `proxy admin ${adminPath} → ${answer.status}`, text: await answer.text() });
      if (adminPath === "/tap") expect(answer.status).toBe(401);
    }
    const [doomedToken] = (await admin.tokens.dataplane.list.query({ service: "checkout" })).slice(-1);
    if (doomedToken) await admin.tokens.dataplane.revoke.mutate({ id: doomedToken.id });
    // A registration by hand, for its tap token (the proxy's admin /tap credential) and a bad-token attempt.
    const { token: handToken } = await admin.tokens.dataplane.create.mutate({ service: "web" });
    addToken("hand-registered dataplane token", handToken);
    const registered = await dataplaneApi(controlPlane, caPem, "POST", DATAPLANE_API.register, {
      token: handToken,
      body: registration("web-by-hand", "web"),
    });
    addSecret("tap token", (JSON.parse(registered.body) as { tapToken?: string }).tapToken);
    await dataplaneApi(controlPlane, caPem, "POST", DATAPLANE_API.register, {
      token: `${handToken}x`,
      body: registration("web-by-hand", "web"),
    });
    // Certificates rotate at half-life (10 s in test mode): wait for a round, and for the revoked proxy to retry.
    await waitFor(
      async () =>
        (await admin.security.certificates.query({})).length >= 8 && doomed.process.logs().length > 0,
      { what: "a round of certificate renewals", timeoutMs: 60_000 },
    );
    traceId = (await admin.traces.search.query({ limit: 1 }))[0]?.traceId;
    expect(traceId).toBeDefined();
  });

  it("gathers the secrets to look for from where they are kept", async () => {
    const { dataDir } = controlPlane;
    const caKey = await readFile(caFiles(controlPlane).keyFile, "utf8");
    addSecret("CA private key (PEM)", caKey.trim());
    for (const [index, line] of caKey.split("\n").entries())
      if (!line.startsWith("-----")) addSecret(`CA private key line ${index}`, line);
    addSecret("session signing key", (await readFile(path.join(dataDir, "session.key"), "utf8")).trim());
    // Every proxy's dataplane token is in its bootstrap file.
    for (const file of (await readdir(dataDir)).filter((name) => name.endsWith(".json"))) {
      const bootstrap = JSON.parse(await readFile(path.join(dataDir, file), "utf8")) as {
        controlPlane?: { token?: string };
      };
      if (bootstrap.controlPlane?.token) addToken(`dataplane token of ${file}`, bootstrap.controlPlane.token);
    }
    const store = new Database(path.join(dataDir, "loom.db"), { readonly: true, fileMustExist: true });
    try {
      for (const { username, passwordHash } of store
        .prepare('SELECT username, "passwordHash" FROM "User"')
        .all() as {
        username: string;
        passwordHash: string;
      }[]) {
        addSecret(`password hash of ${username}`, passwordHash);
        const [, , , , salt, key] = passwordHash.split("$");
        addSecret(`password salt of ${username}`, salt);
        addSecret(`password key of ${username}`, key);
      }
      for (const table of ["ApiToken", "DataplaneToken"])
        for (const { tokenHash } of store.prepare(`SELECT "tokenHash" FROM "${table}"`).all() as {
          tokenHash: string;
        }[])
          addSecret(`${table} hash`, tokenHash);
    } finally {
      store.close();
    }
    for (const password of [ADMIN.password, VIEWER.password, `${VIEWER.password}-new`, WRONG_PASSWORD])
      addSecret(`password ${password.slice(0, 4)}…`, password);
    expect(secrets.size).toBeGreaterThan(20);
  });

  it("crawls every query procedure as admin, by API token and through the console with a session", async () => {
    const { admin, apiUrl } = controlPlane;
    const dataplanes = await admin.dataplanes.list.query({});
    const inputs = queryInputs(
      dataplanes.map((dataplane) => dataplane.id),
      traceId ?? "0".repeat(32),
    );
    expect(queryProcedures.filter((name) => !(name in inputs))).toEqual([]);

    const login = await fetch(`${consoleApp.url}/api/trpc/auth.login`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-loom-csrf": "1", origin: consoleApp.url },
      body: JSON.stringify(ADMIN),
    });
    const sessionCookie = login.headers.getSetCookie()[0] ?? "";
    adminCookie = sessionCookie.split(";")[0] ?? "";
    const sessionValue = adminCookie.split("=")[1] ?? "";
    addSecret("admin session id (console sign-in)", sessionValue);
    addSecret("admin session signature", sessionValue.split(".").at(-1));

    const unanswered: string[] = [];
    let sent = 0;
    for (const name of queryProcedures) {
      let ok = 0;
      for (const input of inputs[name] ?? []) {
        const query = input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify(input))}`;
        for (const [where, url, headers] of [
          ["api", `${apiUrl}/api/trpc/${name}${query}`, { authorization: `Bearer ${adminToken}` }],
          ["console", `${consoleApp.url}/api/trpc/${name}${query}`, { cookie: adminCookie }],
        ] as const) {
          const response = await fetch(url, { headers });
          sent++;
          seen.push({
            where: `${where} ${name} ${JSON.stringify(input)} → ${response.status}`,
            text: await response.text(),
          });
          if (response.status === 200) ok++;
        }
      }
      if (ok === 0) unanswered.push(name);
    }
    // A rollout needs its own set-up; its answer (NOT_FOUND) is still read and scanned.
    const expectedUnanswered = ["rollouts.get"];
    const failed = unanswered.filter((name) => !expectedUnanswered.includes(name));
    reportCounts("security/secrets query crawl", {
      sent,
      failed: failed.length,
      refused: 0,
      crashed: controlPlane.process.exitStatus ? 1 : 0,
      notes: { queryProcedures: queryProcedures.length, unanswered: unanswered.join(" ") || "none" },
    });
    expect(failed).toEqual([]);
  });

  it("browses every console section in Chromium, keeping each page's HTML and every API answer it read", async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      page.setDefaultTimeout(15_000);
      const reading: Promise<void>[] = [];
      page.on("response", (response) => {
        const type = response.headers()["content-type"] ?? "";
        if (!response.url().includes("/api/trpc/") || type.includes("event-stream")) return;
        reading.push(
          response
            .text()
            .then((text) => void seen.push({ where: `browser ${response.url()}`, text }))
            .catch(() => {}),
        );
      });
      await signIn(page, consoleApp.url, ADMIN);
      const browserSession = (await context.cookies(consoleApp.url)).find((c) => c.name === "loom_session");
      addSecret("admin session id (Chromium)", browserSession?.value);
      for (const pagePath of PAGES) {
        await page.goto(`${consoleApp.url}${pagePath}`);
        await page.getByTestId("current-user").waitFor();
        await page.waitForLoadState("networkidle").catch(() => {});
        seen.push({ where: `console page ${pagePath} (rendered)`, text: await page.content() });
        const served = await fetch(`${consoleApp.url}${pagePath}`, { headers: { cookie: adminCookie } });
        seen.push({ where: `console page ${pagePath} (served HTML)`, text: await served.text() });
      }
      await expandProxy(page);
      seen.push({ where: "console proxy details (rendered)", text: await page.content() });
      await Promise.all(reading);
    } finally {
      await context.close();
    }
    expect(seen.filter((entry) => entry.where.startsWith("browser ")).length).toBeGreaterThan(PAGES.length);
  });

  it("finds none of the secrets in any process's log, any answer or any page", () => {
    const lines = logs.lines();
    const leaksIn = (texts: { where: string; text: string }[]) => {
      const found: string[] = [];
      for (const [name, secret] of secrets)
        for (const { where, text } of texts) if (text.includes(secret)) found.push(`${where}: ${name}`);
      // Markers of a key or a hash, whoever's they are.
      for (const marker of ["PRIVATE KEY", "scrypt$", "passwordHash", "tokenHash"])
        for (const { where, text } of texts) if (text.includes(marker)) found.push(`${where}: ${marker}`);
      return found;
    };
    // Control: the one answer that must carry a secret (loomctl's new token) is caught by the same scan.
    expect(leaksIn([{ where: "control", text: JSON.stringify({ token: adminToken }) }])).toEqual([
      "control: admin CLI token",
    ]);
    const logTexts = lines.map(({ process, line }) => ({ where: `log of ${process}`, text: line }));
    const leaks = [...leaksIn(logTexts), ...leaksIn(seen)];
    reportCounts("security/secrets scan", {
      sent: secrets.size,
      failed: leaks.length,
      refused: 0,
      crashed: [controlPlane.process, consoleApp.process, ...mesh.proxies].filter((p) => p.exitStatus).length,
      notes: {
        processesLogged: logs.processNames().length,
        logLines: lines.length,
        answersAndPages: seen.length,
        bytesScanned:
          lines.reduce((sum, { line }) => sum + line.length, 0) +
          seen.reduce((sum, { text }) => sum + text.length, 0),
      },
    });
    expect(logs.processNames().length).toBeGreaterThanOrEqual(9);
    expect(leaks).toEqual([]);
  });
});

/** Opens a proxy's details, where its listeners, certificate and running config are shown. */
async function expandProxy(page: Page): Promise<void> {
  await page.goto(`${page.url().replace(/\/[^/]*$/, "")}/proxies`);
  const table = page.getByRole("table", { name: "Proxies" });
  await table.getByRole("button", { name: "web-v1" }).click();
  await page
    .getByRole("region", { name: "Proxy web-v1" })
    .getByRole("region", { name: "Running config" })
    .waitFor();
  await page.getByText("Full config (YAML)").click();
}

/** An input per query procedure (several where one is not enough to reach its data); a new query must be added. */
function queryInputs(dataplaneIds: number[], traceId: string): Record<string, unknown[]> {
  const timeout = { kind: "Timeout", name: "cart-timeout" };
  return {
    "auth.me": [undefined],
    "meshes.list": [{}],
    "meshes.get": [{ name: "default" }],
    "services.list": [{}],
    "services.get": [{ name: "cart" }],
    "dataplanes.list": [{}],
    "dataplanes.get": dataplaneIds.map((id) => ({ id })),
    "dataplanes.config": dataplaneIds.map((id) => ({ id })),
    "policies.list": [{}],
    "policies.get": [timeout],
    "policies.inForce": [{ kind: "Timeout", service: "cart" }],
    "policies.inForceByService": [{ kind: "TrafficPermission", services: ["web", "cart"] }],
    "resources.list": [{}],
    "resources.get": [{ kind: "Mesh", name: "default" }, { kind: "Service", name: "cart" }, timeout],
    "history.list": [timeout, { kind: "Service", name: "checkout" }],
    "audit.list": [{ limit: 1000 }],
    "propagation.status": [{ ...timeout, version: 1 }],
    "security.overview": [{}],
    "security.certificates": [{}],
    "users.list": [undefined],
    "tokens.api.list": [undefined],
    "tokens.dataplane.list": [{}],
    "metrics.golden": [{}, { grouping: "edge" }, { grouping: "version" }, { grouping: "route" }],
    "metrics.history": [{ service: "cart" }],
    "metrics.source": [undefined],
    "graph.get": [{}],
    "traces.search": [{ limit: 100 }],
    "traces.get": [{ traceId }],
    "traces.services": [undefined],
    "rollouts.list": [{}],
    "rollouts.get": [{ name: "cart" }],
  };
}
