import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

export const repoRoot = path.resolve(import.meta.dirname, "..", "..");
export const sourceSchemaPath = path.join(repoRoot, "prisma", "schema.prisma");
export const migrationsRoot = path.join(repoRoot, "prisma", "migrations");
export const generatedClientsRoot = path.join(repoRoot, "apps", "control-plane", "src", "store", "generated");

export const providers = ["sqlite", "postgresql"] as const;
export type Provider = (typeof providers)[number];

const placeholderUrls: Record<Provider, string> = {
  sqlite: "file:../.data/loom.db",
  postgresql: "postgresql://localhost/loom",
};

const datasourcePattern = /datasource db \{[^}]*\}/;
const generatorPattern = /generator client \{[^}]*\}/;

function datasourceBlock(provider: Provider): string {
  return `datasource db {\n  provider = "${provider}"\n  url      = "${placeholderUrls[provider]}"\n}`;
}

function replaceBlock(schema: string, pattern: RegExp, replacement: string): string {
  if (!pattern.test(schema)) throw new Error(`prisma/schema.prisma has no block matching ${pattern}`);
  return schema.replace(pattern, replacement);
}

export async function readSourceSchema(): Promise<string> {
  return readFile(sourceSchemaPath, "utf8");
}

/** The source schema for `provider`, with the client generated into generated/<provider>. */
export function clientSchemaFor(source: string, provider: Provider): string {
  const output = path.join(generatedClientsRoot, provider);
  const withDatasource = replaceBlock(source, datasourcePattern, datasourceBlock(provider));
  return withDatasource.replace(/^(\s*output\s*=\s*)"[^"]*"/m, `$1${JSON.stringify(output)}`);
}

/**
 * The source schema for `provider` without a generator: the snapshot kept beside each migration, which
 * the next migration is diffed against.
 */
export function migrationSchemaFor(source: string, provider: Provider): string {
  const header = `// Snapshot of prisma/schema.prisma for ${provider}, written by scripts/db-new-migration.ts.\n`;
  const withDatasource = replaceBlock(source, datasourcePattern, datasourceBlock(provider));
  return header + replaceBlock(withDatasource, generatorPattern, "").replace(/\n{3,}/g, "\n\n");
}

/** A schema with no models, the starting point of the first migration. */
export function emptySchemaFor(provider: Provider): string {
  return `${datasourceBlock(provider)}\n`;
}

/** Writes `schemas` into a fresh temp directory, runs `use` with their paths, then removes the directory. */
export async function withTempSchemas<Name extends string, T>(
  schemas: Record<Name, string>,
  use: (paths: Record<Name, string>, dir: string) => Promise<T>,
): Promise<T> {
  const dir = await mkdtemp(path.join(tmpdir(), "loom-prisma-"));
  try {
    const paths = {} as Record<Name, string>;
    for (const name of Object.keys(schemas) as Name[]) {
      paths[name] = path.join(dir, `${name}.prisma`);
      await writeFile(paths[name], schemas[name]);
    }
    return await use(paths, dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Runs the Prisma CLI from the repo root (so prisma.config.ts selects the JS schema engine) and
 * returns its stdout. The CLI's SQLite adapter gets a throwaway data dir: nothing here needs a database.
 */
export async function runPrisma(args: string[], scratchDir: string): Promise<string> {
  const cli = path.join(repoRoot, "node_modules", "prisma", "build", "index.js");
  const child = spawn(process.execPath, [cli, ...args], {
    cwd: repoRoot,
    env: {
      ...process.env,
      LOOM_DATA_DIR: scratchDir,
      CHECKPOINT_DISABLE: "1",
      PRISMA_HIDE_UPDATE_MESSAGE: "1",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exitCode = await new Promise<number | null>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", resolve);
  });
  if (exitCode !== 0) {
    throw new Error(`prisma ${args.join(" ")} exited with ${exitCode}:\n${stderr}${stdout}`);
  }
  return stdout;
}
