import { describe, expect, it } from "vitest";
import { ConflictError, NotFoundError, type ResourceInput } from "../../src/store/index.ts";
import { storeOnFreshDatabase, testProviders } from "./test-databases.ts";

function service(name: string, spec: unknown, labels: Record<string, string> = {}): ResourceInput {
  return { kind: "Service", metadata: { name, mesh: "default", labels }, spec };
}

for (const { provider, skip, createDatabase } of testProviders) {
  describe.skipIf(skip)(`resources on ${provider}`, () => {
    const store = storeOnFreshDatabase(createDatabase);

    it("selects the provider from the URL", () => {
      expect(store().provider).toBe(provider);
    });

    it("creates, reads, lists, updates and deletes with resource versions", async () => {
      const created = await store().resources.create(
        service("cart", { ports: [{ port: 80 }] }, { team: "shop" }),
        {
          actor: "alice",
        },
      );
      expect(created.metadata).toMatchObject({ name: "cart", namespace: "default", resourceVersion: 1 });
      expect(created.metadata.labels).toEqual({ team: "shop" });

      const read = await store().resources.get({ kind: "Service", mesh: "default", name: "cart" });
      expect(read).toEqual(created);

      await store().resources.create(service("web", {}), { actor: "alice" });
      await store().resources.create(
        { kind: "Timeout", metadata: { name: "slow", mesh: "default" }, spec: { seconds: 3 } },
        { actor: "alice" },
      );
      const services = await store().resources.list({ kind: "Service", mesh: "default" });
      expect(services.map((resource) => resource.metadata.name)).toEqual(["cart", "web"]);

      const updated = await store().resources.update(service("cart", { ports: [{ port: 8080 }] }), {
        expectedVersion: 1,
        actor: "bob",
      });
      expect(updated.metadata.resourceVersion).toBe(2);
      expect(updated.spec).toEqual({ ports: [{ port: 8080 }] });
      expect(updated.metadata.labels).toEqual({});
      expect(updated.metadata.createdAt).toBe(created.metadata.createdAt);
      expect(Date.parse(updated.metadata.updatedAt)).toBeGreaterThanOrEqual(
        Date.parse(created.metadata.updatedAt),
      );

      const deleted = await store().resources.delete(
        { kind: "Service", mesh: "default", name: "cart" },
        { expectedVersion: 2, actor: "bob" },
      );
      expect(deleted).toEqual(updated);
      expect(await store().resources.get({ kind: "Service", mesh: "default", name: "cart" })).toBeNull();
    });

    it("refuses to create what exists, naming the current version", async () => {
      await store().resources.create(service("dup", { a: 1 }), { actor: "alice" });
      const attempt = store().resources.create(service("dup", { a: 2 }), { actor: "alice" });
      await expect(attempt).rejects.toBeInstanceOf(ConflictError);
      await expect(attempt).rejects.toThrow(
        /Service "default\/dup" in mesh "default" already exists \(current version 1\)/,
      );
    });

    it("refuses stale updates and deletes with ConflictError naming the current version", async () => {
      await store().resources.create(service("payments", { v: 1 }), { actor: "alice" });
      await store().resources.update(service("payments", { v: 2 }), { expectedVersion: 1, actor: "alice" });

      const staleUpdate = store().resources.update(service("payments", { v: 3 }), {
        expectedVersion: 1,
        actor: "bob",
      });
      await expect(staleUpdate).rejects.toBeInstanceOf(ConflictError);
      await expect(staleUpdate).rejects.toThrow(/resourceVersion 1 is stale; the current version is 2/);
      await expect(staleUpdate).rejects.toMatchObject({ currentVersion: 2 });

      const staleDelete = store().resources.delete(
        { kind: "Service", mesh: "default", name: "payments" },
        { expectedVersion: 1, actor: "bob" },
      );
      await expect(staleDelete).rejects.toThrow(/the current version is 2/);

      const missing = store().resources.update(service("nobody", {}), { expectedVersion: 1, actor: "bob" });
      await expect(missing).rejects.toBeInstanceOf(NotFoundError);

      const stored = await store().resources.get({ kind: "Service", mesh: "default", name: "payments" });
      expect(stored?.spec).toEqual({ v: 2 });
    });

    it("lets exactly one of two concurrent writers at the same version win", async () => {
      await store().resources.create(service("race", { n: 0 }), { actor: "alice" });
      const results = await Promise.allSettled([
        store().resources.update(service("race", { n: 1 }), { expectedVersion: 1, actor: "alice" }),
        store().resources.update(service("race", { n: 2 }), { expectedVersion: 1, actor: "bob" }),
      ]);
      expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(1);
      const rejected = results.filter((result) => result.status === "rejected");
      expect(rejected).toHaveLength(1);
      expect((rejected[0] as PromiseRejectedResult).reason).toBeInstanceOf(ConflictError);
      const history = await store().resources.history({ kind: "Service", mesh: "default", name: "race" });
      expect(history.map((revision) => revision.version)).toEqual([1, 2]);
    });

    it("queues a burst of 200 concurrent writes instead of failing them", async () => {
      const burst = Array.from({ length: 200 }, (_, n) =>
        store().resources.create(
          { kind: "Service", metadata: { name: `burst-${n}`, mesh: "burst" }, spec: { n } },
          { actor: "loadgen" },
        ),
      );
      const results = await Promise.allSettled(burst);
      expect(results.filter((result) => result.status === "rejected")).toEqual([]);
      expect(await store().resources.list({ mesh: "burst" })).toHaveLength(200);
    });

    it("keeps every revision with before and after, across delete and re-create", async () => {
      const key = { kind: "Service", mesh: "default", name: "ledger" };
      await store().resources.create(service("ledger", { v: 1 }), { actor: "alice" });
      await store().resources.update(service("ledger", { v: 2 }), { expectedVersion: 1, actor: "bob" });
      await store().resources.delete(key, { expectedVersion: 2, actor: "carol" });
      const recreated = await store().resources.create(service("ledger", { v: 4 }), { actor: "dave" });
      expect(recreated.metadata.resourceVersion).toBe(4);

      const history = await store().resources.history(key);
      expect(history.map(({ version, action, actor }) => ({ version, action, actor }))).toEqual([
        { version: 1, action: "create", actor: "alice" },
        { version: 2, action: "update", actor: "bob" },
        { version: 3, action: "delete", actor: "carol" },
        { version: 4, action: "create", actor: "dave" },
      ]);
      expect(history[0]?.before).toBeNull();
      expect(history[0]?.after?.spec).toEqual({ v: 1 });
      expect(history[1]?.before?.spec).toEqual({ v: 1 });
      expect(history[1]?.after?.spec).toEqual({ v: 2 });
      expect(history[2]?.before?.spec).toEqual({ v: 2 });
      expect(history[2]?.after).toBeNull();
      expect(history.every((revision) => revision.at instanceof Date)).toBe(true);
    });

    it("rolls back to an earlier revision as a new version, and re-creates deleted resources", async () => {
      const key = { kind: "Service", mesh: "default", name: "search" };
      await store().resources.create(service("search", { v: 1 }, { tier: "gold" }), { actor: "alice" });
      await store().resources.update(service("search", { v: 2 }), { expectedVersion: 1, actor: "alice" });

      const restored = await store().resources.rollback(key, { toVersion: 1, actor: "bob" });
      expect(restored.metadata.resourceVersion).toBe(3);
      expect(restored.spec).toEqual({ v: 1 });
      expect(restored.metadata.labels).toEqual({ tier: "gold" });

      const stale = store().resources.rollback(key, { toVersion: 2, actor: "bob", expectedVersion: 2 });
      await expect(stale).rejects.toThrow(/the current version is 3/);

      await store().resources.delete(key, { expectedVersion: 3, actor: "bob" });
      await expect(store().resources.rollback(key, { toVersion: 4, actor: "bob" })).rejects.toThrow(
        /Revision 4 .* deleted it: nothing to restore/,
      );
      await expect(store().resources.rollback(key, { toVersion: 99, actor: "bob" })).rejects.toBeInstanceOf(
        NotFoundError,
      );

      const revived = await store().resources.rollback(key, { toVersion: 2, actor: "carol" });
      expect(revived.metadata.resourceVersion).toBe(5);
      expect(revived.spec).toEqual({ v: 2 });
      const actions = (await store().resources.history(key)).map((revision) => revision.action);
      expect(actions).toEqual(["create", "update", "update", "delete", "create"]);
    });

    it("writes an audit row with the actor for every change", async () => {
      const key = { kind: "Service", mesh: "audit", name: "ledger" };
      const input = { kind: "Service", metadata: { name: "ledger", mesh: "audit" }, spec: { v: 1 } };
      await store().resources.create(input, { actor: "alice" });
      await store().resources.update({ ...input, spec: { v: 2 } }, { expectedVersion: 1, actor: "bob" });
      await store().resources.rollback(key, { toVersion: 1, actor: "carol" });
      await store().resources.delete(key, { expectedVersion: 3, actor: "dave" });
      await expect(store().resources.create(input, { actor: "erin" })).resolves.toBeDefined();
      await expect(store().resources.create(input, { actor: "mallory" })).rejects.toBeInstanceOf(
        ConflictError,
      );

      const rows = await store().auditLog.list({ mesh: "audit", name: "ledger" });
      expect(
        rows.map(({ actor, action, kind, detail }) => ({ actor, action, kind, version: detail.version })),
      ).toEqual([
        { actor: "erin", action: "create", kind: "Service", version: 5 },
        { actor: "dave", action: "delete", kind: "Service", version: 4 },
        { actor: "carol", action: "rollback", kind: "Service", version: 3 },
        { actor: "bob", action: "update", kind: "Service", version: 2 },
        { actor: "alice", action: "create", kind: "Service", version: 1 },
      ]);
      expect(rows[2]?.detail).toMatchObject({ toVersion: 1, namespace: "default" });
    });
  });
}
