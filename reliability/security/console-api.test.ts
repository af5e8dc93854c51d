import http from "node:http";
import type { AddressInfo } from "node:net";
import { useProcesses } from "@loom/test-harness";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appRouter } from "../../apps/control-plane/src/trpc/router.ts";
import { launchChromium, signIn } from "../../e2e/support/chromium.ts";
import { type RunningConsole, startConsole } from "../../e2e/support/console-server.ts";
import { ADMIN, type RunningControlPlane, startControlPlane } from "../../e2e/support/control-plane.ts";
import { reportCounts } from "../report.ts";
import { ensureConsoleBuild } from "./support/console-stack.ts";

useProcesses();

/** Anyone may call these: signing in is how one gets a role. Every other mutation needs one. */
const PUBLIC_MUTATIONS = ["auth.login", "auth.logout", "auth.createCliToken"];

// tRPC keeps every procedure by its dotted path; the enumeration comes from the router, so a new write
// procedure is covered the day it is added.
const procedures = Object.entries(
  appRouter._def.procedures as unknown as Record<string, { _def: { type: string } }>,
);
const writeProcedures = procedures
  .filter(([name, procedure]) => procedure._def.type === "mutation" && !PUBLIC_MUTATIONS.includes(name))
  .map(([name]) => name);

const VIEWER = { username: "vera", password: "vera-viewer-password" };
const CART = "kind: Service\nmetadata:\n  name: cart\nspec:\n  ports:\n    - port: 8080\n";

