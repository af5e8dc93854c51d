import { writeAudit } from "./audit-log.ts";
import { ConflictError, isUniqueViolation, NotFoundError } from "./errors.ts";
import type { Resource as ResourceRow } from "./generated/sqlite/client.ts";
import type { StoreClient, StoreTransaction } from "./prisma-client.ts";

export const defaultNamespace = "default";

export interface ResourceKey {
  kind: string;
  mesh: string;
  namespace?: string;
  name: string;
}

export interface ResourceInput {
  kind: string;
  metadata: { name: string; mesh: string; namespace?: string; labels?: Record<string, string> };
  spec: unknown;
}

export interface StoredResource {
  kind: string;
  metadata: {
    name: string;
    mesh: string;
    namespace: string;
    labels: Record<string, string>;
    resourceVersion: number;
    createdAt: string;
    updatedAt: string;
  };
  spec: unknown;
}

export type RevisionAction = "create" | "update" | "delete";

export interface ResourceRevisionRecord {
  version: number;
  action: RevisionAction;
  actor: string;
  at: Date;
  before: StoredResource | null;
  after: StoredResource | null;
}

export interface ResourceFilter {
  kind?: string;
  mesh?: string;
  namespace?: string;
}

type Identity = Required<ResourceKey>;
type Content = { labels: Record<string, string>; spec: unknown };

function identityOf(key: ResourceKey): Identity {
  return { kind: key.kind, mesh: key.mesh, namespace: key.namespace ?? defaultNamespace, name: key.name };
}

function keyOfInput(resource: ResourceInput): Identity {
  return identityOf({ kind: resource.kind, ...resource.metadata });
}

function describe(identity: Identity): string {
  return `${identity.kind} "${identity.namespace}/${identity.name}" in mesh "${identity.mesh}"`;
}

function toStored(row: ResourceRow): StoredResource {
  return {
    kind: row.kind,
    metadata: {
      name: row.name,
      mesh: row.mesh,
      namespace: row.namespace,
      labels: JSON.parse(row.labels) as Record<string, string>,
      resourceVersion: row.resourceVersion,
      createdAt: row.createdAt.toISOString(),
      updatedAt: row.updatedAt.toISOString(),
    },
    spec: JSON.parse(row.spec) as unknown,
  };
}

function parseSnapshot(json: string | null): StoredResource | null {
  return json === null ? null : (JSON.parse(json) as StoredResource);
}

function staleWrite(
  identity: Identity,
  expectedVersion: number,
  currentVersion: number | null,
): ConflictError {
  const current =
    currentVersion === null ? "it no longer exists" : `the current version is ${currentVersion}`;
  return new ConflictError(
    `${describe(identity)} was changed by someone else: resourceVersion ${expectedVersion} is stale; ${current}`,
    currentVersion,
  );
}

function alreadyExists(identity: Identity, currentVersion: number | null): ConflictError {
  return new ConflictError(
    `${describe(identity)} already exists (current version ${currentVersion ?? "unknown"})`,
    currentVersion,
  );
}

function notFound(identity: Identity): NotFoundError {
  return new NotFoundError(`${describe(identity)} does not exist`);
}

async function findRow(db: StoreClient | StoreTransaction, identity: Identity): Promise<ResourceRow | null> {
  return db.resource.findUnique({ where: { kind_mesh_namespace_name: identity } });
}

/** Versions keep counting across delete and re-create, so (identity, version) names one revision forever. */
async function nextVersionAfterHistory(tx: StoreTransaction, identity: Identity): Promise<number> {
  const last = await tx.resourceRevision.findFirst({
    where: identity,
    orderBy: { version: "desc" },
    select: { version: true },
  });
  return (last?.version ?? 0) + 1;
}

interface Change {
  identity: Identity;
  version: number;
  action: RevisionAction;
  auditAction: string;
  actor: string;
  before: StoredResource | null;
  after: StoredResource | null;
  auditDetail?: Record<string, unknown>;
}

async function recordChange(tx: StoreTransaction, change: Change): Promise<void> {
  const { identity, version, action, actor, before, after } = change;
  await tx.resourceRevision.create({
    data: {
      ...identity,
      version,
      action,
      actor,
      before: before === null ? null : JSON.stringify(before),
      after: after === null ? null : JSON.stringify(after),
    },
  });
  await writeAudit(tx, {
    actor,
    action: change.auditAction,
    kind: identity.kind,
    name: identity.name,
    mesh: identity.mesh,
    detail: { namespace: identity.namespace, version, ...change.auditDetail },
  });
}

async function insert(
  tx: StoreTransaction,
  identity: Identity,
  content: Content,
  audit: { actor: string; action: string; detail?: Record<string, unknown> },
): Promise<StoredResource> {
  const existing = await findRow(tx, identity);
  if (existing) throw alreadyExists(identity, existing.resourceVersion);
  const version = await nextVersionAfterHistory(tx, identity);
  const row = await tx.resource.create({
    data: {
      ...identity,
      labels: JSON.stringify(content.labels),
      spec: JSON.stringify(content.spec ?? null),
      resourceVersion: version,
    },
  });
  const after = toStored(row);
  await recordChange(tx, {
    identity,
    version,
    action: "create",
    auditAction: audit.action,
    actor: audit.actor,
    before: null,
    after,
    auditDetail: audit.detail,
  });
  return after;
}

async function currentAt(
  tx: StoreTransaction,
  identity: Identity,
  expectedVersion: number,
): Promise<ResourceRow> {
  const current = await findRow(tx, identity);
  if (!current) throw notFound(identity);
  if (current.resourceVersion !== expectedVersion) {
    throw staleWrite(identity, expectedVersion, current.resourceVersion);
  }
  return current;
}

async function replace(
  tx: StoreTransaction,
  identity: Identity,
  expectedVersion: number,
  content: Content,
  audit: { actor: string; action: string; detail?: Record<string, unknown> },
): Promise<StoredResource> {
  const current = await currentAt(tx, identity, expectedVersion);
  const version = expectedVersion + 1;
  // The version condition in the WHERE closes the gap between the read above and this write.
  const { count } = await tx.resource.updateMany({
    where: { id: current.id, resourceVersion: expectedVersion },
    data: {
      labels: JSON.stringify(content.labels),
      spec: JSON.stringify(content.spec ?? null),
      resourceVersion: version,
    },
  });
  if (count === 0) {
    throw staleWrite(identity, expectedVersion, (await findRow(tx, identity))?.resourceVersion ?? null);
  }
  const after = toStored(await tx.resource.findUniqueOrThrow({ where: { id: current.id } }));
  await recordChange(tx, {
    identity,
    version,
    action: "update",
    auditAction: audit.action,
    actor: audit.actor,
    before: toStored(current),
    after,
    auditDetail: audit.detail,
  });
  return after;
}

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
      return prisma.$transaction(async (tx) => {
        const current = await currentAt(tx, identity, expectedVersion);
        const { count } = await tx.resource.deleteMany({
          where: { id: current.id, resourceVersion: expectedVersion },
        });
        if (count === 0) {
          throw staleWrite(identity, expectedVersion, (await findRow(tx, identity))?.resourceVersion ?? null);
        }
        const before = toStored(current);
        await recordChange(tx, {
          identity,
          version: expectedVersion + 1,
          action: "delete",
          auditAction: "delete",
          actor,
          before,
          after: null,
        });
        return before;
      });
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
