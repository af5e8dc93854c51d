import pg from "pg";
import { applyPendingMigrations, type LockedMigrationSession, migrationsTable } from "./apply-pending.ts";
import { readMigrationFiles } from "./migration-files.ts";

function sessionFor(client: pg.Client): LockedMigrationSession {
  return {
    executeScript: async (sql) => {
      await client.query(sql);
    },
    appliedNames: async () => {
      const result = await client.query<{ migration: string }>(
        `SELECT migration FROM ${migrationsTable} ORDER BY migration`,
      );
      return result.rows.map((row) => row.migration);
    },
    recordApplied: async (name) => {
      await client.query(`INSERT INTO ${migrationsTable} (migration) VALUES ($1)`, [name]);
    },
  };
}

/**
 * Applies pending migrations in one transaction that first takes a transaction-scoped advisory lock:
 * replicas starting together queue on the lock, and the one that gets it second finds the migrations
 * recorded. PostgreSQL DDL is transactional, so a failed migration leaves nothing behind, and COMMIT
 * or ROLLBACK always releases the lock.
 */
export async function migratePostgres(url: string): Promise<string[]> {
  const migrations = await readMigrationFiles("postgresql");
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query("BEGIN");
    try {
      await client.query("SELECT pg_advisory_xact_lock(hashtext('loom.migrations'))");
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${migrationsTable} (migration TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`,
      );
      const applied = await applyPendingMigrations(sessionFor(client), migrations);
      await client.query("COMMIT");
      return applied;
    } catch (error) {
      await client.query("ROLLBACK");
      throw error;
    }
  } finally {
    await client.end();
  }
}
