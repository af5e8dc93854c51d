import { mkdirSync } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import Database from "better-sqlite3";
import { applyPendingMigrations, type LockedMigrationSession, migrationsTable } from "./apply-pending.ts";
import { readMigrationFiles } from "./migration-files.ts";

const lockWaitLimitMs = 60_000;

function isBusy(error: unknown): boolean {
  const code = typeof error === "object" && error !== null && "code" in error ? String(error.code) : "";
  return code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED");
}

/**
 * Retries `attempt` while another connection holds the database. The connection has no busy timeout:
 * better-sqlite3 would wait synchronously, freezing the event loop and with it a migration that
 * another store in this same process has half done.
 */
async function whenNotBusy<T>(attempt: () => T): Promise<T> {
  const deadline = Date.now() + lockWaitLimitMs;
  for (let delayMs = 5; ; delayMs = Math.min(delayMs * 2, 100)) {
    try {
      return attempt();
    } catch (error) {
      if (!isBusy(error) || Date.now() > deadline) throw error;
      await sleep(delayMs);
    }
  }
}

function sessionFor(db: Database.Database): LockedMigrationSession {
  return {
    executeScript: async (sql) => {
      db.exec(sql);
    },
    appliedNames: async () =>
      db
        .prepare<[], { migration: string }>(`SELECT migration FROM ${migrationsTable} ORDER BY migration`)
        .all()
        .map((row) => row.migration),
    recordApplied: async (name) => {
      db.prepare(`INSERT INTO ${migrationsTable} (migration, applied_at) VALUES (?, ?)`).run(
        name,
        new Date().toISOString(),
      );
    },
  };
}

/**
 * Applies pending migrations to the SQLite file inside one BEGIN IMMEDIATE transaction: the write
 * lock keeps concurrent starters out until COMMIT, and a failed migration leaves nothing behind.
 */
export async function migrateSqlite(file: string): Promise<string[]> {
  const migrations = await readMigrationFiles("sqlite");
  mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file, { timeout: 0 });
  try {
    await whenNotBusy(() => db.pragma("journal_mode = WAL"));
    await whenNotBusy(() => db.exec("BEGIN IMMEDIATE"));
    try {
      db.exec(
        `CREATE TABLE IF NOT EXISTS ${migrationsTable} (migration TEXT PRIMARY KEY, applied_at TEXT NOT NULL)`,
      );
      const applied = await applyPendingMigrations(sessionFor(db), migrations);
      db.exec("COMMIT");
      return applied;
    } catch (error) {
      if (db.inTransaction) db.exec("ROLLBACK");
      throw error;
    }
  } finally {
    db.close();
  }
}
