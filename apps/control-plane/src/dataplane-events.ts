import type { EventBus, LoomEventOf } from "./events.ts";
import type { Store } from "./store/index.ts";

type Change = LoomEventOf<"dataplane">["change"];

/**
 * The store as the data-plane API should see it: the same, except that every change to a proxy's state
 * (registration, going offline and back, ACK/NACK, removal) is also published on the bus, which drives
 * `dataplanes.onChange` and propagation progress. Wrapping the store keeps the data-plane API unaware of the bus.
 */
export function publishingDataplaneChanges(store: Store, events: EventBus): Store {
  const { dataplanes, propagationAcks } = store;
  const publish = (change: Change, dataplane: { id: number; mesh: string }) =>
    events.publish({ type: "dataplane", change, dataplaneId: dataplane.id, mesh: dataplane.mesh });

  // Which proxies this process last saw go offline, so a heartbeat only makes an event when it brings one back.
  let offline: Promise<Map<number, string>> | undefined;
  const knownOffline = () => {
    offline ??= dataplanes
      .list({ status: "offline" })
      .then((records) => new Map(records.map((record) => [record.id, record.mesh])));
    return offline;
  };

  // The mesh of each proxy this process registered, so an ACK's event costs no store read.
  const meshOf = new Map<number, string>();

  return {
    ...store,
    dataplanes: {
      ...dataplanes,
      async register(input) {
        const record = await dataplanes.register(input);
        meshOf.set(record.id, record.mesh);
        (await knownOffline()).delete(record.id);
        publish("registered", record);
        return record;
      },
      async markSeen(id, at) {
        await dataplanes.markSeen(id, at);
        const known = await knownOffline();
        const mesh = known.get(id);
        if (mesh === undefined) return;
        known.delete(id);
        publish("online", { id, mesh });
      },
      async markSeenMany(ids, at) {
        await dataplanes.markSeenMany(ids, at);
        const known = await knownOffline();
        for (const id of ids) {
          const mesh = known.get(id);
          if (mesh === undefined) continue;
          known.delete(id);
          publish("online", { id, mesh });
        }
      },
      async markOffline(id) {
        await dataplanes.markOffline(id);
        const record = await dataplanes.get(id);
        if (record === null) return;
        (await knownOffline()).set(id, record.mesh);
        publish("offline", record);
      },
      async markOfflineIfNotSeenSince(cutoff) {
        // Loaded before the update, or the proxies it marks would already count as known.
        const known = await knownOffline();
        const count = await dataplanes.markOfflineIfNotSeenSince(cutoff);
        if (count === 0) return count;
        for (const record of await dataplanes.list({ status: "offline" })) {
          if (known.has(record.id)) continue;
          known.set(record.id, record.mesh);
          publish("offline", record);
        }
        return count;
      },
      async remove(id) {
        const record = await dataplanes.get(id);
        await dataplanes.remove(id);
        meshOf.delete(id);
        if (record !== null) publish("removed", record);
      },
    },
    propagationAcks: {
      ...propagationAcks,
      async record(report) {
        await propagationAcks.record(report);
        const record = await dataplanes.get(report.dataplaneId);
        if (record !== null) publish(report.ok ? "acked" : "nacked", record);
      },
      async recordMany(reports) {
        await propagationAcks.recordMany(reports);
        const unknown = reports.map((report) => report.dataplaneId).filter((id) => !meshOf.has(id));
        for (const record of await dataplanes.getMany(unknown)) meshOf.set(record.id, record.mesh);
        for (const report of reports) {
          const mesh = meshOf.get(report.dataplaneId);
          if (mesh !== undefined) publish(report.ok ? "acked" : "nacked", { id: report.dataplaneId, mesh });
        }
      },
    },
  };
}
