import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll } from "vitest";
import { openStore, type Store } from "../../src/store/index.ts";

export const postgresAdminUrl =
  process.env.LOOM_TEST_PG_URL ?? "postgres://postgres:postgres@127.0.0.1:5432/postgres";

async function postgresAnswers(): Promise<boolean> {
  const client = new pg.Client({ connectionString: postgresAdminUrl, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

// Without PostgreSQL the suites for it are skipped on a laptop, but in CI they run and fail.
const skipPostgres = process.env.CI !== "true" && !(await postgresAnswers());

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

async function createSqliteDatabase(): Promise<TestDatabase> {
  const dir = await mkdtemp(path.join(tmpdir(), "loom-store-test-"));
  return { url: `file:${path.join(dir, "loom.db")}`, drop: () => rm(dir, { recursive: true, force: true }) };
}

async function withAdminClient<T>(use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: postgresAdminUrl });
  await client.connect().catch((error: Error) => {
    throw new Error(
      `PostgreSQL at LOOM_TEST_PG_URL (${new URL(postgresAdminUrl).host}) does not answer: ${error.message}. Start it with .ci/start-postgres.sh`,
    );
  });
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

async function createPostgresDatabase(): Promise<TestDatabase> {
  const name = `loom_test_${randomUUID().replaceAll("-", "")}`;
  await withAdminClient((client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(postgresAdminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () =>
      withAdminClient((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(
        () => {},
      ),
  };
}

export const testProviders = [
  { provider: "sqlite", skip: false, createDatabase: createSqliteDatabase },
  { provider: "postgresql", skip: skipPostgres, createDatabase: createPostgresDatabase },
] as const;

/**
 * A store on a fresh database of the suite's provider, opened before its tests and dropped after them; call it
 * in a describe block, and the returned function inside tests.
 */
export function storeOnFreshDatabase(createDatabase: () => Promise<TestDatabase>): () => Store {
  let database: TestDatabase | undefined;
  let store: Store | undefined;
  beforeAll(async () => {
    database = await createDatabase();
    store = await openStore({ databaseUrl: database.url });
  });
  afterAll(async () => {
    await store?.close();
    await database?.drop();
  });
  return () => {
    if (!store) throw new Error("the test store is opened in beforeAll: use it inside tests");
    return store;
  };
}
