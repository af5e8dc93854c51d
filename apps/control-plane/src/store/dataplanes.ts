import { NotFoundError } from "./errors.ts";
import type { Dataplane as DataplaneRow } from "./generated/sqlite/client.ts";
import type { StoreClient } from "./prisma-client.ts";
import { defaultNamespace } from "./resource-model.ts";

export type DataplaneStatus = "online" | "offline";

export interface DataplaneRegistration {
  name: string;
  mesh: string;
  namespace?: string;
  service: string;
  tags?: Record<string, string>;
  address: string;
  /** The proxy's inbound/outbound port declarations, as the data-plane protocol defines them. */
  ports: unknown;
}

export interface DataplaneRecord {
  id: number;
  name: string;
  mesh: string;
  namespace: string;
  service: string;
  tags: Record<string, string>;
  address: string;
  ports: unknown;
  status: DataplaneStatus;
  lastSeenAt: Date;
  ackedVersion: string | null;
  lastNack: string | null;
  createdAt: Date;
}

export interface DataplaneFilter {
  mesh?: string;
  namespace?: string;
  service?: string;
  status?: DataplaneStatus;
}

export function toDataplaneRecord(row: DataplaneRow): DataplaneRecord {
  return {
    ...row,
    tags: JSON.parse(row.tags) as Record<string, string>,
    ports: JSON.parse(row.ports) as unknown,
    status: row.status as DataplaneStatus,
  };
}

/** Under SQLite's bound of 999 parameters per statement. */
const IDS_PER_STATEMENT = 500;

/** `ids` in chunks a statement can take. */
export function idChunks(ids: readonly number[]): number[][] {
  const chunks: number[][] = [];
  for (let start = 0; start < ids.length; start += IDS_PER_STATEMENT) {
    chunks.push(ids.slice(start, start + IDS_PER_STATEMENT));
  }
  return chunks;
}

/** Running proxy instances as they registered; resource-style Dataplane objects live in resources. */
export function createDataplaneRepository(prisma: StoreClient) {
  async function setStatus(id: number, status: DataplaneStatus, at?: Date): Promise<void> {
    const { count } = await prisma.dataplane.updateMany({
      where: { id },
      data: at ? { status, lastSeenAt: at } : { status },
    });
    if (count === 0) throw new NotFoundError(`Dataplane ${id} does not exist`);
  }

  return {
    /** Registers a proxy, or re-registers it (same mesh/namespace/name) keeping its acked version. */
    async register(input: DataplaneRegistration): Promise<DataplaneRecord> {
      const identity = { mesh: input.mesh, namespace: input.namespace ?? defaultNamespace, name: input.name };
      const description = {
        service: input.service,
        tags: JSON.stringify(input.tags ?? {}),
        address: input.address,
        ports: JSON.stringify(input.ports ?? []),
        status: "online",
        lastSeenAt: new Date(),
      };
      const row = await prisma.dataplane.upsert({
        where: { mesh_namespace_name: identity },
        create: { ...identity, ...description },
        update: description,
      });
      return toDataplaneRecord(row);
    },

    /** A heartbeat: marks the proxy online as of `at`. */
    async markSeen(id: number, at: Date = new Date()): Promise<void> {
      await setStatus(id, "online", at);
    },

    /** Heartbeats of many proxies in one statement per few hundred; ids that no longer exist are skipped. */
    async markSeenMany(ids: readonly number[], at: Date = new Date()): Promise<void> {
      for (const chunk of idChunks(ids)) {
        await prisma.dataplane.updateMany({
          where: { id: { in: chunk } },
          data: { status: "online", lastSeenAt: at },
        });
      }
    },

    /** The records of `ids` that exist, in no particular order. */
    async getMany(ids: readonly number[]): Promise<DataplaneRecord[]> {
      const records: DataplaneRecord[] = [];
      for (const chunk of idChunks([...new Set(ids)])) {
        const rows = await prisma.dataplane.findMany({ where: { id: { in: chunk } } });
        records.push(...rows.map(toDataplaneRecord));
      }
      return records;
    },

    async markOffline(id: number): Promise<void> {
      await setStatus(id, "offline");
    },

    /** Marks offline every online proxy not seen since `cutoff`; returns how many. */
    async markOfflineIfNotSeenSince(cutoff: Date): Promise<number> {
      const { count } = await prisma.dataplane.updateMany({
        where: { status: "online", lastSeenAt: { lt: cutoff } },
        data: { status: "offline" },
      });
      return count;
    },

    async get(id: number): Promise<DataplaneRecord | null> {
      const row = await prisma.dataplane.findUnique({ where: { id } });
      return row ? toDataplaneRecord(row) : null;
    },

    async find(key: { mesh: string; namespace?: string; name: string }): Promise<DataplaneRecord | null> {
      const identity = { mesh: key.mesh, namespace: key.namespace ?? defaultNamespace, name: key.name };
      const row = await prisma.dataplane.findUnique({ where: { mesh_namespace_name: identity } });
      return row ? toDataplaneRecord(row) : null;
    },

    async list(filter: DataplaneFilter = {}): Promise<DataplaneRecord[]> {
      const rows = await prisma.dataplane.findMany({
        where: filter,
        orderBy: [{ mesh: "asc" }, { namespace: "asc" }, { name: "asc" }],
      });
      return rows.map(toDataplaneRecord);
    },

    /** Also deletes the proxy's acks; its certificates stay on record without the link. */
    async remove(id: number): Promise<void> {
      const { count } = await prisma.dataplane.deleteMany({ where: { id } });
      if (count === 0) throw new NotFoundError(`Dataplane ${id} does not exist`);
    },
  };
}

export type DataplaneRepository = ReturnType<typeof createDataplaneRepository>;
