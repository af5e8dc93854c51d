import { useProcesses } from "@loom/test-harness";
import { beforeAll, describe, expect, it } from "vitest";
import {
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
let editor: ApiClient;

const service = (name: string) => ({
  kind: "Service" as const,
  metadata: { name },
  spec: { ports: [{ port: 8080 }] },
});

const timeout = (name: string, request: string, target = "cart") => ({
  kind: "Timeout" as const,
  metadata: { name },
  spec: { targetRef: { kind: "Service" as const, name: target }, request },
});

beforeAll(async () => {
  cp = await startControlPlane();
  const admin = apiClient(cp.apiUrl, { token: await adminToken(cp.apiUrl) });
  editor = await clientWithRole(cp.apiUrl, admin, "editor");
  await editor.services.create.mutate(service("cart"));
  await editor.services.create.mutate(service("web"));
});

describe("policy CRUD with resourceVersion", () => {
  it("creates, reads, updates with the version read, and deletes", async () => {
    const created = await editor.policies.create.mutate(timeout("crud", "2s"));
    expect(created.metadata).toMatchObject({
      name: "crud",
      mesh: "default",
      namespace: "default",
      resourceVersion: "1",
    });
    // Defaults are filled in by the one spec.
    expect(created.spec).toMatchObject({ request: "2s", connect: "5s" });

    const read = await editor.policies.get.query({ kind: "Timeout", name: "crud" });
    expect(read).toEqual(created);

    const updated = await editor.policies.update.mutate({
      ...timeout("crud", "3s"),
      metadata: { name: "crud", resourceVersion: read.metadata.resourceVersion },
    });
    expect(updated.metadata.resourceVersion).toBe("2");
    expect(updated.spec).toMatchObject({ request: "3s" });

    const listed = await editor.policies.list.query({ kind: "Timeout" });
    expect(listed.map((policy) => policy.metadata.name)).toContain("crud");

    await editor.policies.delete.mutate({ kind: "Timeout", name: "crud", resourceVersion: "2" });
    expect((await failure(editor.policies.get.query({ kind: "Timeout", name: "crud" }))).code).toBe(
      "NOT_FOUND",
    );
  });

  it("refuses a stale write with CONFLICT naming the current version", async () => {
    await editor.policies.create.mutate(timeout("stale", "2s"));
    const fresh = { ...timeout("stale", "4s"), metadata: { name: "stale", resourceVersion: "1" } };
    await editor.policies.update.mutate(fresh);

    const conflict = await failure(
      editor.policies.update.mutate({ ...fresh, spec: { ...fresh.spec, request: "9s" } }),
    );
    expect(conflict.code).toBe("CONFLICT");
    expect(conflict.message).toContain("resourceVersion 1 is stale; the current version is 2");
    expect(conflict.data).toMatchObject({ currentVersion: 2 });

    const staleDelete = await failure(
      editor.policies.delete.mutate({ kind: "Timeout", name: "stale", resourceVersion: "1" }),
    );
    expect(staleDelete.code).toBe("CONFLICT");
  });

  it("answers an invalid policy with BAD_REQUEST naming the field path as the spec formats it", async () => {
    const invalid = {
      kind: "TrafficRoute" as const,
      metadata: { name: "bad" },
      spec: {
        targetRef: { kind: "Service" as const, name: "cart" },
        rules: [{ backendRefs: [{ weight: 0 }] }],
      },
    };
    const error = await failure(editor.policies.create.mutate(invalid));
    expect(error.code).toBe("BAD_REQUEST");
    expect(error.message).toBe(
      'TrafficRoute "bad" spec.rules[0].backendRefs: at least one backend needs a weight above 0',
    );
    expect(error.data).toMatchObject({
      resourceErrors: [{ kind: "TrafficRoute", name: "bad", path: "spec.rules[0].backendRefs" }],
    });

    const unknownField = await failure(
      editor.policies.create.mutate({
        ...timeout("typo", "1s"),
        spec: { ...timeout("typo", "1s").spec, requets: "1s" } as never,
      }),
    );
    expect(unknownField.message).toBe(
      'Timeout "typo" spec: unknown field "requets" (did you mean "request"?)',
    );

    const missingService = await failure(editor.policies.create.mutate(timeout("nowhere", "1s", "ghost")));
    expect(missingService.message).toBe(
      'Timeout "nowhere" spec.targetRef: names service "ghost", which does not exist',
    );
  });

  it("refuses a trace search for an edge's caller without its callee, naming the field", async () => {
    const error = await failure(editor.traces.search.query({ caller: "web" }));
    expect(error.code).toBe("BAD_REQUEST");
    expect(error.message).toBe("caller: a caller needs a service (the callee): together they name one edge");
    expect(await editor.traces.search.query({ caller: "web", service: "cart" })).toEqual([]);
  });

  it("keeps each router to its kinds", async () => {
    const error = await failure(editor.policies.create.mutate(service("sneaky") as never));
    expect(error.code).toBe("BAD_REQUEST");
    expect(error.message).toMatch(/^Service kind: must be one of "TrafficRoute"/);
  });
});

describe("meshes and services", () => {
  it("need no kind in calls to their own routers", async () => {
    const mesh = await editor.meshes.create.mutate({
      kind: "Mesh",
      metadata: { name: "default" },
      spec: { mtls: { mode: "strict" } },
    });
    expect(mesh.spec.mtls).toEqual({ mode: "strict", trustDomain: "loom.local" });
    expect((await editor.meshes.get.query({ name: "default" })).metadata.resourceVersion).toBe("1");
    expect((await editor.meshes.list.query()).map((listed) => listed.kind)).toEqual(["Mesh"]);
    expect((await editor.services.list.query()).map((listed) => listed.metadata.name)).toEqual([
      "cart",
      "web",
    ]);
    expect((await editor.security.overview.query()).mtls).toEqual({
      mode: "strict",
      trustDomain: "loom.local",
    });
  });
});

describe("applyYaml", () => {
  const valid = `kind: Timeout
metadata:
  name: yaml-a
spec:
  targetRef: { kind: Service, name: cart }
  request: 2s
---
kind: Retry
metadata:
  name: yaml-b
spec:
  targetRef: { kind: Service, name: cart }
`;

  it("applies every document and then reports unchanged and configured", async () => {
    const first = await editor.policies.applyYaml.mutate({ text: valid });
    expect(first.results.map((result) => [result.name, result.outcome])).toEqual([
      ["yaml-a", "created"],
      ["yaml-b", "created"],
    ]);
    const second = await editor.policies.applyYaml.mutate({
      text: valid.replace("request: 2s", "request: 7s"),
    });
    expect(second.results.map((result) => [result.name, result.outcome, result.resourceVersion])).toEqual([
      ["yaml-a", "configured", "2"],
      ["yaml-b", "unchanged", "1"],
    ]);
  });

  it("writes nothing when one document is invalid, and names its line", async () => {
    const text = `kind: Timeout
metadata:
  name: all-or-nothing
spec:
  targetRef: { kind: Service, name: cart }
---
kind: TrafficRoute
metadata:
  name: broken
spec:
  targetRef: { kind: Service, name: cart }
  rules:
    - backendRefs:
        - weight: -1
`;
    const error = await failure(editor.policies.applyYaml.mutate({ text, source: "routes.yaml" }));
    expect(error.code).toBe("BAD_REQUEST");
    expect(error.message).toBe(
      'TrafficRoute "broken" (routes.yaml line 14) spec.rules[0].backendRefs[0].weight: must not be negative',
    );
    expect((await failure(editor.policies.get.query({ kind: "Timeout", name: "all-or-nothing" }))).code).toBe(
      "NOT_FOUND",
    );
  });

  it("undoes the writes it made when a later one conflicts", async () => {
    await editor.policies.create.mutate(timeout("moved-on", "1s"));
    await editor.policies.update.mutate({
      ...timeout("moved-on", "2s"),
      metadata: { name: "moved-on", resourceVersion: "1" },
    });
    const text = `kind: Timeout
metadata:
  name: undone
spec:
  targetRef: { kind: Service, name: cart }
---
kind: Timeout
metadata:
  name: moved-on
  resourceVersion: "1"
spec:
  targetRef: { kind: Service, name: cart }
  request: 30s
`;
    const error = await failure(editor.policies.applyYaml.mutate({ text }));
    expect(error.code).toBe("CONFLICT");
    expect((await failure(editor.policies.get.query({ kind: "Timeout", name: "undone" }))).code).toBe(
      "NOT_FOUND",
    );
    expect((await editor.policies.get.query({ kind: "Timeout", name: "moved-on" })).spec).toMatchObject({
      request: "2s",
    });
  });
});

describe("history and rollback", () => {
  it("lists revisions with before, after and a diff, and rolls back to any of them", async () => {
    await editor.policies.create.mutate(timeout("versions", "1s"));
    await editor.policies.update.mutate({
      ...timeout("versions", "2s"),
      metadata: { name: "versions", resourceVersion: "1" },
    });
    await editor.policies.update.mutate({
      ...timeout("versions", "3s"),
      metadata: { name: "versions", resourceVersion: "2" },
    });

    const history = await editor.history.list.query({ kind: "Timeout", name: "versions" });
    expect(history.map((revision) => [revision.version, revision.action])).toEqual([
      [1, "create"],
      [2, "update"],
      [3, "update"],
    ]);
    const second = history[1];
    expect(second?.before?.spec).toMatchObject({ request: "1s" });
    expect(second?.after?.spec).toMatchObject({ request: "2s" });
    expect(second?.diff).toContain("-  request: 1s\n+  request: 2s");
    expect(second?.actor).toMatch(/^token:editor-/);

    const restored = await editor.history.rollback.mutate({
      kind: "Timeout",
      name: "versions",
      toVersion: 1,
    });
    expect(restored.metadata.resourceVersion).toBe("4");
    expect(restored.spec).toMatchObject({ request: "1s" });

    const stale = await failure(
      editor.history.rollback.mutate({ kind: "Timeout", name: "versions", toVersion: 2, expectedVersion: 3 }),
    );
    expect(stale.code).toBe("CONFLICT");
    expect(stale.message).toContain("the current version is 4");
  });

  it("re-creates a deleted resource on rollback", async () => {
    await editor.policies.create.mutate(timeout("deleted", "5s"));
    await editor.policies.delete.mutate({ kind: "Timeout", name: "deleted" });
    const restored = await editor.history.rollback.mutate({ kind: "Timeout", name: "deleted", toVersion: 1 });
    expect(restored.spec).toMatchObject({ request: "5s" });
    expect(restored.metadata.resourceVersion).toBe("3");
  });
});

describe("in force and shadowed", () => {
  it("answers with the precedence function: most specific first, then the oldest", async () => {
    const rateLimit = (name: string, targetRef: object) => ({
      kind: "RateLimit" as const,
      metadata: { name },
      spec: { targetRef, requests: 10, interval: "1s" },
    });
    await editor.policies.create.mutate(rateLimit("mesh-wide", { kind: "Mesh" }) as never);
    await editor.policies.create.mutate(rateLimit("web-old", { kind: "Service", name: "web" }) as never);
    await editor.policies.create.mutate(rateLimit("web-new", { kind: "Service", name: "web" }) as never);
    await editor.policies.create.mutate(
      rateLimit("web-v2", { kind: "ServiceSubset", name: "web", tags: { version: "v2" } }) as never,
    );

    const v1 = await editor.policies.inForce.query({
      kind: "RateLimit",
      service: "web",
      tags: { version: "v1" },
    });
    expect(v1.inForce?.metadata.name).toBe("web-old");
    expect(v1.shadowed.map((policy) => policy.metadata.name)).toEqual(["web-new", "mesh-wide"]);

    const v2 = await editor.policies.inForce.query({
      kind: "RateLimit",
      service: "web",
      tags: { version: "v2" },
    });
    expect(v2.inForce?.metadata.name).toBe("web-v2");

    const none = await editor.policies.inForce.query({ kind: "CircuitBreaker", service: "web" });
    expect(none).toEqual({ inForce: null, shadowed: [] });

    // Many services in one call, each as inForce answers it for the service alone.
    const byService = await editor.policies.inForceByService.query({
      kind: "RateLimit",
      services: ["web", "cart"],
    });
    expect(byService.web?.metadata.name).toBe("web-old");
    expect(byService.cart?.metadata.name).toBe("mesh-wide");
    const invalid = await editor.policies.inForceByService
      .query({ kind: "RateLimit", services: ["Not A Name"] })
      .catch((error: unknown) => error as { data?: { code?: string }; message: string });
    expect(invalid).toMatchObject({ data: { code: "BAD_REQUEST" } });
    expect(invalid.message).toContain("services[0]");
  });
});

describe("audit", () => {
  it("records who changed what", async () => {
    await editor.policies.create.mutate(timeout("audited", "1s"));
    const entries = await editor.audit.list.query({ kind: "Timeout", name: "audited" });
    expect(entries[0]).toMatchObject({ action: "create", kind: "Timeout", name: "audited", mesh: "default" });
    expect(entries[0]?.actor).toMatch(/^token:editor-/);
  });
});
