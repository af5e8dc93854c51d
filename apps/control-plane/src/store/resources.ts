import { isUniqueViolation, NotFoundError } from "./errors.ts";
import type { StoreClient } from "./prisma-client.ts";
import {
  alreadyExists,
  describe,
  type Identity,
  identityOf,
  keyOfInput,
  parseSnapshot,
  type ResourceFilter,
  type ResourceInput,
  type ResourceKey,
  type ResourceRevisionRecord,
  type RevisionAction,
  type StoredResource,
  staleWrite,
  toStored,
} from "./resource-model.ts";
import { findRow, insert, remove, replace } from "./resource-writes.ts";

export function createResourceRepository(prisma: StoreClient) {
  /** Two creators that both found no resource: the unique index stops the second one. */
  async function reportRacesAsConflicts<T>(identity: Identity, write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      throw alreadyExists(identity, (await findRow(prisma, identity))?.resourceVersion ?? null);
    }
  }

  return {
    async get(key: ResourceKey): Promise<StoredResource | null> {
      const row = await findRow(prisma, identityOf(key));
      return row ? toStored(row) : null;
    },

    async list(filter: ResourceFilter = {}): Promise<StoredResource[]> {
      const rows = await prisma.resource.findMany({
        where: filter,
        orderBy: [{ kind: "asc" }, { mesh: "asc" }, { namespace: "asc" }, { name: "asc" }],
      });
      return rows.map(toStored);
    },

    /** Fails with ConflictError when the resource already exists. */
    async create(resource: ResourceInput, { actor }: { actor: string }): Promise<StoredResource> {
      const identity = keyOfInput(resource);
      const content = { labels: resource.metadata.labels ?? {}, spec: resource.spec };
      return reportRacesAsConflicts(identity, () =>
        prisma.$transaction((tx) => insert(tx, identity, content, { actor, action: "create" })),
      );
    },

    /** Fails with ConflictError unless the stored resourceVersion is still `expectedVersion`. */
    async update(
      resource: ResourceInput,
      { expectedVersion, actor }: { expectedVersion: number; actor: string },
    ): Promise<StoredResource> {
      const identity = keyOfInput(resource);
      const content = { labels: resource.metadata.labels ?? {}, spec: resource.spec };
      return prisma.$transaction((tx) =>
        replace(tx, identity, expectedVersion, content, { actor, action: "update" }),
      );
    },

    /** Returns the resource as it was; fails with ConflictError unless it is still at `expectedVersion`. */
    async delete(
      key: ResourceKey,
      { expectedVersion, actor }: { expectedVersion: number; actor: string },
    ): Promise<StoredResource> {
      const identity = identityOf(key);
      return prisma.$transaction((tx) => remove(tx, identity, expectedVersion, actor));
    },

    /** Every revision of the resource, oldest first, including those before a delete. */
    async history(key: ResourceKey): Promise<ResourceRevisionRecord[]> {
      const rows = await prisma.resourceRevision.findMany({
        where: identityOf(key),
        orderBy: { version: "asc" },
      });
      return rows.map((row) => ({
        version: row.version,
        action: row.action as RevisionAction,
        actor: row.actor,
        at: row.at,
        before: parseSnapshot(row.before),
        after: parseSnapshot(row.after),
      }));
    },

    /** Deletes all but the newest `revisionsKept` revisions of each resource (the newest is its current state). */
    async pruneHistory(revisionsKept: number): Promise<number> {
      return prisma.$executeRaw`DELETE FROM "ResourceRevision" WHERE "id" IN (
        SELECT "id" FROM (
          SELECT "id", ROW_NUMBER() OVER (
            PARTITION BY "kind", "mesh", "namespace", "name" ORDER BY "version" DESC
          ) AS "recency" FROM "ResourceRevision"
        ) AS "ranked" WHERE "recency" > ${revisionsKept}
      )`;
    },

    /**
     * Restores the labels and spec the resource had after revision `toVersion`, as a new version (and
     * re-creates the resource if it was deleted since). With `expectedVersion`, fails with ConflictError
     * when the resource has moved on from what the caller saw.
     */
    async rollback(
      key: ResourceKey,
      { toVersion, actor, expectedVersion }: { toVersion: number; actor: string; expectedVersion?: number },
    ): Promise<StoredResource> {
      const identity = identityOf(key);
      return reportRacesAsConflicts(identity, () =>
        prisma.$transaction(async (tx) => {
          const revision = await tx.resourceRevision.findUnique({
            where: { kind_mesh_namespace_name_version: { ...identity, version: toVersion } },
          });
          if (!revision) throw new NotFoundError(`${describe(identity)} has no revision ${toVersion}`);
          const snapshot = parseSnapshot(revision.after);
          if (!snapshot) {
            throw new NotFoundError(
              `Revision ${toVersion} of ${describe(identity)} deleted it: nothing to restore`,
            );
          }
          const content = { labels: snapshot.metadata.labels, spec: snapshot.spec };
          const audit = { actor, action: "rollback", detail: { toVersion } };
          const current = await findRow(tx, identity);
          if (expectedVersion !== undefined && (current?.resourceVersion ?? null) !== expectedVersion) {
            throw staleWrite(identity, expectedVersion, current?.resourceVersion ?? null);
          }
          return current
            ? replace(tx, identity, current.resourceVersion, content, audit)
            : insert(tx, identity, content, audit);
        }),
      );
    },
  };
}

export type ResourceRepository = ReturnType<typeof createResourceRepository>;
