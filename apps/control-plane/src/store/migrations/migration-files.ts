import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { repoRoot, type StoreProvider } from "../database-target.ts";

export interface MigrationFile {
  name: string;
  sql: string;
}

const migrationFolderPattern = /^\d{4}_[a-z0-9_]+$/;

/** The committed migrations for `provider` (prisma/migrations/<provider>/NNNN_name/migration.sql), in order. */
export async function readMigrationFiles(provider: StoreProvider): Promise<MigrationFile[]> {
  const dir = path.join(repoRoot, "prisma", "migrations", provider);
  const entries = await readdir(dir, { withFileTypes: true });
  const names = entries
    .filter((entry) => entry.isDirectory() && migrationFolderPattern.test(entry.name))
    .map((entry) => entry.name)
    .sort();
  return Promise.all(
    names.map(async (name) => ({ name, sql: await readFile(path.join(dir, name, "migration.sql"), "utf8") })),
  );
}
