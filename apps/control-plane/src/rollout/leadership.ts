import pg from "pg";
import { resolveDatabaseTarget } from "../store/database-target.ts";
import type { Store } from "../store/index.ts";

/** Whether this process drives the Rollouts; asked before every round. */
export interface Leadership {
  isLeader(): Promise<boolean>;
  close(): Promise<void>;
}

/** One number all replicas agree on for pg_try_advisory_lock ("loom" + "rollouts"). */
const ROLLOUT_LOCK_KEY = 0x6c6f6f6d_0001;

/**
 * With SQLite the single process leads. With PostgreSQL, the replica that holds a session advisory lock on its
 * own connection leads; the lock goes with the connection, so a replica that dies or loses its connection
 * hands over to the next one that asks. A dedicated pg client, since Prisma's pool may answer each query on a
 * different connection and a session lock must stay on one.
 */
export function createLeadership(store: Store, databaseUrl = process.env.DATABASE_URL): Leadership {
  if (store.provider === "sqlite") return { isLeader: async () => true, close: async () => {} };
  const target = resolveDatabaseTarget(databaseUrl);
  if (target.provider !== "postgresql") throw new Error("the store is PostgreSQL but DATABASE_URL is not");
  let client: pg.Client | undefined;
  let held = false;

  function drop(): void {
    held = false;
    client?.end().catch(() => {});
    client = undefined;
  }

  return {
    async isLeader() {
      if (held) return true;
      try {
        if (client === undefined) {
          client = new pg.Client({ connectionString: target.url });
          client.on("error", drop);
          await client.connect();
        }
        const result = await client.query<{ locked: boolean }>("SELECT pg_try_advisory_lock($1) AS locked", [
          ROLLOUT_LOCK_KEY,
        ]);
        held = result.rows[0]?.locked === true;
      } catch {
        drop();
      }
      return held;
    },
    async close() {
      const closing = client;
      client = undefined;
      held = false;
      await closing?.end().catch(() => {});
    },
  };
}
