// Generates the Prisma clients (SQLite and PostgreSQL) from the one schema, prisma/schema.prisma.
// Runs on `npm install` (root postinstall) because the generated folder is not committed.
import { clientSchemaFor, readSourceSchema, runPrisma, withTempSchemas } from "./lib/prisma-schema.ts";

const started = performance.now();
const source = await readSourceSchema();
const schemas = {
  sqlite: clientSchemaFor(source, "sqlite"),
  postgresql: clientSchemaFor(source, "postgresql"),
};

await withTempSchemas(schemas, (paths, scratchDir) =>
  Promise.all(
    Object.values(paths).map((schemaPath) =>
      runPrisma(["generate", "--no-hints", "--schema", schemaPath], scratchDir),
    ),
  ),
);

console.log(
  `db:generate: Prisma clients for sqlite and postgresql in ${Math.round(performance.now() - started)} ms`,
);
