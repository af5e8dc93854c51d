import { execFile } from "node:child_process";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import Database from "better-sqlite3";
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import {
  migrationSchemaFor,
  migrationsRoot,
  providers,
  readSourceSchema,
  repoRoot,
} from "../../../../scripts/lib/prisma-schema.ts";
import { openStore, type Store } from "../../src/store/index.ts";
import { type TestDatabase, testProviders } from "./test-databases.ts";

const runFile = promisify(execFile);

async function committedMigrationNames(provider: string): Promise<string[]> {
  return (await readdir(path.join(migrationsRoot, provider))).sort();
}

async function appliedRows(store: Store): Promise<string[]> {
  const rows = await store.prisma.$queryRawUnsafe<{ migration: string }[]>(
    "SELECT migration FROM _loom_migrations ORDER BY migration",
  );
  return rows.map((row) => row.migration);
}

/** Table names of the store's schema; PostgreSQL's catalog columns are of type `name`, cast to text. */
async function tableNames(store: Store): Promise<string[]> {
  const sql =
    store.provider === "sqlite"
      ? "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
      : "SELECT table_name::text AS name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY name";
  const rows = await store.prisma.$queryRawUnsafe<{ name: string }[]>(sql);
  return rows.map((row) => row.name);
}

/** Takes the lock the migration runner uses, the way another replica in the middle of migrating would. */
async function holdMigrationLock(url: string): Promise<{ release(): Promise<void> }> {
  if (url.startsWith("file:")) {
    const db = new Database(url.slice("file:".length));
    // In WAL mode, as the runner leaves the file, only the write lock keeps other starters out.
    db.pragma("journal_mode = WAL");
    db.exec("BEGIN IMMEDIATE");
    return {
      release: async () => {
        db.exec("ROLLBACK");
        db.close();
      },
    };
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query("SELECT pg_advisory_lock(hashtext('loom.migrations'))");
  return { release: () => client.end() };
}

describe("committed migrations", () => {
  it("list the same migrations for every provider", async () => {
    const [sqlite, postgresql] = await Promise.all(providers.map(committedMigrationNames));
    expect(sqlite?.length).toBeGreaterThan(0);
    expect(postgresql).toEqual(sqlite);
  });

  it("are up to date with prisma/schema.prisma (run `npm run db:migration -- <name>` after changing it)", async () => {
    const source = await readSourceSchema();
    for (const provider of providers) {
      const latest = (await committedMigrationNames(provider)).at(-1) ?? "";
      const snapshot = await readFile(path.join(migrationsRoot, provider, latest, "schema.prisma"), "utf8");
      expect(snapshot, `${provider} snapshot of ${latest}`).toBe(migrationSchemaFor(source, provider));
    }
  });
});

for (const { provider, skip, createDatabase } of testProviders) {
  describe.skipIf(skip)(`migrations on ${provider}`, () => {
    const opened: Store[] = [];
    let database: TestDatabase | undefined;

    async function open(url: string): Promise<Store> {
      const store = await openStore({ databaseUrl: url });
      opened.push(store);
      return store;
    }

    afterEach(async () => {
      await Promise.all(opened.splice(0).map((store) => store.close()));
      await database?.drop();
    });

    it("apply each migration once when several stores open a fresh database together", async () => {
      database = await createDatabase();
      const expected = await committedMigrationNames(provider);
      const url = database.url;

      const stores = await Promise.all([open(url), open(url), open(url), open(url)]);

      expect(stores.flatMap((store) => store.appliedMigrations).sort()).toEqual(expected);
      expect(stores.filter((store) => store.appliedMigrations.length > 0)).toHaveLength(1);
      expect(await appliedRows(stores[0] as Store)).toEqual(expected);
      expect(await tableNames(stores[0] as Store)).toEqual(
        expect.arrayContaining(["Resource", "ResourceRevision", "AuditLog", "Dataplane", "_loom_migrations"]),
      );
      expect((await open(url)).appliedMigrations).toEqual([]);
    });

    it("apply each migration once when two replica processes start together", async () => {
      database = await createDatabase();
      const fixture = path.join(import.meta.dirname, "fixtures", "open-store-once.ts");
      const startAt = String(Date.now() + 3_000);
      const startReplica = () =>
        runFile(process.execPath, ["--import", "tsx", fixture, database?.url ?? "", startAt], {
          cwd: repoRoot,
        });

      const outputs = await Promise.all([startReplica(), startReplica()]);

      const applied = outputs.map(({ stdout }) => JSON.parse(stdout) as string[]);
      expect(applied.flat().sort()).toEqual(await committedMigrationNames(provider));
      expect(applied.filter((names) => names.length > 0)).toHaveLength(1);
      expect(await appliedRows(await open(database.url))).toEqual(await committedMigrationNames(provider));
    });

    it("wait for a migration lock held elsewhere, then apply each migration once", async () => {
      database = await createDatabase();
      const lock = await holdMigrationLock(database.url);
      let settled = 0;
      const opening = [open(database.url), open(database.url)].map((promise) =>
        promise.finally(() => {
          settled += 1;
        }),
      );

      await sleep(300);
      expect(settled).toBe(0);
      await lock.release();

      const stores = await Promise.all(opening);
      expect(stores.flatMap((store) => store.appliedMigrations).sort()).toEqual(
        await committedMigrationNames(provider),
      );
    });

    it("refuse a database migrated by a newer build", async () => {
      database = await createDatabase();
      const store = await open(database.url);
      await store.prisma.$executeRawUnsafe(
        "INSERT INTO _loom_migrations (migration, applied_at) VALUES ('9999_from_the_future', CURRENT_TIMESTAMP)",
      );

      await expect(openStore({ databaseUrl: database.url })).rejects.toThrow(
        /migrations this build does not know: 9999_from_the_future/,
      );
    });
  });
}
