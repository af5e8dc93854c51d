import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { repoRoot, resolveDatabaseTarget } from "../../src/store/database-target.ts";

describe("resolveDatabaseTarget", () => {
  const savedDataDir = process.env.LOOM_DATA_DIR;
  afterEach(() => {
    if (savedDataDir === undefined) delete process.env.LOOM_DATA_DIR;
    else process.env.LOOM_DATA_DIR = savedDataDir;
  });

  it("defaults to .data/loom.db under the repo root", () => {
    delete process.env.LOOM_DATA_DIR;
    expect(resolveDatabaseTarget(undefined)).toEqual({
      provider: "sqlite",
      file: path.join(repoRoot, ".data", "loom.db"),
    });
  });

  it("puts the default file under LOOM_DATA_DIR when set", () => {
    process.env.LOOM_DATA_DIR = "/var/lib/loom";
    expect(resolveDatabaseTarget("")).toEqual({ provider: "sqlite", file: "/var/lib/loom/loom.db" });
  });

  it("selects PostgreSQL for postgres:// and postgresql:// URLs", () => {
    for (const url of ["postgres://u:p@db:5432/loom", "postgresql://db/loom?sslmode=require"]) {
      expect(resolveDatabaseTarget(url)).toEqual({ provider: "postgresql", url });
    }
  });

  it("takes file: URLs as SQLite files", () => {
    expect(resolveDatabaseTarget("file:/tmp/x/loom.db")).toEqual({
      provider: "sqlite",
      file: "/tmp/x/loom.db",
    });
  });

  it("rejects other URLs without echoing credentials", () => {
    expect(() => resolveDatabaseTarget("mysql://root:secret@db/loom")).toThrow(
      'Unsupported database URL "mysql://…@db/loom": use postgres://…, postgresql://… or file:<path>',
    );
  });
});
