import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { useProcesses } from "@loom/test-harness";
import { beforeAll, describe, expect, it } from "vitest";
import { appRouter } from "../../src/trpc/router.ts";
import {
  ADMIN_PASSWORD,
  type ApiClient,
  adminToken,
  apiClient,
  clientWithRole,
  failure,
  type RunningControlPlane,
  startControlPlane,
} from "./control-plane.ts";

useProcesses();

let cp: RunningControlPlane;
let admin: ApiClient;
let adminTokenText: string;

/** Mutations anyone may call: signing in is how one gets a role. Every other mutation needs one. */
const PUBLIC_MUTATIONS = ["auth.login", "auth.logout", "auth.createCliToken"];
const PUBLIC_QUERIES = ["auth.me"];

// tRPC keeps every procedure by its dotted path here; only the type of each matters to these tests.
const procedures = Object.entries(
  appRouter._def.procedures as unknown as Record<string, { _def: { type: string } }>,
);
const writeProcedures = procedures
  .filter(([name, procedure]) => procedure._def.type === "mutation" && !PUBLIC_MUTATIONS.includes(name))
  .map(([name]) => name);
const queries = procedures
  .filter(([name, procedure]) => procedure._def.type === "query" && !PUBLIC_QUERIES.includes(name))
  .map(([name]) => name);

beforeAll(async () => {
  cp = await startControlPlane();
  adminTokenText = await adminToken(cp.apiUrl);
  admin = apiClient(cp.apiUrl, { token: adminTokenText });
  await admin.services.create.mutate({
    kind: "Service",
    metadata: { name: "cart" },
    spec: { ports: [{ port: 80 }] },
  });
});

