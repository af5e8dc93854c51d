import type { Kind, Resource } from "@loom/spec";
import { defaultNamespace, type ResourceKey, type StoredResource } from "../store/index.ts";

/**
 * A stored row in the one resource model of @loom/spec: what the API returns and the config builder reads.
 * Rows were validated (defaults filled) on write, so no parse is needed here.
 */
export function toResource(stored: StoredResource): Resource {
  const { resourceVersion, createdAt, updatedAt: _, ...metadata } = stored.metadata;
  return {
    kind: stored.kind as Kind,
    metadata: { ...metadata, resourceVersion: String(resourceVersion), creationTimestamp: createdAt },
    spec: stored.spec,
  } as Resource;
}

export function keyOf(resource: Pick<Resource, "kind" | "metadata">): Required<ResourceKey> {
  const { mesh, namespace, name } = resource.metadata;
  return { kind: resource.kind, mesh, namespace: namespace ?? defaultNamespace, name };
}
