import { describe, expect, it } from "vitest";
import { NotFoundError } from "../../src/store/index.ts";
import { storeOnFreshDatabase, testProviders } from "./test-databases.ts";

const hour = 3_600_000;

for (const { provider, skip, createDatabase } of testProviders) {
  describe.skipIf(skip)(`dataplanes, acks, certificates and rollouts on ${provider}`, () => {
    const store = storeOnFreshDatabase(createDatabase);

    const cart = {
      name: "cart-1",
      mesh: "default",
      service: "cart",
      tags: { version: "v1" },
      address: "127.0.0.1",
      ports: [{ port: 8080, protocol: "http" }],
    };

    it("registers proxies, re-registers them in place, and tracks liveness", async () => {
      const first = await store().dataplanes.register(cart);
      expect(first).toMatchObject({ ...cart, namespace: "default", status: "online", ackedVersion: null });

      const again = await store().dataplanes.register({
        ...cart,
        address: "127.0.0.2",
        tags: { version: "v2" },
      });
      expect(again.id).toBe(first.id);
      expect(again).toMatchObject({ address: "127.0.0.2", tags: { version: "v2" } });

      await store().dataplanes.markOffline(first.id);
      expect((await store().dataplanes.get(first.id))?.status).toBe("offline");
      await store().dataplanes.markSeen(first.id);
      expect((await store().dataplanes.find({ mesh: "default", name: "cart-1" }))?.status).toBe("online");

      const stale = await store().dataplanes.register({ ...cart, name: "cart-2" });
      await store().dataplanes.markSeen(stale.id, new Date(Date.now() - hour));
      expect(await store().dataplanes.markOfflineIfNotSeenSince(new Date(Date.now() - 60_000))).toBe(1);
      expect(
        (await store().dataplanes.list({ service: "cart", status: "online" })).map((dp) => dp.name),
      ).toEqual(["cart-1"]);
      await expect(store().dataplanes.markSeen(999_999)).rejects.toBeInstanceOf(NotFoundError);
    });

    it("keeps each proxy's latest report: acked version, or the NACKed version and its reason", async () => {
      const dataplane = await store().dataplanes.register({ ...cart, name: "cart-acks" });
      const before = new Date(Date.now() - 1_000);
      expect((await store().propagationAcks.latestSince([dataplane.id], before)).size).toBe(0);
      await store().propagationAcks.record({ dataplaneId: dataplane.id, version: "v1", ok: true });
      await store().propagationAcks.record({
        dataplaneId: dataplane.id,
        version: "v2",
        ok: false,
        error: "outbound port 9000 in use",
      });
      expect(await store().dataplanes.get(dataplane.id)).toMatchObject({
        ackedVersion: "v1",
        lastNack: "outbound port 9000 in use",
        nackedVersion: "v2",
      });
      expect(
        (await store().propagationAcks.latestSince([dataplane.id], before)).get(dataplane.id),
      ).toMatchObject({ version: "v2", ok: false, error: "outbound port 9000 in use" });
      await store().propagationAcks.record({ dataplaneId: dataplane.id, version: "v3", ok: true });
      expect(await store().dataplanes.get(dataplane.id)).toMatchObject({
        ackedVersion: "v3",
        lastNack: null,
        nackedVersion: null,
      });
      const [latest] = (await store().propagationAcks.latestSince([dataplane.id], before)).values();
      expect(latest).toMatchObject({ dataplaneId: dataplane.id, version: "v3", ok: true, error: null });
      // Reported before `since`: not a report of what was written since.
      expect(
        (await store().propagationAcks.latestSince([dataplane.id], new Date(Date.now() + 1_000))).size,
      ).toBe(0);
      await expect(
        store().propagationAcks.record({ dataplaneId: 999_999, version: "x", ok: true }),
      ).rejects.toBeInstanceOf(NotFoundError);
    });

    it("records a batch of reports as one by one, each proxy its own acked version, and marks many seen", async () => {
      const [a, b, c] = await Promise.all(
        ["batch-a", "batch-b", "batch-c"].map((name) => store().dataplanes.register({ ...cart, name })),
      );
      if (!a || !b || !c) throw new Error("registration failed");
      await store().propagationAcks.record({ dataplaneId: c.id, version: "c0", ok: true });
      await store().propagationAcks.recordMany([
        { dataplaneId: a.id, version: "a1", ok: true },
        { dataplaneId: b.id, version: "b1", ok: false, error: "port 9001 in use" },
        { dataplaneId: c.id, version: "c1", ok: false },
        { dataplaneId: a.id, version: "a2", ok: true },
      ]);
      expect(await store().dataplanes.get(a.id)).toMatchObject({ ackedVersion: "a2", lastNack: null });
      expect(await store().dataplanes.get(b.id)).toMatchObject({
        ackedVersion: null,
        lastNack: "port 9001 in use",
      });
      expect(await store().dataplanes.get(c.id)).toMatchObject({
        ackedVersion: "c0",
        lastNack: "rejected without a reason",
      });
      const latest = await store().propagationAcks.latestSince(
        [a.id, b.id, c.id],
        new Date(Date.now() - 60_000),
      );
      expect([a.id, b.id, c.id].map((id) => latest.get(id)?.version)).toEqual(["a2", "b1", "c1"]);

      // A report of a proxy removed meanwhile does not cost the others theirs.
      await store().propagationAcks.recordMany([
        { dataplaneId: a.id, version: "a3", ok: true },
        { dataplaneId: 999_999, version: "x", ok: true },
      ]);
      expect((await store().dataplanes.get(a.id))?.ackedVersion).toBe("a3");

      await store().dataplanes.markOffline(a.id);
      await store().dataplanes.markOffline(b.id);
      const seenAt = new Date(Date.now() - 5_000);
      await store().dataplanes.markSeenMany([a.id, b.id, 999_999], seenAt);
      for (const record of await store().dataplanes.getMany([a.id, b.id])) {
        expect(record).toMatchObject({ status: "online", lastSeenAt: seenAt });
      }
    });

    it("records certificates, finds the valid ones, and revokes them", async () => {
      const dataplane = await store().dataplanes.register({ ...cart, name: "cart-certs" });
      const identity = "spiffe://mesh.local/ns/default/sa/cart";
      const now = Date.now();
      await store().certificates.record({
        serial: "01",
        identity,
        dataplaneId: dataplane.id,
        notBefore: new Date(now - 2 * hour),
        notAfter: new Date(now - hour),
      });
      const current = await store().certificates.record({
        serial: "02",
        identity,
        dataplaneId: dataplane.id,
        notBefore: new Date(now - hour),
        notAfter: new Date(now + hour),
      });
      expect(current.notAfter.getTime()).toBe(now + hour);

      const valid = await store().certificates.list({ dataplaneId: dataplane.id, validAt: new Date(now) });
      expect(valid.map((certificate) => certificate.serial)).toEqual(["02"]);

      const revoked = await store().certificates.revoke("02", { actor: "ca" });
      expect(revoked.revokedAt).toBeInstanceOf(Date);
      expect(await store().certificates.list({ identity, validAt: new Date(now) })).toEqual([]);
      expect(await store().certificates.get("01")).toMatchObject({ serial: "01", revokedAt: null });

      await store().dataplanes.remove(dataplane.id);
      expect((await store().certificates.get("02"))?.dataplaneId).toBeNull();
      expect((await store().auditLog.list({ kind: "Certificate" })).map((row) => row.name)).toEqual(["02"]);
    });

    it("saves and resumes rollout state", async () => {
      const key = { mesh: "default", name: "cart-canary" };
      expect(await store().rolloutStates.get(key)).toBeNull();
      const startedAt = new Date();
      await store().rolloutStates.save({
        ...key,
        state: "progressing",
        currentStep: 0,
        startedAt,
        history: [],
      });
      const saved = await store().rolloutStates.save({
        ...key,
        state: "paused",
        currentStep: 2,
        startedAt,
        history: [{ step: 1, at: startedAt.toISOString() }],
      });
      expect(saved).toMatchObject({ namespace: "default", state: "paused", currentStep: 2 });
      expect(await store().rolloutStates.get(key)).toEqual(saved);
      expect(await store().rolloutStates.list({ mesh: "default" })).toHaveLength(1);
      await store().rolloutStates.delete(key);
      expect(await store().rolloutStates.get(key)).toBeNull();
    });
  });
}
