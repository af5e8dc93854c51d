import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaPg } from "@prisma/adapter-pg";
import type { DatabaseTarget } from "./database-target.ts";
import { PrismaClient as PostgresPrismaClient } from "./generated/postgresql/client.ts";
import { type Prisma, PrismaClient } from "./generated/sqlite/client.ts";

// Both clients are generated from the same models (the PostgreSQL one from a schema derived by
// scripts/db-generate.ts), so their query APIs are the same: the SQLite client's types stand for both.
export type StoreClient = PrismaClient;
export type StoreTransaction = Prisma.TransactionClient;

export function createPrismaClient(target: DatabaseTarget): StoreClient {
  if (target.provider === "sqlite") {
    return new PrismaClient({ adapter: new PrismaBetterSQLite3({ url: `file:${target.file}` }) });
  }
  const client = new PostgresPrismaClient({ adapter: new PrismaPg({ connectionString: target.url }) });
  return client as unknown as StoreClient;
}