function post(procedure: string, init: { body?: unknown; headers?: Record<string, string> } = {}) {
  return fetch(`${cp.apiUrl}/api/trpc/${procedure}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...init.headers },
    body: JSON.stringify(init.body ?? {}),
  });
}

async function login(username: string, password: string, headers: Record<string, string> = {}) {
  const response = await post("auth.login", {
    body: { username, password },
    headers: { "x-loom-csrf": "1", ...headers },
  });
  expect(response.status).toBe(200);
  const setCookie = response.headers.get("set-cookie") ?? "";
  return { setCookie, cookie: setCookie.split(";")[0] ?? "" };
}

describe("roles", () => {
  it("finds the write procedures in the router itself", () => {
    expect(writeProcedures).toEqual(
      expect.arrayContaining(["policies.create", "policies.applyYaml", "history.rollback", "users.create"]),
    );
    expect(writeProcedures.length).toBeGreaterThan(20);
  });

  it("answers nothing but sign-in without a session or token", async () => {
    for (const procedure of writeProcedures) {
      const response = await post(procedure, { headers: { "x-loom-csrf": "1" } });
      expect([procedure, response.status]).toEqual([procedure, 401]);
    }
    for (const procedure of queries) {
      const response = await fetch(`${cp.apiUrl}/api/trpc/${procedure}`);
      expect([procedure, response.status]).toEqual([procedure, 401]);
    }
    const forged = await post("policies.create", { headers: { authorization: "Bearer loom_api_forged" } });
    expect(forged.status).toBe(401);
  });

  it("gives a viewer FORBIDDEN on every write procedure", async () => {
    const { token } = await admin.tokens.api.create.mutate({ name: "a-viewer", role: "viewer" });
    for (const procedure of writeProcedures) {
      const response = await post(procedure, { headers: { authorization: `Bearer ${token}` } });
      expect([procedure, response.status]).toEqual([procedure, 403]);
    }
    const viewer = apiClient(cp.apiUrl, { token });
    expect(await viewer.services.list.query()).toHaveLength(1);
  });

  it("lets an editor write resources but not manage users or tokens", async () => {
    const editor = await clientWithRole(cp.apiUrl, admin, "editor");
    const created = await editor.policies.create.mutate({
      kind: "Timeout",
      metadata: { name: "by-editor" },
      spec: { targetRef: { kind: "Service", name: "cart" } },
    });
    expect(created.metadata.resourceVersion).toBe("1");
    expect((await failure(editor.users.list.query())).code).toBe("FORBIDDEN");
    const forbidden = await failure(editor.tokens.api.create.mutate({ name: "escalate", role: "admin" }));
    expect(forbidden.code).toBe("FORBIDDEN");
    expect(forbidden.message).toMatch(/needs the admin role; editor-\d+ is editor/);
  });

  it("lets an admin manage users, whose role applies from their next call", async () => {
    await admin.users.create.mutate({ username: "olivia", password: "olivia-password-1", role: "viewer" });
    const { cookie } = await login("olivia", "olivia-password-1");
    const olivia = apiClient(cp.apiUrl, { cookie });
    expect(await olivia.auth.me.query()).toEqual({ name: "olivia", role: "viewer", via: "session" });
    expect((await failure(olivia.policies.delete.mutate({ kind: "Timeout", name: "by-editor" }))).code).toBe(
      "FORBIDDEN",
    );

    await admin.users.setRole.mutate({ username: "olivia", role: "editor" });
    expect((await olivia.auth.me.query())?.role).toBe("editor");
    await olivia.policies.delete.mutate({ kind: "Timeout", name: "by-editor" });

    await admin.users.delete.mutate({ username: "olivia" });
    expect(await olivia.auth.me.query()).toBeNull();
    expect((await admin.users.list.query()).map((user) => user.username)).toEqual(["admin"]);
  });

  it("refuses a wrong password without saying whether the user exists", async () => {
    const anonymous = apiClient(cp.apiUrl);
    const wrongPassword = await failure(anonymous.auth.login.mutate({ username: "admin", password: "nope" }));
    const noSuchUser = await failure(anonymous.auth.login.mutate({ username: "nobody", password: "nope" }));
    expect(wrongPassword).toEqual(noSuchUser);
    expect(wrongPassword.code).toBe("UNAUTHORIZED");
  });

  it("stops a revoked API token at once", async () => {
    const { token, record } = await admin.tokens.api.create.mutate({ name: "short-lived", role: "editor" });
    const client = apiClient(cp.apiUrl, { token });
    expect((await client.auth.me.query())?.name).toBe("short-lived");
    await admin.tokens.api.revoke.mutate({ id: record.id });
    expect(await client.auth.me.query()).toBeNull();
    expect((await failure(client.services.list.query())).code).toBe("UNAUTHORIZED");
  });
});

describe("session cookie", () => {
  it("is HttpOnly, SameSite=Strict and only Secure when the browser uses https", async () => {
    const { setCookie } = await login("admin", ADMIN_PASSWORD);
    expect(setCookie).toMatch(/^loom_session=[^;]+; Path=\/; HttpOnly; SameSite=Strict; Max-Age=\d+$/);

    const behindTls = await login("admin", ADMIN_PASSWORD, { "x-forwarded-proto": "https" });
    expect(behindTls.setCookie).toMatch(/; HttpOnly; SameSite=Strict; Max-Age=\d+; Secure$/);
  });

  it("is cleared by logout", async () => {
    const { cookie } = await login("admin", ADMIN_PASSWORD);
    const response = await post("auth.logout", { headers: { cookie, "x-loom-csrf": "1" } });
    expect(response.headers.get("set-cookie")).toMatch(
      /^loom_session=; Path=\/; HttpOnly; SameSite=Strict; Max-Age=0/,
    );
  });

  it("is refused when tampered with", async () => {
    const { cookie } = await login("admin", ADMIN_PASSWORD);
    const [name, value = ""] = cookie.split("=");
    const forged = `${name}=${Buffer.from("mallory").toString("base64url")}${value.slice(value.indexOf("."))}`;
    expect(await apiClient(cp.apiUrl, { cookie: forged }).auth.me.query()).toBeNull();
  });
});

describe("ending sessions", () => {
  const asCookie = (cookie: string) => ({ cookie, "x-loom-csrf": "1" });
  const listServices = (cookie: string) =>
    fetch(`${cp.apiUrl}/api/trpc/services.list`, { headers: { cookie } }).then((response) => response.status);
  const createService = (cookie: string, name: string) =>
    post("services.create", {
      body: { kind: "Service", metadata: { name }, spec: { ports: [{ port: 80 }] } },
      headers: asCookie(cookie),
    }).then((response) => response.status);

  it("logout ends the session everywhere: the old cookie gets 401 on a query and a mutation", async () => {
    await admin.users.create.mutate({ username: "leaving", password: "leaving-password-1", role: "editor" });
    const here = await login("leaving", "leaving-password-1");
    const elsewhere = await login("leaving", "leaving-password-1");
    expect([await listServices(here.cookie), await createService(here.cookie, "before-logout")]).toEqual([
      200, 200,
    ]);

    const logout = await post("auth.logout", { headers: asCookie(here.cookie) });
    expect(logout.status).toBe(200);

    for (const { cookie } of [here, elsewhere]) {
      expect(await listServices(cookie)).toBe(401);
      expect(await createService(cookie, "after-logout")).toBe(401);
      expect(await apiClient(cp.apiUrl, { cookie }).auth.me.query()).toBeNull();
    }
    const again = await login("leaving", "leaving-password-1");
    expect([await listServices(again.cookie), await createService(again.cookie, "signed-in-again")]).toEqual([
      200, 200,
    ]);
    expect((await admin.audit.list.query({ name: "leaving" })).map((row) => row.action)).toContain(
      "end-sessions",
    );
  });

  it("a password change ends the sessions signed in with the old password", async () => {
    await admin.users.create.mutate({ username: "stolen", password: "stolen-password-1", role: "editor" });
    const victim = await login("stolen", "stolen-password-1");
    const thief = await login("stolen", "stolen-password-1");
    expect(await listServices(thief.cookie)).toBe(200);

    await admin.users.setPassword.mutate({ username: "stolen", password: "stolen-password-2" });

    for (const { cookie } of [victim, thief]) {
      expect(await listServices(cookie)).toBe(401);
      expect(await createService(cookie, "after-new-password")).toBe(401);
    }
    const failedLogin = await post("auth.login", {
      body: { username: "stolen", password: "stolen-password-1" },
      headers: { "x-loom-csrf": "1" },
    });
    expect(failedLogin.status).toBe(401);
    const fresh = await login("stolen", "stolen-password-2");
    expect(await createService(fresh.cookie, "after-new-password")).toBe(200);
  });

  it("a user deleted and created again under the same name does not inherit the old sessions", async () => {
    await admin.users.create.mutate({ username: "recycled", password: "recycled-password-1", role: "admin" });
    const old = await login("recycled", "recycled-password-1");
    await admin.users.delete.mutate({ username: "recycled" });
    await admin.users.create.mutate({
      username: "recycled",
      password: "recycled-password-2",
      role: "viewer",
    });
    expect(await listServices(old.cookie)).toBe(401);
  });

  it("a role change keeps the session but applies the new role at once", async () => {
    await admin.users.create.mutate({ username: "demoted", password: "demoted-password-1", role: "editor" });
    const { cookie } = await login("demoted", "demoted-password-1");
    await admin.users.setRole.mutate({ username: "demoted", role: "viewer" });
    expect(await listServices(cookie)).toBe(200);
    expect(await createService(cookie, "by-a-viewer")).toBe(403);
  });
});

describe("CSRF", () => {
  const route = {
    kind: "Timeout",
    metadata: { name: "csrf" },
    spec: { targetRef: { kind: "Service", name: "cart" } },
  };

  it("refuses a cookie-authenticated mutation without the custom header", async () => {
    const { cookie } = await login("admin", ADMIN_PASSWORD);
    // What a cross-site form can send: refused before any procedure runs.
    const form = await fetch(`${cp.apiUrl}/api/trpc/policies.create`, {
      method: "POST",
      headers: { cookie, "content-type": "text/plain" },
      body: JSON.stringify(route),
    });
    expect(form.status).toBe(415);
    const withoutHeader = await post("policies.create", { body: route, headers: { cookie } });
    expect(withoutHeader.status).toBe(403);
    expect(await withoutHeader.text()).toContain('need the header \\"x-loom-csrf: 1\\"');
    expect((await failure(admin.policies.get.query({ kind: "Timeout", name: "csrf" }))).code).toBe(
      "NOT_FOUND",
    );
  });

  it("refuses a mutation from a foreign Origin even with the header", async () => {
    const { cookie } = await login("admin", ADMIN_PASSWORD);
    const foreign = await post("policies.create", {
      body: route,
      headers: { cookie, "x-loom-csrf": "1", origin: "https://evil.example" },
    });
    expect(foreign.status).toBe(403);
    const crossSite = await post("policies.create", {
      body: route,
      headers: { cookie, "x-loom-csrf": "1", "sec-fetch-site": "cross-site" },
    });
    expect(crossSite.status).toBe(403);
  });

  it("accepts the console's own calls: same origin, directly or through its rewrite", async () => {
    const { cookie } = await login("admin", ADMIN_PASSWORD);
    const direct = await post("policies.create", {
      body: route,
      headers: { cookie, "x-loom-csrf": "1", origin: cp.apiUrl },
    });
    expect(direct.status).toBe(200);
    const throughRewrite = await post("policies.delete", {
      body: { kind: "Timeout", name: "csrf" },
      headers: {
        cookie,
        "x-loom-csrf": "1",
        origin: "http://console.example:3000",
        "x-forwarded-host": "console.example:3000",
      },
    });
    expect(throughRewrite.status).toBe(200);
  });

  it("still needs the header when the Authorization a browser may add itself (Basic) rides with the cookie", async () => {
    const { cookie } = await login("admin", ADMIN_PASSWORD);
    const withBasic = await post("policies.create", {
      body: { ...route, metadata: { name: "csrf-basic" } },
      headers: { cookie, authorization: `Basic ${Buffer.from("user:pass").toString("base64")}` },
    });
    expect(withBasic.status).toBe(403);
    expect((await failure(admin.policies.get.query({ kind: "Timeout", name: "csrf-basic" }))).code).toBe(
      "NOT_FOUND",
    );
  });

  it("needs no header for API tokens, which browsers never send on their own", async () => {
    const response = await post("policies.create", {
      body: { ...route, metadata: { name: "csrf-token" } },
      headers: { authorization: `Bearer ${adminTokenText}` },
    });
    expect(response.status).toBe(200);
  });
});

describe("secrets", () => {
  it("never appear in any API response", async () => {
    const bodies: string[] = [];
    const recording = (init: { token?: string; cookie?: string }) =>
      apiClient(cp.apiUrl, {
        ...init,
        fetch: async (input, request) => {
          const response = await fetch(input, request);
          bodies.push(await response.clone().text());
          return response;
        },
      });
    const { token: viewerToken } = await admin.tokens.api.create.mutate({ name: "scan", role: "viewer" });
    const { token: dataplaneToken } = await admin.tokens.dataplane.create.mutate({ service: "cart" });
    await admin.users.create.mutate({ username: "scanned", password: "scanned-password-1", role: "editor" });
    const { cookie } = await login("scanned", "scanned-password-1");

    const client = recording({ token: adminTokenText });
    await client.users.list.query();
    await client.tokens.api.list.query();
    await client.tokens.dataplane.list.query();
    await client.audit.list.query({ limit: 1000 });
    await client.security.overview.query();
    await client.security.certificates.query();
    await client.dataplanes.list.query();
    await client.resources.list.query();
    await client.auth.me.query();
    await recording({ cookie }).auth.me.query();
    await recording({ token: viewerToken }).auth.me.query();
    await recording({}).auth.login.mutate({ username: "scanned", password: "scanned-password-1" });

    const responses = bodies.join("\n");
    const caKey = await readFile(path.join(cp.dataDir, "ca", "root.key"), "utf8");
    const sessionKey = await readFile(path.join(cp.dataDir, "session.key"), "utf8");
    const secrets = [
      "scrypt$",
      "passwordHash",
      "tokenHash",
      "PRIVATE KEY",
      "scanned-password-1",
      ADMIN_PASSWORD,
      caKey.split("\n")[1] ?? caKey,
      sessionKey,
      ...[adminTokenText, viewerToken, dataplaneToken].flatMap((token) => [
        token,
        createHash("sha256").update(token).digest("hex"),
      ]),
    ];
    expect(bodies.length).toBe(12);
    for (const secret of secrets) expect(responses).not.toContain(secret);
  });
});
