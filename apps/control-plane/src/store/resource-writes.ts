// The steps of a resource write, each run inside the caller's transaction: the row change, its
// revision and its audit entry commit together or not at all.
import { writeAudit } from "./audit-log.ts";
import type { Resource as ResourceRow } from "./generated/sqlite/client.ts";
import type { StoreClient, StoreTransaction } from "./prisma-client.ts";
import {
  alreadyExists,
  type Content,
  type Identity,
  notFound,
  type RevisionAction,
  type StoredResource,
  staleWrite,
  toStored,
} from "./resource-model.ts";

export async function findRow(
  db: StoreClient | StoreTransaction,
  identity: Identity,
): Promise<ResourceRow | null> {
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

export async function insert(
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

export async function replace(
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

export async function remove(
  tx: StoreTransaction,
  identity: Identity,
  expectedVersion: number,
  actor: string,
): Promise<StoredResource> {
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
}
