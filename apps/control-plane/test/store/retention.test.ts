import { describe, expect, it } from "vitest";
import { pruneStore, storeRetentionFromEnv } from "../../src/store-retention.ts";
import { storeOnFreshDatabase, testProviders } from "./test-databases.ts";

const DAY_MS = 86_400_000;

describe("store retention settings", () => {
  it("defaults to 90 days of audit and 7 days past a certificate's expiry", () => {
    expect(storeRetentionFromEnv({})).toEqual({ auditDays: 90, expiredCertificateDays: 7 });
    expect(
      storeRetentionFromEnv({ LOOM_AUDIT_RETENTION_DAYS: "365", LOOM_CERTIFICATE_RETENTION_DAYS: "" }),
    ).toEqual({ auditDays: 365, expiredCertificateDays: 7 });
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

      const deleted = await pruneStore(store(), { auditDays: 90, expiredCertificateDays: 7 }, now);

      expect(deleted).toEqual({ auditEntries: 2, certificates: 2 });
      expect((await store().auditLog.list({ kind: "Timeout" })).map((entry) => entry.name)).toEqual([
        "today",
        "recent",
      ]);
      expect((await store().certificates.list()).map((certificate) => certificate.serial)).toEqual([
        "expired-6-days",
        "valid",
      ]);
      expect(await pruneStore(store(), { auditDays: 90, expiredCertificateDays: 7 }, now)).toEqual({
        auditEntries: 0,
        certificates: 0,
      });
    });
  });
}
