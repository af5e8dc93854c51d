import { describe, expect, it } from "vitest";
import { NotFoundError, type ResourceInput } from "../../src/store/index.ts";
import { pruneStore, type StoreRetention, storeRetentionFromEnv } from "../../src/store-retention.ts";
import { storeOnFreshDatabase, testProviders } from "./test-databases.ts";

const DAY_MS = 86_400_000;
const KEEP_ALL_REVISIONS = 1_000;

function service(name: string, port: number): ResourceInput {
  return { kind: "Service", metadata: { name, mesh: "default" }, spec: { ports: [{ port }] } };
}

describe("store retention settings", () => {
  it("defaults to 90 days of audit, 7 days past a certificate's expiry and 100 revisions per resource", () => {
    expect(storeRetentionFromEnv({})).toEqual({
      auditDays: 90,
      expiredCertificateDays: 7,
      revisionsPerResource: 100,
    });
    expect(
      storeRetentionFromEnv({
        LOOM_AUDIT_RETENTION_DAYS: "365",
        LOOM_CERTIFICATE_RETENTION_DAYS: "",
        LOOM_REVISIONS_PER_RESOURCE: "2.5",
      }),
    ).toEqual({ auditDays: 365, expiredCertificateDays: 7, revisionsPerResource: 3 });
  });

  it("refuses a value that is not a positive number, naming the variable", () => {
    for (const bad of ["ninety", "0", "-3", "Infinity"])
      expect(() => storeRetentionFromEnv({ LOOM_AUDIT_RETENTION_DAYS: bad })).toThrow(
        `LOOM_AUDIT_RETENTION_DAYS must be a positive number, got "${bad}"`,
      );
  });
});

for (const { provider, skip, createDatabase } of testProviders) {
  describe.skipIf(skip)(`store retention on ${provider}`, () => {
    const store = storeOnFreshDatabase(createDatabase);

    it("deletes audit entries and expired certificates past their retention, and nothing newer", async () => {
      const now = Date.now();
      const ago = (days: number) => new Date(now - days * DAY_MS);
      for (const [name, days] of [
        ["ancient", 400],
        ["old", 91],
        ["recent", 89],
        ["today", 0],
      ] as const)
        await store().prisma.auditLog.create({
          data: {
            at: ago(days),
            actor: "admin",
            action: "create",
            kind: "Timeout",
            name,
            mesh: "default",
            detail: "{}",
          },
        });
      for (const [serial, expiredDaysAgo] of [
        ["expired-long-ago", 30],
        ["expired-8-days", 8],
        ["expired-6-days", 6],
        ["valid", -1],
      ] as const)
        await store().certificates.record({
          serial,
          identity: "spiffe://loom.local/ns/default/sa/web",
          notBefore: ago(expiredDaysAgo + 1),
          notAfter: ago(expiredDaysAgo),
        });

      const retention = {
        auditDays: 90,
        expiredCertificateDays: 7,
        revisionsPerResource: KEEP_ALL_REVISIONS,
      };
      const deleted = await pruneStore(store(), retention, now);

      expect(deleted).toEqual({ auditEntries: 2, certificates: 2, revisions: 0 });
      expect((await store().auditLog.list({ kind: "Timeout" })).map((entry) => entry.name)).toEqual([
        "today",
        "recent",
      ]);
      expect((await store().certificates.list()).map((certificate) => certificate.serial)).toEqual([
        "expired-6-days",
        "valid",
      ]);
      expect(await pruneStore(store(), retention, now)).toEqual({
        auditEntries: 0,
        certificates: 0,
        revisions: 0,
      });
    });

    it("keeps each resource's newest revisions, across a delete, and rolls back only to those", async () => {
      const resources = store().resources;
      const written = await resources.create(service("cart", 8000), { actor: "alice" });
      let version = written.metadata.resourceVersion;
      for (const port of [8001, 8002, 8003, 8004])
        version = (
          await resources.update(service("cart", port), { expectedVersion: version, actor: "alice" })
        ).metadata.resourceVersion;
      await resources.create(service("web", 9000), { actor: "alice" });
      await resources.create(service("gone", 7000), { actor: "alice" });
      await resources.delete(
        { kind: "Service", mesh: "default", name: "gone" },
        { expectedVersion: 1, actor: "alice" },
      );
      const retention: StoreRetention = { auditDays: 90, expiredCertificateDays: 7, revisionsPerResource: 2 };

      expect(await pruneStore(store(), retention)).toEqual({
        auditEntries: 0,
        certificates: 0,
        revisions: 3,
      });

      const versions = async (name: string) =>
        (await resources.history({ kind: "Service", mesh: "default", name })).map(
          (revision) => revision.version,
        );
      expect(await versions("cart")).toEqual([4, 5]);
      expect(await versions("web")).toEqual([1]);
      expect(await versions("gone")).toEqual([1, 2]);
      const cart = { kind: "Service", mesh: "default", name: "cart" } as const;
      await expect(resources.rollback(cart, { toVersion: 2, actor: "alice" })).rejects.toThrow(NotFoundError);
      const restored = await resources.rollback(cart, { toVersion: 4, actor: "alice" });
      expect(restored.spec).toEqual({ ports: [{ port: 8003 }] });
      expect((await pruneStore(store(), retention)).revisions).toBe(1);
    });
  });
}
