import { Umzug } from "umzug";
import type { MigrationFile } from "./migration-files.ts";

/** One connection that already holds the migration lock; both providers implement it. */
export interface LockedMigrationSession {
  executeScript(sql: string): Promise<void>;
  appliedNames(): Promise<string[]>;
  recordApplied(name: string): Promise<void>;
}

export const migrationsTable = "_loom_migrations";

/** Applies the migrations the session has not recorded yet and returns their names. */
export async function applyPendingMigrations(
  session: LockedMigrationSession,
  migrations: MigrationFile[],
): Promise<string[]> {
  const known = new Set(migrations.map((migration) => migration.name));
  const unknown = (await session.appliedNames()).filter((name) => !known.has(name));
  if (unknown.length > 0) {
    // The database was migrated by a newer build; writing to it with this one could corrupt it.
    throw new Error(`The database has migrations this build does not know: ${unknown.join(", ")}`);
  }
  const umzug = new Umzug({
    migrations: migrations.map((migration) => ({
      name: migration.name,
      up: () => session.executeScript(migration.sql),
    })),
    storage: {
      executed: () => session.appliedNames(),
      logMigration: ({ name }) => session.recordApplied(name),
      unlogMigration: () => Promise.reject(new Error("Loom migrations are forward-only")),
    },
    logger: undefined,
  });
  const applied = await umzug.up();
  return applied.map((migration) => migration.name);
}
