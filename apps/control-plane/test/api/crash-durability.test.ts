import { useProcesses } from "@loom/test-harness";
import { afterAll, describe, expect, it } from "vitest";
import { testProviders } from "../store/test-databases.ts";
import { adminToken, apiClient, startControlPlane } from "./control-plane.ts";

useProcesses();

const drops: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const drop of drops) await drop();
});

// Kill -9 right after a write is acknowledged: no graceful shutdown, no flush. After a restart the write is there.
// PostgreSQL is skipped on a laptop without it; with CI=true it runs, and fails if PostgreSQL does not answer.
describe.each(testProviders)("loom-cp on $provider killed -9 after an acknowledged write", (store) => {
  it.skipIf(store.skip)("has the write after a restart", async () => {
    const database = await store.createDatabase();
    drops.push(database.drop);
    // SQLite: the default store in the data directory, reused across the restart; PostgreSQL: DATABASE_URL.
    const env = store.provider === "postgresql" ? { DATABASE_URL: database.url } : {};

    const first = await startControlPlane({ env });
    const token = await adminToken(first.apiUrl);
    const admin = apiClient(first.apiUrl, { token });
    await admin.services.create.mutate({
      kind: "Service",
      metadata: { name: "cart" },
      spec: { ports: [{ port: 80 }] },
    });
    const { results } = await admin.policies.applyYaml.mutate({
      text: "kind: Timeout\nmetadata:\n  name: durable\nspec:\n  targetRef: { kind: Service, name: cart }\n  request: 7s\n",
    });
    expect(results).toEqual([expect.objectContaining({ name: "durable", outcome: "created" })]);
    // The very moment the acknowledgement arrived: SIGKILL, no chance to flush anything.
    first.process.kill("SIGKILL");
    const exit = await first.process.exited;
    expect(exit.signal).toBe("SIGKILL");

    const second = await startControlPlane({ env, dataDir: first.dataDir });
    const again = apiClient(second.apiUrl, { token });
    expect((await again.policies.get.query({ kind: "Timeout", name: "durable" })).spec).toMatchObject({
      request: "7s",
    });
    expect((await again.services.get.query({ name: "cart" })).metadata.name).toBe("cart");
    expect(
      (await again.history.list.query({ kind: "Timeout", name: "durable" })).map(
        (revision) => revision.action,
      ),
    ).toEqual(["create"]);
  });
});
