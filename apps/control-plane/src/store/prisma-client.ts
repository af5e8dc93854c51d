import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaPg } from "@prisma/adapter-pg";
import type { DatabaseTarget } from "./database-target.ts";
import { PrismaClient as PostgresPrismaClient } from "./generated/postgresql/client.ts";
import { type Prisma, PrismaClient } from "./generated/sqlite/client.ts";

// Both clients are generated from the same models (the PostgreSQL one from a schema derived by
// scripts/db-generate.ts), so their query APIs are the same: the SQLite client's types stand for both.
export type StoreClient = PrismaClient;
export type StoreTransaction = Prisma.TransactionClient;

// Prisma's defaults (wait 2 s for a connection, 5 s per transaction) fail writes in bursts, such as
// hundreds of proxies acknowledging a snapshot at once; queueing a little longer is the better answer.
const transactionOptions = { maxWait: 20_000, timeout: 20_000 };

export function createPrismaClient(target: DatabaseTarget): StoreClient {
  if (target.provider === "sqlite") {
    const adapter = new PrismaBetterSQLite3({ url: `file:${target.file}` });
    return new PrismaClient({ adapter, transactionOptions });
  }
  const adapter = new PrismaPg({ connectionString: target.url });
  return new PostgresPrismaClient({ adapter, transactionOptions }) as unknown as StoreClient;
}
