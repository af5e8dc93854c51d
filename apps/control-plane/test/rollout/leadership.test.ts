import { afterAll, describe, expect, it } from "vitest";
import { createLeadership } from "../../src/rollout/index.ts";
import { openStore, type Store } from "../../src/store/index.ts";
import { type TestDatabase, testProviders } from "../store/test-databases.ts";

const postgres = testProviders.find((candidate) => candidate.provider === "postgresql");
const sqlite = testProviders.find((candidate) => candidate.provider === "sqlite");

describe("Rollout leadership", () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  async function storeOn(database: TestDatabase): Promise<Store> {
    const store = await openStore({ databaseUrl: database.url });
    cleanups.push(() => store.close());
    return store;
  }

  it("with SQLite, the one process leads", async () => {
    const database = (await sqlite?.createDatabase()) as TestDatabase;
    cleanups.push(database.drop);
    const leadership = createLeadership(await storeOn(database), database.url);
    expect(await leadership.isLeader()).toBe(true);
  });

  it.skipIf(postgres?.skip ?? true)(
    "with PostgreSQL, one replica of two leads, and the other takes over when it goes",
    async () => {
      const database = (await postgres?.createDatabase()) as TestDatabase;
      cleanups.push(database.drop);
      const [storeA, storeB] = [await storeOn(database), await storeOn(database)];
      const a = createLeadership(storeA, database.url);
      const b = createLeadership(storeB, database.url);
      cleanups.push(
        () => a.close(),
        () => b.close(),
      );
      expect(await a.isLeader()).toBe(true);
      expect(await b.isLeader()).toBe(false);
      expect(await a.isLeader()).toBe(true);
      // The lock lives with A's connection: closing it (as a crash would) frees it for B.
      await a.close();
      expect(await b.isLeader()).toBe(true);
      expect(await b.isLeader()).toBe(true);
    },
  );
});
