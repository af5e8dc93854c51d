import { isDeepStrictEqual } from "node:util";
import {
  checkResource,
  parseResources,
  type Resource,
  ResourceValidationError,
  resourceError,
  validateResources,
} from "@loom/spec";
import type { EventBus, LoomEventOf } from "../events.ts";
import { assertRouteWritable } from "../rollout/index.ts";
import type { ResourceKey, Store, StoredResource } from "../store/index.ts";
import { keyOf, toResource } from "./to-resource.ts";

export type ApplyOutcome = "created" | "configured" | "unchanged";

export interface ApplyResult {
  kind: string;
  mesh: string;
  namespace: string;
  name: string;
  outcome: ApplyOutcome;
  resourceVersion: string;
}

type ResourceEvent = LoomEventOf<"resource">;

/** A write as assertRouteWritable judges it: the route as it would be, or only its key for a delete. */
interface RouteGuardInput {
  kind: string;
  metadata: { name: string; mesh?: string; namespace?: string };
  spec?: unknown;
}

type PlannedWrite =
  | { outcome: "created"; resource: Resource }
  | { outcome: "configured"; resource: Resource; current: StoredResource }
  | { outcome: "unchanged"; current: StoredResource };

/**
 * Every resource write of the API goes through here: validated with @loom/spec (the same checks loomctl and
 * the console run), stored with resourceVersion checks, and published on the event bus so subscriptions and
 * the config fan-out see it.
 */
