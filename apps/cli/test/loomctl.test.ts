import { spawn } from "node:child_process";
import { mkdtemp, readFile, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { startProcess, useProcesses, waitForLine } from "@loom/test-harness";
import { beforeAll, describe, expect, it } from "vitest";

useProcesses();

const LOOMCTL = path.resolve(import.meta.dirname, "../bin/loomctl.js");
const LOOM_CP = path.resolve(import.meta.dirname, "../../control-plane/bin/loom-cp.js");
const ADMIN_PASSWORD = "loomctl-test-admin-password";

let server: string;
let home: string;
let files: string;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** loomctl as an operator runs it: its own process, HOME for the credentials file, LOOM_SERVER. */
function loomctl(
  args: string[],
  options: { input?: string; env?: Record<string, string> } = {},
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [LOOMCTL, ...args], {
      env: {
        ...process.env,
        HOME: home,
        XDG_CONFIG_HOME: "",
        LOOM_SERVER: server,
        LOOM_TOKEN: "",
        ...options.env,
      },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.input);
  });
}

async function file(name: string, text: string): Promise<string> {
  const target = path.join(files, name);
  await writeFile(target, text);
  return target;
}

const ROUTES = `kind: Service
metadata:
  name: cart
spec:
  ports: [{ port: 8080 }]
---
kind: TrafficRoute
metadata:
  name: cart
spec:
  targetRef: { kind: Service, name: cart }
  rules:
    - backendRefs:
        - tags: { version: v1 }
          weight: 90
        - tags: { version: v2 }
          weight: 10
`;

beforeAll(async () => {
  const dataDir = await mkdtemp(path.join(tmpdir(), "loomctl-cp-"));
  home = await mkdtemp(path.join(tmpdir(), "loomctl-home-"));
  files = await mkdtemp(path.join(tmpdir(), "loomctl-files-"));
  const controlPlane = await startProcess({
    name: "loom-cp",
    command: process.execPath,
    args: [LOOM_CP, "--port", "0", "--dp-port", "0", "--data-dir", dataDir],
    env: { LOOM_ADMIN_PASSWORD: ADMIN_PASSWORD, DATABASE_URL: undefined },
    ready: { line: /^loom-cp ready: / },
  });
  [, server = ""] = await waitForLine(controlPlane, /^loom-cp ready: api (\S+)/);

  const login = await loomctl(["login", "--username", "admin", "--password-stdin"], {
    input: `${ADMIN_PASSWORD}\n`,
  });
  expect(login).toMatchObject({ code: 0 });
});

