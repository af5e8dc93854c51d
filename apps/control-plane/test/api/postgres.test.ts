import { useProcesses } from "@loom/test-harness";
import { afterAll, describe, expect, it } from "vitest";
import { testProviders } from "../store/test-databases.ts";
import { adminToken, apiClient, startControlPlane } from "./control-plane.ts";

useProcesses();

const [, postgres] = testProviders;
const drops: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const drop of drops) await drop();
});

// Skipped on a laptop without PostgreSQL; with CI=true it runs, and fails if PostgreSQL does not answer.
describe.skipIf(postgres.skip)("loom-cp on PostgreSQL", () => {
  it("serves the API from a PostgreSQL store and keeps writes across a restart", async () => {
    const database = await postgres.createDatabase();
    drops.push(database.drop);
    const env = { DATABASE_URL: database.url };

    const first = await startControlPlane({ env });
    expect(first.process.logs()).toContain("store postgresql");
    const token = await adminToken(first.apiUrl);
    const admin = apiClient(first.apiUrl, { token });
    await admin.services.create.mutate({
      kind: "Service",
      metadata: { name: "cart" },
      spec: { ports: [{ port: 80 }] },
    });
    const { results } = await admin.policies.applyYaml.mutate({
      text: "kind: Timeout\nmetadata:\n  name: pg\nspec:\n  targetRef: { kind: Service, name: cart }\n  request: 4s\n",
    });
    expect(results).toEqual([expect.objectContaining({ name: "pg", outcome: "created" })]);
    await first.process.stop();

    // Another data directory: everything that matters is in the database.
    const second = await startControlPlane({ env });
    const again = apiClient(second.apiUrl, { token });
    expect((await again.policies.get.query({ kind: "Timeout", name: "pg" })).spec).toMatchObject({
      request: "4s",
    });
    expect(
      (await again.history.list.query({ kind: "Timeout", name: "pg" })).map((revision) => revision.action),
    ).toEqual(["create"]);
  });
});
