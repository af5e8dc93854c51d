import { mkdirSync } from "node:fs";
import path from "node:path";
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { defineConfig } from "prisma/config";

// The JS schema engine with a driver adapter: `prisma generate` and `prisma migrate diff` run without
// downloading any engine binary. Migrations are applied by the store's own runner, not by Prisma; the
// adapter points at the embedded database so tools such as `prisma studio` can open it.
const dataDir = process.env.LOOM_DATA_DIR ?? path.join(import.meta.dirname, ".data");

export default defineConfig({
  schema: path.join(import.meta.dirname, "prisma", "schema.prisma"),
  experimental: { adapter: true },
  engine: "js",
  adapter: async () => {
    mkdirSync(dataDir, { recursive: true });
    return new PrismaBetterSQLite3({ url: `file:${path.join(dataDir, "loom.db")}` });
  },
});
