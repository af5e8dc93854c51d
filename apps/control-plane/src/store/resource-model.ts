// The shape of stored resources and revisions, and the errors that name them.
import { ConflictError, NotFoundError } from "./errors.ts";
import type { Resource as ResourceRow } from "./generated/sqlite/client.ts";

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

export type Identity = Required<ResourceKey>;
export type Content = { labels: Record<string, string>; spec: unknown };

export function identityOf(key: ResourceKey): Identity {
  return { kind: key.kind, mesh: key.mesh, namespace: key.namespace ?? defaultNamespace, name: key.name };
}

export function keyOfInput(resource: ResourceInput): Identity {
  return identityOf({ kind: resource.kind, ...resource.metadata });
}

export function describe(identity: Identity): string {
  return `${identity.kind} "${identity.namespace}/${identity.name}" in mesh "${identity.mesh}"`;
}

export function toStored(row: ResourceRow): StoredResource {
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

export function parseSnapshot(json: string | null): StoredResource | null {
  return json === null ? null : (JSON.parse(json) as StoredResource);
}

export function staleWrite(
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

export function alreadyExists(identity: Identity, currentVersion: number | null): ConflictError {
  return new ConflictError(
    `${describe(identity)} already exists (current version ${currentVersion ?? "unknown"})`,
    currentVersion,
  );
}

export function notFound(identity: Identity): NotFoundError {
  return new NotFoundError(`${describe(identity)} does not exist`);
}