export function createResourceWriter({ store, events }: { store: Store; events: EventBus }) {
  function publish(action: ResourceEvent["action"], stored: StoredResource): void {
    const { mesh, namespace, name } = stored.metadata;
    // A delete is recorded as the version after the last one the resource had.
    const resourceVersion = stored.metadata.resourceVersion + (action === "delete" ? 1 : 0);
    events.publish({ type: "resource", action, kind: stored.kind, mesh, namespace, name, resourceVersion });
  }

  /** What validateResources checks references against: the Services (reading every policy too made each write slower as the store grew). */
  async function knownIn(mesh: string): Promise<Resource[]> {
    return (await store.resources.list({ mesh, kind: "Service" })).map(toResource);
  }

  /** While a Rollout progresses it alone writes its service's TrafficRoute; everyone else is refused. */
  async function guardRoute(resource: RouteGuardInput, actor: string): Promise<void> {
    if (resource.kind === "TrafficRoute") await assertRouteWritable(store, resource, actor);
  }

  /** One resource: its own schema, then what it refers to (services must exist). */
  async function validate(input: unknown): Promise<Resource> {
    const check = checkResource(input);
    if (check.resource === undefined) throw new ResourceValidationError(check.errors);
    const errors = validateResources([check.resource], {
      known: await knownIn(check.resource.metadata.mesh),
    });
    if (errors.length > 0) throw new ResourceValidationError(errors);
    return check.resource;
  }

  return {
    async create(input: unknown, actor: string): Promise<Resource> {
      const resource = await validate(input);
      await guardRoute(resource, actor);
      const stored = await store.resources.create(resource, { actor });
      publish("create", stored);
      return toResource(stored);
    },

    /** The input's metadata.resourceVersion is the version the caller read; a stale one is a conflict. */
    async update(input: unknown, actor: string): Promise<Resource> {
      const resource = await validate(input);
      await guardRoute(resource, actor);
      const expectedVersion = versionOf(resource);
      const stored = await store.resources.update(resource, { expectedVersion, actor });
      publish("update", stored);
      return toResource(stored);
    },

    /** Without `resourceVersion`, deletes whatever version is current (still refusing a concurrent change). */
    async remove(key: ResourceKey, resourceVersion: string | undefined, actor: string): Promise<Resource> {
      await guardRoute({ kind: key.kind, metadata: key }, actor);
      const expectedVersion =
        resourceVersion === undefined ? await currentVersion(key) : parseVersion(resourceVersion, key);
      const deleted = await store.resources.delete(key, { expectedVersion, actor });
      publish("delete", deleted);
      return toResource(deleted);
    },

    async rollback(
      key: ResourceKey,
      { toVersion, expectedVersion }: { toVersion: number; expectedVersion?: number },
      actor: string,
    ): Promise<Resource> {
      const revision = (await store.resources.history(key)).find((entry) => entry.version === toVersion);
      await guardRoute({ kind: key.kind, metadata: key, spec: revision?.after?.spec }, actor);
      const stored = await store.resources.rollback(key, { toVersion, expectedVersion, actor });
      publish("rollback", stored);
      return toResource(stored);
    },

    /**
     * Multi-document YAML, all or nothing: every document is validated (with its line) before anything is
     * written, and if a write still fails (a concurrent change) the writes already made are undone.
     */
    async applyYaml(text: string, source: string | undefined, actor: string): Promise<ApplyResult[]> {
      const parsed = parseResources(text, { source });
      const meshes = new Set(parsed.resources.map((resource) => resource.metadata.mesh));
      const known = (await Promise.all([...meshes].map(knownIn))).flat();
      const errors = [...parsed.errors, ...validateResources(parsed.resources, { known })];
      if (errors.length > 0) throw new ResourceValidationError(errors);

      for (const resource of parsed.resources) await guardRoute(resource, actor);
      const plan = await Promise.all(parsed.resources.map(planWrite));
      const done: PlannedWrite[] = [];
      const results: ApplyResult[] = [];
      try {
        for (const write of plan) {
          const stored = await execute(write, actor);
          done.push(write);
          results.push({
            ...keyOf(toResource(stored)),
            outcome: write.outcome,
            resourceVersion: String(stored.metadata.resourceVersion),
          });
        }
      } catch (error) {
        await undo(done, results, actor);
        throw error;
      }
      return results;
    },
  };

  async function currentVersion(key: ResourceKey): Promise<number> {
    // For a resource that does not exist, any version lets the store's delete say so in its own words.
    return (await store.resources.get(key))?.metadata.resourceVersion ?? 0;
  }

  async function planWrite(resource: Resource): Promise<PlannedWrite> {
    const current = await store.resources.get(keyOf(resource));
    if (current === null) return { outcome: "created", resource };
    // A version in the file means "I edited what I read": its form is checked now, before anything is
    // written; whether it is stale, by the store when it is written.
    if (resource.metadata.resourceVersion !== undefined) versionOf(resource);
    const same =
      isDeepStrictEqual(current.spec, resource.spec) &&
      isDeepStrictEqual(current.metadata.labels, resource.metadata.labels);
    return same ? { outcome: "unchanged", current } : { outcome: "configured", resource, current };
  }

  async function execute(write: PlannedWrite, actor: string): Promise<StoredResource> {
    switch (write.outcome) {
      case "unchanged":
        return write.current;
      case "created": {
        const stored = await store.resources.create(write.resource, { actor });
        publish("create", stored);
        return stored;
      }
      case "configured": {
        const given = write.resource.metadata.resourceVersion;
        const expectedVersion =
          given === undefined ? write.current.metadata.resourceVersion : versionOf(write.resource);
        const stored = await store.resources.update(write.resource, { expectedVersion, actor });
        publish("update", stored);
        return stored;
      }
    }
  }

  /** Newest first, each back to what it was; the history keeps both the apply and its undoing. */
  async function undo(done: PlannedWrite[], results: ApplyResult[], actor: string): Promise<void> {
    for (const [index, write] of [...done.entries()].reverse()) {
      const result = results[index];
      if (write.outcome === "unchanged" || result === undefined) continue;
      const key = { kind: result.kind, mesh: result.mesh, namespace: result.namespace, name: result.name };
      const expectedVersion = Number(result.resourceVersion);
      const stored =
        write.outcome === "created"
          ? await store.resources.delete(key, { expectedVersion, actor })
          : await store.resources.rollback(key, {
              toVersion: write.current.metadata.resourceVersion,
              expectedVersion,
              actor,
            });
      publish(write.outcome === "created" ? "delete" : "rollback", stored);
    }
  }
}

export type ResourceWriter = ReturnType<typeof createResourceWriter>;

/** metadata.resourceVersion as the store counts it; an update without one cannot be checked for staleness. */
function versionOf(resource: Resource): number {
  const { resourceVersion } = resource.metadata;
  if (resourceVersion === undefined)
    throw new ResourceValidationError([
      resourceError({
        kind: resource.kind,
        name: resource.metadata.name,
        path: ["metadata", "resourceVersion"],
        message: "is required to update: send the version you read",
      }),
    ]);
  return parseVersion(resourceVersion, keyOf(resource));
}

function parseVersion(resourceVersion: string, key: ResourceKey): number {
  if (/^[1-9]\d*$/.test(resourceVersion)) return Number(resourceVersion);
  throw new ResourceValidationError([
    resourceError({
      kind: key.kind,
      name: key.name,
      path: ["metadata", "resourceVersion"],
      message: `must be a version number such as "3", got "${resourceVersion}"`,
    }),
  ]);
}
