import { spawn } from "node:child_process";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { startProcess, useProcesses, waitFor, waitForLine } from "@loom/test-harness";
import { beforeAll, describe, expect, it } from "vitest";
import { createClient, type LoomClient } from "../src/connection.ts";

useProcesses();

const LOOMCTL = path.resolve(import.meta.dirname, "../bin/loomctl.js");
const LOOM_CP = path.resolve(import.meta.dirname, "../../control-plane/bin/loom-cp.js");
const ADMIN_PASSWORD = "loomctl-describe-admin-password";

let server: string;
let token: string;
let admin: LoomClient;
let files: string;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** loomctl in its own process; `onStdout` sees its output as it comes (for --watch). */
function loomctl(
  args: string[],
  env: Record<string, string> = {},
  onStdout?: (text: string) => void,
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [LOOMCTL, ...args], {
      env: {
        ...process.env,
        HOME: files,
        XDG_CONFIG_HOME: "",
        LOOM_SERVER: server,
        LOOM_TOKEN: token,
        ...env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
      onStdout?.(stdout);
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

async function apply(name: string, text: string): Promise<Run> {
  const target = path.join(files, name);
  await writeFile(target, text);
  return loomctl(["apply", "-f", target]);
}

beforeAll(async () => {
  const dataDir = await mkdtemp(path.join(tmpdir(), "loomctl-describe-cp-"));
  files = await mkdtemp(path.join(tmpdir(), "loomctl-describe-files-"));
  const controlPlane = await startProcess({
    name: "loom-cp",
    command: process.execPath,
    args: [LOOM_CP, "--port", "0", "--dp-port", "0", "--data-dir", dataDir],
    env: { LOOM_ADMIN_PASSWORD: ADMIN_PASSWORD, DATABASE_URL: undefined },
    ready: { line: /^loom-cp ready: / },
  });
  [, server = ""] = await waitForLine(controlPlane, /^loom-cp ready: api (\S+)/);
  ({ token } = await createClient(server, undefined).auth.createCliToken.mutate({
    username: "admin",
    password: ADMIN_PASSWORD,
  }));
  admin = createClient(server, token);
});

const timeout = (name: string, request: string) =>
  `kind: Timeout\nmetadata: { name: ${name} }\nspec:\n  targetRef: { kind: Service, name: cart }\n  request: ${request}\n`;

describe("loomctl describe, token revoke and rollout status against a real loom-cp", () => {
  it("describe shows the object, its history length and whether it is in force or shadowed", async () => {
    expect(
      (
        await apply(
          "cart.yaml",
          `kind: Service\nmetadata: { name: cart }\nspec: { ports: [{ port: 8080 }] }\n---\n${timeout("cart-a", "3s")}`,
        )
      ).code,
    ).toBe(0);
    expect((await apply("cart-a.yaml", timeout("cart-a", "4s"))).stdout).toBe("Timeout/cart-a configured\n");

    const one = await loomctl(["describe", "timeout", "cart-a"]);
    expect(one.code).toBe(0);
    expect(one.stdout).toContain("kind: Timeout\nmetadata:\n  name: cart-a\n");
    expect(one.stdout).toContain("request: 4s");
    expect(one.stdout).toMatch(/History: 2 revisions \(latest: version 2, update by \S+ at /);
    expect(one.stdout).toContain("In force for Service/cart: yes");

    // A second Timeout for the same target: exactly one of the two is in force, the other is shadowed by it.
    expect((await apply("cart-b.yaml", timeout("cart-b", "9s"))).code).toBe(0);
    const [a, b] = await Promise.all([
      loomctl(["describe", "Timeout", "cart-a"]),
      loomctl(["describe", "Timeout", "cart-b"]),
    ]);
    const winner = a.stdout.includes("In force for Service/cart: yes") ? "cart-a" : "cart-b";
    const loser = winner === "cart-a" ? b : a;
    expect(loser.stdout).toContain(`In force for Service/cart: no, shadowed by Timeout/${winner}`);
    expect(b.stdout).toContain("History: 1 revision (latest: version 1, create");
    const inForce = await admin.policies.inForce.query({ kind: "Timeout", service: "cart" });
    expect(inForce.inForce?.metadata.name).toBe(winner);

    const service = await loomctl(["describe", "service", "cart"]);
    expect(service.stdout).toContain("History: 1 revision");
    expect(service.stdout).not.toContain("In force");
    const missing = await loomctl(["describe", "timeout", "nothing"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("does not exist");
  });

  it("token revoke: a revoked API token can no longer call the API", async () => {
    const issued = await admin.tokens.api.create.mutate({ name: "ci-script", role: "viewer" });
    const asScript = { LOOM_TOKEN: issued.token };
    expect((await loomctl(["get", "services"], asScript)).code).toBe(0);

    const revoked = await loomctl(["token", "revoke", String(issued.record.id)]);
    expect(revoked).toMatchObject({ code: 0, stdout: `API token ${issued.record.id} (ci-script) revoked\n` });
    const refused = await loomctl(["get", "services"], asScript);
    expect(refused.code).toBe(1);
    expect(refused.stderr).not.toBe("");
    const tokens = await admin.tokens.api.list.query();
    expect(tokens.find((record) => record.id === issued.record.id)?.revokedAt).not.toBeNull();
    expect((await loomctl(["token", "revoke", "abc"])).code).toBe(2);
  });

  it("rollout status prints a progress bar, and --watch follows the Rollout until it ends", async () => {
    const applied = await apply(
      "rollout.yaml",
      `kind: TrafficRoute
metadata: { name: cart }
spec:
  targetRef: { kind: Service, name: cart }
  rules:
    - backendRefs: [{ tags: { version: v1 }, weight: 100 }]
---
kind: Rollout
metadata: { name: cart-canary }
spec:
  targetRef: { kind: Service, name: cart }
  stable: { tags: { version: v1 } }
  canary: { tags: { version: v2 } }
  steps: [{ canaryWeight: 25, hold: 60s }, { canaryWeight: 50, hold: 60s }]
  gates: { maxSuccessRateDrop: 5, maxP99Ratio: 10, minRequests: 20 }
`,
    );
    expect(applied.code).toBe(0);
    const started = await waitFor(
      async () => {
        const run = await loomctl(["rollout", "status", "cart-canary"]);
        return run.stdout.includes("progressing") && run;
      },
      { what: "the Rollout to start", timeoutMs: 20_000 },
    );
    expect(started.code).toBe(0);
    expect(started.stdout).toMatch(/^cart-canary {2}progressing {2}step 1\/2 {2}canary \[#####-{15}\] 25%/);

    let seen = "";
    const watching = loomctl(
      ["rollout", "status", "cart-canary", "--watch", "--interval", "200"],
      {},
      (text) => {
        seen = text;
      },
    );
    await waitFor(() => seen.includes("progressing"), { what: "the first --watch line", timeoutMs: 10_000 });
    await admin.rollouts.abort.mutate({ name: "cart-canary" });
    const watched = await watching;
    const lines = watched.stdout.trimEnd().split("\n");
    expect(lines[0]).toContain("progressing");
    expect(lines.at(-1)).toMatch(/^cart-canary {2}aborted {2}.*canary \[-{20}\] 0%/);
    // Ended without a promotion: a failure for a script waiting on it.
    expect(watched.code).toBe(1);

    const unknown = await loomctl(["rollout", "status", "nothing"]);
    expect(unknown.code).toBe(1);
  }, 60_000);
});