describe("console and API: authentication, roles, cookies and CSRF (real loom-cp, real console, Chromium)", () => {
  let controlPlane: RunningControlPlane;
  let consoleApp: RunningConsole;
  let browser: Browser;

  beforeAll(async () => {
    await ensureConsoleBuild();
    controlPlane = await startControlPlane();
    await controlPlane.admin.policies.applyYaml.mutate({ text: CART });
    await controlPlane.admin.users.create.mutate({ ...VIEWER, role: "viewer" });
    consoleApp = await startConsole(controlPlane.apiUrl);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
  });

  /** Everything a write would leave behind: the audit log records every change of resources, users and tokens. */
  async function stateFingerprint(): Promise<string> {
    const { admin } = controlPlane;
    return JSON.stringify([
      await admin.audit.list.query({ limit: 1000 }),
      await admin.resources.list.query({}),
      await admin.users.list.query(),
      await admin.tokens.api.list.query(),
      await admin.tokens.dataplane.list.query({}),
    ]);
  }

  function post(base: string, procedure: string, headers: Record<string, string>, body: unknown = {}) {
    return fetch(`${base}/api/trpc/${procedure}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify(body),
    });
  }

  /** Signs in through the console's own /api/trpc route, as the sign-in form does. */
  async function consoleSignIn(user: { username: string; password: string }) {
    const response = await post(
      consoleApp.url,
      "auth.login",
      { "x-loom-csrf": "1", origin: consoleApp.url },
      user,
    );
    expect(response.status).toBe(200);
    const setCookie = response.headers.getSetCookie();
    return { setCookie, cookie: (setCookie[0] ?? "").split(";")[0] ?? "" };
  }

  it("enumerates the write procedures from the router itself", () => {
    expect(writeProcedures).toEqual(
      expect.arrayContaining(["policies.create", "policies.applyYaml", "users.create", "tokens.api.create"]),
    );
    expect(writeProcedures.length).toBeGreaterThan(20);
  });

  it("refuses every write procedure without a session or token, directly and through the console", async () => {
    const before = await stateFingerprint();
    const answers: string[] = [];
    for (const base of [controlPlane.apiUrl, consoleApp.url]) {
      for (const procedure of writeProcedures) {
        for (const headers of <Record<string, string>[]>[
          { "x-loom-csrf": "1" },
          { "x-loom-csrf": "1", authorization: "Bearer loom_api_forged" },
          { "x-loom-csrf": "1", cookie: "loom_session=forged.forged" },
        ]) {
          const response = await post(base, procedure, headers);
          answers.push(`${procedure} ${response.status}`);
        }
      }
    }
    const unauthorized = answers.filter((answer) => answer.endsWith(" 401")).length;
    reportCounts("security/console-api write without credentials", {
      sent: answers.length,
      failed: answers.length - unauthorized,
      refused: unauthorized,
      crashed: controlPlane.process.exitStatus || consoleApp.process.exitStatus ? 1 : 0,
      notes: { writeProcedures: writeProcedures.length },
    });
    expect(answers.filter((answer) => !answer.endsWith(" 401"))).toEqual([]);
    expect(await stateFingerprint()).toBe(before);
  });

  it("gives a viewer 403 on every write procedure, by console session and by API token", async () => {
    const { cookie } = await consoleSignIn(VIEWER);
    const { token } = await controlPlane.admin.tokens.api.create.mutate({
      name: "viewer-token",
      role: "viewer",
    });
    const before = await stateFingerprint();
    const answers: string[] = [];
    for (const procedure of writeProcedures) {
      const viaConsole = await post(consoleApp.url, procedure, {
        cookie,
        "x-loom-csrf": "1",
        origin: consoleApp.url,
      });
      const viaToken = await post(controlPlane.apiUrl, procedure, { authorization: `Bearer ${token}` });
      answers.push(`${procedure} session ${viaConsole.status}`, `${procedure} token ${viaToken.status}`);
    }
    // A valid input too, so the refusal cannot be an input error in disguise.
    const validWrite = await post(
      consoleApp.url,
      "policies.create",
      { cookie, "x-loom-csrf": "1", origin: consoleApp.url },
      {
        kind: "Timeout",
        metadata: { name: "by-viewer" },
        spec: { targetRef: { kind: "Service", name: "cart" } },
      },
    );
    answers.push(`policies.create (valid) session ${validWrite.status}`);
    expect(await validWrite.text()).toContain("this needs the editor role; vera is viewer");
    const forbidden = answers.filter((answer) => answer.endsWith(" 403")).length;
    reportCounts("security/console-api viewer writes", {
      sent: answers.length,
      failed: answers.length - forbidden,
      refused: forbidden,
      crashed: controlPlane.process.exitStatus || consoleApp.process.exitStatus ? 1 : 0,
    });
    expect(answers.filter((answer) => !answer.endsWith(" 403"))).toEqual([]);
    expect(await stateFingerprint()).toBe(before);
    // The viewer still reads: the refusals are about writing, not a broken session.
    const read = await fetch(`${consoleApp.url}/api/trpc/services.list`, { headers: { cookie } });
    expect(read.status).toBe(200);
  });

  it("sets the session cookie HttpOnly and SameSite=Strict, through the console's route and in Chromium", async () => {
    const { setCookie } = await consoleSignIn(ADMIN);
    expect(setCookie).toHaveLength(1);
    expect(setCookie[0]).toMatch(/^loom_session=[^;]+; Path=\/; HttpOnly; SameSite=Strict; Max-Age=\d+$/);

    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await signIn(page, consoleApp.url, ADMIN);
      const cookies = await context.cookies(consoleApp.url);
      const session = cookies.find((cookie) => cookie.name === "loom_session");
      expect(session).toMatchObject({ httpOnly: true, sameSite: "Strict", path: "/" });
      // HttpOnly as the page sees it: script on the console cannot read the session.
      expect(await page.evaluate("document.cookie")).not.toContain("loom_session");
      reportCounts("security/console-api session cookie flags", {
        sent: 2,
        failed: 0,
        refused: 0,
        crashed: 0,
        notes: { httpOnly: String(session?.httpOnly), sameSite: String(session?.sameSite) },
      });
    } finally {
      await context.close();
    }
  });

  it("refuses cookie-authenticated writes a foreign page could send (no header, foreign Origin, form types, a Basic header)", async () => {
    const { cookie } = await consoleSignIn(ADMIN);
    const before = await stateFingerprint();
    const timeout = (name: string) => ({
      kind: "Timeout",
      metadata: { name },
      spec: { targetRef: { kind: "Service", name: "cart" } },
    });
    const forged: [string, RequestInit][] = [
      ["json without the CSRF header", { headers: { cookie, "content-type": "application/json" } }],
      [
        "json from a foreign Origin with the header",
        {
          headers: {
            cookie,
            "content-type": "application/json",
            "x-loom-csrf": "1",
            origin: "http://evil.example",
          },
        },
      ],
      [
        "json marked cross-site by the browser",
        {
          headers: {
            cookie,
            "content-type": "application/json",
            "x-loom-csrf": "1",
            "sec-fetch-site": "cross-site",
          },
        },
      ],
      ["text/plain (a form's enctype)", { headers: { cookie, "content-type": "text/plain" } }],
      ["urlencoded form", { headers: { cookie, "content-type": "application/x-www-form-urlencoded" } }],
      // A browser sends Authorization by itself when basic auth guards the console (a common reverse proxy set-up).
      [
        "json with a Basic Authorization header and the cookie",
        { headers: { cookie, "content-type": "application/json", authorization: "Basic dXNlcjpwYXNz" } },
      ],
    ];
    const answers: string[] = [];
    for (const base of [controlPlane.apiUrl, consoleApp.url]) {
      for (const [what, init] of forged) {
        const response = await fetch(`${base}/api/trpc/policies.create`, {
          ...init,
          method: "POST",
          body: JSON.stringify(timeout("csrf")),
        });
        answers.push(`${base === consoleApp.url ? "console" : "api"}: ${what}: ${response.status}`);
      }
      const multipart = new FormData();
      multipart.set("username", "csrf-multipart");
      const formLogout = await fetch(`${base}/api/trpc/auth.logout`, {
        method: "POST",
        headers: { cookie },
        body: multipart,
      });
      answers.push(`${base === consoleApp.url ? "console" : "api"}: multipart logout: ${formLogout.status}`);
    }
    const refused = answers.filter((answer) => / 4\d\d$/.test(answer)).length;
    reportCounts("security/console-api forged cookie writes", {
      sent: answers.length,
      failed: answers.length - refused,
      refused,
      crashed: controlPlane.process.exitStatus || consoleApp.process.exitStatus ? 1 : 0,
    });
    expect(answers.filter((answer) => !/ 4\d\d$/.test(answer))).toEqual([]);
    expect(await stateFingerprint()).toBe(before);
    // The same session still writes when the console itself asks.
    const own = await post(
      consoleApp.url,
      "policies.create",
      { cookie, "x-loom-csrf": "1", origin: consoleApp.url },
      timeout("by-the-console"),
    );
    expect(own.status).toBe(200);
  });

  it("ends sessions: after a sign-out or a password change the old cookies get 401 (query and mutation, console and API)", async () => {
    const editor = { username: "sam", password: "sam-editor-password-1" };
    await controlPlane.admin.users.create.mutate({ ...editor, role: "editor" });
    const sameOrigin = (base: string) => ({
      "x-loom-csrf": "1",
      ...(base === consoleApp.url ? { origin: consoleApp.url } : {}),
    });
    let written = 0;
    const statuses = async (cookie: string) => {
      const answers: number[] = [];
      for (const base of [consoleApp.url, controlPlane.apiUrl]) {
        const read = await fetch(`${base}/api/trpc/services.list`, { headers: { cookie } });
        const write = await post(
          base,
          "policies.create",
          { cookie, ...sameOrigin(base) },
          {
            kind: "Timeout",
            metadata: { name: `by-sam-${++written}` },
            spec: { targetRef: { kind: "Service", name: "cart" } },
          },
        );
        answers.push(read.status, write.status);
      }
      return answers;
    };
    const allowed = [200, 200, 200, 200];
    const ended = [401, 401, 401, 401];

    // Two sessions, say the user's browser and a stolen copy; the browser signs out through the console.
    const browserSession = await consoleSignIn(editor);
    const stolen = await consoleSignIn(editor);
    expect(await statuses(stolen.cookie)).toEqual(allowed);
    const signOut = await post(consoleApp.url, "auth.logout", {
      cookie: browserSession.cookie,
      ...sameOrigin(consoleApp.url),
    });
    expect(signOut.status).toBe(200);
    const afterSignOut = [await statuses(browserSession.cookie), await statuses(stolen.cookie)];
    expect(afterSignOut).toEqual([ended, ended]);

    // Signed in again on two devices; an admin sets a new password: both sessions end.
    const again = await consoleSignIn(editor);
    const otherDevice = await consoleSignIn(editor);
    expect(await statuses(again.cookie)).toEqual(allowed);
    await controlPlane.admin.users.setPassword.mutate({ username: "sam", password: "sam-editor-password-2" });
    const afterNewPassword = [await statuses(again.cookie), await statuses(otherDevice.cookie)];
    expect(afterNewPassword).toEqual([ended, ended]);
    const fresh = await consoleSignIn({ ...editor, password: "sam-editor-password-2" });
    expect(await statuses(fresh.cookie)).toEqual(allowed);

    const refusals = [...afterSignOut, ...afterNewPassword].flat();
    reportCounts("security/console-api ended sessions", {
      sent: refusals.length,
      failed: refusals.filter((status) => status !== 401).length,
      refused: refusals.filter((status) => status === 401).length,
      crashed: controlPlane.process.exitStatus || consoleApp.process.exitStatus ? 1 : 0,
    });
  });

  it("signing in never sends the browser to another origin, whatever ?next= says", async () => {
    const attacker = await startAttackerSite(consoleApp.url);
    const elsewhere = `127.0.0.1:${attacker.port}/phish`;
    // Browsers read "\\" as "/" and drop tabs in URLs: each of these is another origin once resolved.
    const destinations = [
      `//${elsewhere}`,
      `/\\${elsewhere}`,
      `/\t/${elsewhere}`,
      `http://${elsewhere}`,
      `javascript:alert(document.domain)`,
    ];
    const context = await browser.newContext();
    const landedOn: string[] = [];
    try {
      const page = await context.newPage();
      page.setDefaultTimeout(15_000);
      for (const next of destinations) {
        await context.clearCookies();
        await page.goto(`${consoleApp.url}/sign-in?next=${encodeURIComponent(next)}`);
        await signInFromForm(page);
        await page.waitForURL((url) => !url.pathname.startsWith("/sign-in"));
        await page.waitForLoadState("load");
        landedOn.push(new URL(page.url()).origin);
      }
      // Control: a path inside the console is still where signing in leads.
      await context.clearCookies();
      await page.goto(`${consoleApp.url}/sign-in?next=${encodeURIComponent("/policies?kind=Timeout")}`);
      await signInFromForm(page);
      await page.waitForURL(`${consoleApp.url}/policies?kind=Timeout`);
    } finally {
      await context.close();
      await attacker.close();
    }
    const away = landedOn.filter((origin) => origin !== consoleApp.url).length;
    reportCounts("security/console-api sign-in redirect (?next=)", {
      sent: destinations.length,
      failed: away,
      refused: destinations.length - away,
      crashed: consoleApp.process.exitStatus ? 1 : 0,
    });
    expect(landedOn).toEqual(destinations.map(() => consoleApp.url));
  });

  it("a form post and fetches from a page on another origin in Chromium change nothing", async () => {
    const attacker = await startAttackerSite(consoleApp.url);
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      page.setDefaultTimeout(15_000);
      await signIn(page, consoleApp.url, ADMIN);
      const before = await stateFingerprint();
      const statuses: string[] = [];
      page.on("response", (response) => {
        if (response.url().includes("/api/trpc/")) statuses.push(`${response.url()} ${response.status()}`);
      });
      // Which forged requests carried the session: those are the ones the CSRF rule (not SameSite) stopped.
      const withSession: Promise<boolean>[] = [];
      page.on("request", (request) => {
        if (request.url().includes("/api/trpc/") && request.method() === "POST")
          withSession.push(
            request.allHeaders().then((headers) => (headers.cookie ?? "").includes("loom_session=")),
          );
      });
      // Same site (127.0.0.1, another port: the Strict cookie is sent) and cross-site (localhost).
      const origins = [`http://127.0.0.1:${attacker.port}`, `http://localhost:${attacker.port}`];
      for (const origin of origins) {
        await page.goto(`${origin}/attack.html`);
        await page.waitForFunction("window.attackDone === true");
      }
      const attempts = origins.length * ATTACKS_PER_PAGE;
      const created = await Promise.all(
        ["csrf-text-form", "csrf-no-cors"].map((name) =>
          controlPlane.admin.policies.list
            .query({})
            .then((list) => list.some((p) => p.metadata.name === name)),
        ),
      );
      const users = (await controlPlane.admin.users.list.query()).map((user) => user.username);
      const changed = (await stateFingerprint()) !== before;
      const failed = created.filter(Boolean).length + (users.includes("mallory") ? 1 : 0);
      reportCounts("security/console-api cross-origin form and fetch in Chromium", {
        sent: attempts,
        failed,
        refused: attempts - failed,
        crashed: controlPlane.process.exitStatus || consoleApp.process.exitStatus ? 1 : 0,
        notes: {
          stateChanged: String(changed),
          answersSeen: statuses.map((status) => status.split(" ").at(-1)).join("/"),
          sentWithSessionCookie: (await Promise.all(withSession)).filter(Boolean).length,
        },
      });
      // The same-site page's requests did carry the cookie, so the refusals are the CSRF rule's doing.
      expect((await Promise.all(withSession)).filter(Boolean).length).toBeGreaterThan(0);
      expect(created).toEqual([false, false]);
      expect(users).not.toContain("mallory");
      expect(changed).toBe(false);
      // Still signed in: not even a logout went through.
      await page.goto(`${consoleApp.url}/`);
      await page.getByTestId("current-user").waitFor();
    } finally {
      await context.close();
      await attacker.close();
    }
  });
});

