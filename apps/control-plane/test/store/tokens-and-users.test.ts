import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { ConflictError, NotFoundError, type Store } from "../../src/store/index.ts";
import { storeOnFreshDatabase, testProviders } from "./test-databases.ts";

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

async function rawRows(store: Store, table: string): Promise<string> {
  return JSON.stringify(await store.prisma.$queryRawUnsafe(`SELECT * FROM "${table}"`), (_key, value) =>
    typeof value === "bigint" ? value.toString() : value,
  );
}

for (const { provider, skip, createDatabase } of testProviders) {
  describe.skipIf(skip)(`tokens and users on ${provider}`, () => {
    const store = storeOnFreshDatabase(createDatabase);

    it("stores API tokens only as SHA-256 hashes and returns the plaintext once", async () => {
      const { token, record } = await store().apiTokens.issue(
        { name: "ci", role: "editor" },
        { actor: "admin" },
      );
      expect(token).toMatch(/^loom_api_[A-Za-z0-9_-]{43}$/);
      expect(record).toMatchObject({ name: "ci", role: "editor", revokedAt: null });
      expect(record).not.toHaveProperty("tokenHash");

      const rows = await rawRows(store(), "ApiToken");
      expect(rows).toContain(sha256(token));
      expect(rows).not.toContain(token);
      expect(JSON.stringify(await store().apiTokens.list())).not.toContain(sha256(token));

      expect(await store().apiTokens.verify(token)).toEqual(record);
      expect(await store().apiTokens.verify(`${token}x`)).toBeNull();
    });

    it("revokes API tokens, idempotently", async () => {
      const { token, record } = await store().apiTokens.issue(
        { name: "laptop", role: "viewer" },
        { actor: "admin" },
      );
      const revoked = await store().apiTokens.revoke(record.id, { actor: "admin" });
      expect(revoked.revokedAt).toBeInstanceOf(Date);
      expect(await store().apiTokens.verify(token)).toBeNull();
      const again = await store().apiTokens.revoke(record.id, { actor: "admin" });
      expect(again.revokedAt).toEqual(revoked.revokedAt);
      await expect(store().apiTokens.revoke(999_999, { actor: "admin" })).rejects.toBeInstanceOf(
        NotFoundError,
      );
    });

    it("scopes dataplane tokens to one service, hashed, and revokes them", async () => {
      const { token, record } = await store().dataplaneTokens.issue(
        { mesh: "default", service: "cart" },
        { actor: "admin" },
      );
      expect(token).toMatch(/^loom_dp_/);
      expect(await store().dataplaneTokens.verify(token)).toMatchObject({
        mesh: "default",
        namespace: "default",
        service: "cart",
      });
      const rows = await rawRows(store(), "DataplaneToken");
      expect(rows).toContain(sha256(token));
      expect(rows).not.toContain(token);

      await store().dataplaneTokens.revoke(record.id, { actor: "admin" });
      expect(await store().dataplaneTokens.verify(token)).toBeNull();
      expect(await store().dataplaneTokens.list({ service: "cart" })).toHaveLength(1);
    });

    it("audits token issue and revocation", async () => {
      const { record } = await store().dataplaneTokens.issue(
        { mesh: "m2", service: "web" },
        { actor: "ops" },
      );
      await store().dataplaneTokens.revoke(record.id, { actor: "sec" });
      const rows = await store().auditLog.list({ kind: "DataplaneToken", mesh: "m2" });
      expect(rows.map(({ actor, action, name }) => ({ actor, action, name }))).toEqual([
        { actor: "sec", action: "revoke", name: "web" },
        { actor: "ops", action: "issue", name: "web" },
      ]);
      const apiRows = await store().auditLog.list({ kind: "ApiToken", name: "ci" });
      expect(apiRows.map((row) => row.action)).toEqual(["issue"]);
    });

    it("hashes passwords with scrypt and authenticates users", async () => {
      const user = await store().users.create(
        { username: "alice", password: "correct horse", role: "admin" },
        { actor: "setup" },
      );
      expect(user).toMatchObject({ username: "alice", role: "admin" });
      expect(user).not.toHaveProperty("passwordHash");
      const rows = await rawRows(store(), "User");
      expect(rows).not.toContain("correct horse");
      expect(rows).toMatch(/scrypt\$32768\$8\$3\$/);

      expect(await store().users.authenticate("alice", "correct horse")).toEqual(user);
      expect(await store().users.authenticate("alice", "wrong")).toBeNull();
      expect(await store().users.authenticate("nobody", "correct horse")).toBeNull();

      await expect(
        store().users.create({ username: "alice", password: "x", role: "viewer" }, { actor: "setup" }),
      ).rejects.toBeInstanceOf(ConflictError);
    });

    it("changes passwords and roles, deletes users with their tokens, and audits each step", async () => {
      const bob = await store().users.create(
        { username: "bob", password: "one", role: "viewer" },
        { actor: "alice" },
      );
      const { token } = await store().apiTokens.issue(
        { name: "bob-cli", role: "viewer", userId: bob.id },
        { actor: "bob" },
      );
      await store().users.setPassword("bob", "two", { actor: "alice" });
      expect(await store().users.authenticate("bob", "one")).toBeNull();
      expect(await store().users.authenticate("bob", "two")).not.toBeNull();
      await store().users.setRole("bob", "editor", { actor: "alice" });
      expect((await store().users.get("bob"))?.role).toBe("editor");

      await store().users.delete("bob", { actor: "alice" });
      expect(await store().users.get("bob")).toBeNull();
      expect(await store().apiTokens.verify(token)).toBeNull();
      await expect(store().users.setRole("bob", "admin", { actor: "alice" })).rejects.toBeInstanceOf(
        NotFoundError,
      );

      const audit = await store().auditLog.list({ kind: "User", name: "bob" });
      expect(audit.map(({ actor, action }) => `${actor}:${action}`)).toEqual([
        "alice:delete",
        "alice:set-role",
        "alice:set-password",
        "alice:create",
      ]);
    });
  });
}
