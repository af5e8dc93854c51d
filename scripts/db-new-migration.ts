// Writes the next migration for both providers from the change to prisma/schema.prisma:
//   npx tsx scripts/db-new-migration.ts <name>        (or: npm run db:migration -- <name>)
// For each provider, OLD is the schema snapshot kept beside the previous migration (empty for the
// first) and NEW is prisma/schema.prisma rewritten for that provider; `prisma migrate diff` turns the
// difference into SQL without a database. Each new folder gets migration.sql and schema.prisma.
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import {
  emptySchemaFor,
  migrationSchemaFor,
  migrationsRoot,
  type Provider,
  providers,
  readSourceSchema,
  runPrisma,
  withTempSchemas,
} from "./lib/prisma-schema.ts";

const migrationFolderPattern = /^(\d{4})_[a-z0-9_]+$/;
const emptyMigrationMarker = "-- This is an empty migration.";

async function migrationFolders(provider: Provider): Promise<string[]> {
  const dir = path.join(migrationsRoot, provider);
  if (!existsSync(dir)) return [];
  const entries = await readdir(dir, { withFileTypes: true });
  return entries
    .filter((entry) => entry.isDirectory() && migrationFolderPattern.test(entry.name))
    .map((entry) => entry.name)
    .sort();
}

async function previousSnapshot(provider: Provider, folders: string[]): Promise<string> {
  const last = folders.at(-1);
  if (last === undefined) return emptySchemaFor(provider);
  return readFile(path.join(migrationsRoot, provider, last, "schema.prisma"), "utf8");
}

async function diffSql(provider: Provider, oldSchema: string, newSchema: string): Promise<string> {
  return withTempSchemas({ old: oldSchema, new: newSchema }, (paths, scratchDir) =>
    runPrisma(
      [
        "migrate",
        "diff",
        "--from-schema-datamodel",
        paths.old,
        "--to-schema-datamodel",
        paths.new,
        "--script",
      ],
      scratchDir,
    ),
  ).then((sql) => {
    if (!sql.trim()) throw new Error(`prisma migrate diff printed no SQL for ${provider}`);
    return sql;
  });
}

const name = process.argv[2];
if (!name || !/^[a-z0-9_]+$/.test(name)) {
  console.error("usage: tsx scripts/db-new-migration.ts <name>   (lowercase letters, digits, underscores)");
  process.exit(2);
}

const foldersByProvider = await Promise.all(providers.map(migrationFolders));
const [sqliteFolders = [], ...otherFolders] = foldersByProvider;
if (otherFolders.some((folders) => folders.join() !== sqliteFolders.join())) {
  throw new Error(`prisma/migrations/{${providers.join(",")}} list different migrations; fix that first`);
}
const nextNumber = String(sqliteFolders.length + 1).padStart(4, "0");
const folderName = `${nextNumber}_${name}`;

const source = await readSourceSchema();
const plans = await Promise.all(
  providers.map(async (provider) => {
    const newSchema = migrationSchemaFor(source, provider);
    const sql = await diffSql(provider, await previousSnapshot(provider, sqliteFolders), newSchema);
    return { provider, newSchema, sql };
  }),
);

if (plans.every((plan) => plan.sql.includes(emptyMigrationMarker))) {
  console.log("prisma/schema.prisma matches the last migration: nothing to write.");
  process.exit(0);
}

for (const { provider, newSchema, sql } of plans) {
  const dir = path.join(migrationsRoot, provider, folderName);
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, "migration.sql"), sql);
  await writeFile(path.join(dir, "schema.prisma"), newSchema);
  console.log(`wrote ${path.relative(process.cwd(), dir)}/{migration.sql,schema.prisma}`);
}
