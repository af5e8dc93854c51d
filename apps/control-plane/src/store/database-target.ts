import path from "node:path";

export type StoreProvider = "sqlite" | "postgresql";

export type DatabaseTarget = { provider: "sqlite"; file: string } | { provider: "postgresql"; url: string };

export const repoRoot = path.resolve(import.meta.dirname, "..", "..", "..", "..");

/** Where the embedded databases live: LOOM_DATA_DIR, or `.data` under the repo root. */
export function dataDir(): string {
  return path.resolve(process.env.LOOM_DATA_DIR ?? path.join(repoRoot, ".data"));
}

/**
 * Where the store lives: `postgres://` or `postgresql://` selects PostgreSQL, `file:<path>` a SQLite
 * file, and nothing at all the embedded default `.data/loom.db` (under LOOM_DATA_DIR when set).
 */
export function resolveDatabaseTarget(databaseUrl: string | undefined): DatabaseTarget {
  if (!databaseUrl) return { provider: "sqlite", file: path.join(dataDir(), "loom.db") };
  if (/^postgres(ql)?:\/\//.test(databaseUrl)) return { provider: "postgresql", url: databaseUrl };
  if (databaseUrl.startsWith("file:"))
    return { provider: "sqlite", file: path.resolve(databaseUrl.slice(5)) };
  throw new Error(
    `Unsupported database URL "${databaseUrl.replace(/\/\/[^@]*@/, "//…@")}": use postgres://…, postgresql://… or file:<path>`,
  );
}