const ATTACKS_PER_PAGE = 5;

/** Fills and submits the sign-in form already on the page (e2e's signIn also navigates to it first). */
async function signInFromForm(page: Page): Promise<void> {
  await page.getByLabel("Username").fill(ADMIN.username);
  await page.getByLabel("Password").fill(ADMIN.password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

/**
 * An attacker's page: three auto-submitting forms (text/plain JSON, urlencoded, multipart) into hidden iframes,
 * and two fetches (no-cors with the cookie; a "cors" one with the CSRF header, which needs a preflight).
 */
async function startAttackerSite(consoleUrl: string): Promise<{ port: number; close(): Promise<void> }> {
  const api = `${consoleUrl}/api/trpc`;
  const jsonName =
    '{"kind":"Timeout","metadata":{"name":"csrf-text-form"},"spec":{"targetRef":{"kind":"Service","name":"cart"}},"x":"';
  const page = `<!doctype html><html><body>
<iframe name="sink1"></iframe><iframe name="sink2"></iframe><iframe name="sink3"></iframe>
<form id="text" method="POST" target="sink1" enctype="text/plain" action="${api}/policies.create">
  <input name='${jsonName}' value='"}'>
</form>
<form id="urlencoded" method="POST" target="sink2" action="${api}/users.create">
  <input name="username" value="mallory"><input name="password" value="mallory-password-1"><input name="role" value="admin">
</form>
<form id="multipart" method="POST" target="sink3" enctype="multipart/form-data" action="${api}/auth.logout">
  <input name="x" value="1">
</form>
<script>
  // Listening from here on, each iframe loads once more: with the answer to its form.
  let loads = 0;
  let fetched = false;
  const finish = () => { if (loads >= 3 && fetched) window.attackDone = true; };
  for (const frame of document.querySelectorAll("iframe")) frame.addEventListener("load", () => { loads++; finish(); });
  document.getElementById("text").submit();
  document.getElementById("urlencoded").submit();
  document.getElementById("multipart").submit();
  const body = JSON.stringify({ kind: "Timeout", metadata: { name: "csrf-no-cors" }, spec: { targetRef: { kind: "Service", name: "cart" } } });
  Promise.allSettled([
    fetch("${api}/policies.create", { method: "POST", mode: "no-cors", credentials: "include", headers: { "content-type": "text/plain" }, body }),
    fetch("${api}/policies.create", { method: "POST", credentials: "include", headers: { "content-type": "application/json", "x-loom-csrf": "1" }, body }),
  ]).then(() => { fetched = true; finish(); });
</script></body></html>`;
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/html" }).end(page);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