describe("loomctl against a real loom-cp", () => {
  it("login saves an API token only its owner can read", async () => {
    const credentials = path.join(home, ".config", "loom", "credentials");
    expect((await stat(credentials)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(credentials, "utf8"))).toMatchObject({
      server,
      token: expect.stringMatching(/^loom_api_/),
    });
    const wrong = await loomctl(["login", "-u", "admin", "--password-stdin"], { input: "wrong\n" });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain("wrong username or password");
  });

  it("apply creates, then reports unchanged and configured", async () => {
    const routes = await file("routes.yaml", ROUTES);
    const first = await loomctl(["apply", "-f", routes]);
    expect(first).toMatchObject({ code: 0, stdout: "Service/cart created\nTrafficRoute/cart created\n" });
    const again = await loomctl(["apply", "-f", routes]);
    expect(again.stdout).toBe("Service/cart unchanged\nTrafficRoute/cart unchanged\n");
    const changed = await file("routes-50.yaml", ROUTES.replace("weight: 90", "weight: 50"));
    expect((await loomctl(["apply", "-f", changed])).stdout).toBe(
      "Service/cart unchanged\nTrafficRoute/cart configured\n",
    );
  });

  it("get lists, shows one as YAML or JSON, and explains an unknown kind", async () => {
    const list = await loomctl(["get", "trafficroutes"]);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^KIND\s+NAME\s+MESH\s+NAMESPACE\s+VERSION/);
    expect(list.stdout).toMatch(/TrafficRoute\s+cart\s+default\s+default\s+2/);

    const yaml = await loomctl(["get", "TrafficRoute", "cart", "-o", "yaml"]);
    expect(yaml.stdout).toContain("kind: TrafficRoute\nmetadata:\n  name: cart\n");
    expect(yaml.stdout).toContain("weight: 50");

    const json = JSON.parse((await loomctl(["get", "service", "cart", "-o", "json"])).stdout);
    expect(json).toMatchObject({ kind: "Service", spec: { ports: [{ port: 8080, protocol: "http" }] } });

    const missing = await loomctl(["get", "trafficroute", "nothing"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('TrafficRoute "default/nothing" in mesh "default" does not exist');

    const unknown = await loomctl(["get", "routes"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown kind "routes"');
  });

  it("apply of an invalid file exits 1 with the line-numbered message, and sends nothing", async () => {
    const invalid = await file(
      "invalid.yaml",
      `${ROUTES.replace("name: cart\nspec:\n  targetRef", "name: cart-canary\nspec:\n  targetRef").replace(
        "weight: 10",
        "weight: -1",
      )}`,
    );
    const result = await loomctl(["apply", "-f", invalid]);
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe(
      `TrafficRoute "cart-canary" (${invalid} line 17) spec.rules[0].backendRefs[1].weight: must not be negative`,
    );
    expect((await loomctl(["get", "trafficroute", "cart-canary"])).code).toBe(1);
  });

  it("apply names a missing service with its line (checked by the server against what it holds)", async () => {
    const dangling = await file(
      "dangling.yaml",
      `kind: Timeout
metadata:
  name: ghost
spec:
  targetRef:
    kind: Service
    name: ghost
`,
    );
    const result = await loomctl(["apply", "-f", dangling]);
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe(
      `Timeout "ghost" (${dangling} line 7) spec.targetRef: names service "ghost", which does not exist`,
    );
  });

  it("history, delete and rollback", async () => {
    const history = await loomctl(["history", "trafficroute", "cart"]);
    expect(history.stdout).toMatch(/^VERSION\s+ACTION\s+ACTOR\s+AT\n1\s+create\s+token:loomctl:admin/);
    expect(history.stdout).toMatch(/\n2\s+update\s+token:loomctl:admin/);
    const diff = await loomctl(["history", "trafficroute", "cart", "--diff"]);
    expect(diff.stdout).toContain("-          weight: 90\n+          weight: 50");

    expect((await loomctl(["delete", "trafficroute", "cart"])).stdout).toBe("TrafficRoute/cart deleted\n");
    expect((await loomctl(["get", "trafficroute", "cart"])).code).toBe(1);

    const rollback = await loomctl(["rollback", "trafficroute", "cart", "--to", "1"]);
    expect(rollback).toMatchObject({
      code: 0,
      stdout: "TrafficRoute/cart rolled back to version 1 (now version 4)\n",
    });
    expect((await loomctl(["get", "trafficroute", "cart", "-o", "yaml"])).stdout).toContain("weight: 90");
  });

  it("creates a dataplane token and inspects dataplanes", async () => {
    const token = await loomctl(["token", "create-dataplane", "--service", "cart"]);
    expect(token.code).toBe(0);
    expect(token.stdout).toMatch(/^loom_dp_\S+\n$/);
    expect(token.stderr).toContain('for service "cart" (shown only once)');

    const inspect = await loomctl(["inspect", "dataplanes"]);
    expect(inspect).toMatchObject({ code: 0 });
    expect(inspect.stdout).toMatch(/^NAME\s+MESH\s+SERVICE\s+TAGS\s+STATUS/);
  });

  it("says how to sign in when the token is refused, and when the server is down", async () => {
    const refused = await loomctl(["get", "services"], { env: { LOOM_TOKEN: "loom_api_revoked" } });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('Run "loomctl login", or set LOOM_TOKEN.');

    const down = await loomctl(["get", "services"], { env: { LOOM_SERVER: "http://127.0.0.1:1" } });
    expect(down.code).toBe(1);
    expect(down.stderr).toContain("cannot reach loom-cp at http://127.0.0.1:1");
  });
});
