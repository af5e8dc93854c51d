import type { Resource, ResourceError } from "@loom/spec";
import { stringifyResources } from "@loom/spec";

export interface ResourceKey {
  kind: Resource["kind"];
  mesh: string;
  namespace: string;
  name: string;
}

export function keyOf(resource: Resource): ResourceKey {
  const { mesh, namespace, name } = resource.metadata;
  return { kind: resource.kind, mesh, namespace, name };
}

export function sameKey(a: ResourceKey, b: ResourceKey): boolean {
  return a.kind === b.kind && a.mesh === b.mesh && a.namespace === b.namespace && a.name === b.name;
}

/** Unique across meshes, for maps and React keys. */
export function resourceId(key: ResourceKey): string {
  return `${key.kind}/${key.mesh}/${key.namespace}/${key.name}`;
}

export function describeKey(key: ResourceKey): string {
  return `${key.kind} ${key.namespace}/${key.name}`;
}

/**
 * The YAML an operator edits: the stored object with its resourceVersion, so applying an edit of a version
 * someone has since changed is refused rather than silently overwriting their change.
 */
export function editableYaml(resource: Resource): string {
  const { creationTimestamp: _created, ...metadata } = resource.metadata;
  return stringifyResources([{ ...resource, metadata } as Resource]);
}

/** Without the fields every write changes, so a diff shows only what someone changed (as history does). */
export function diffableYaml(resource: Resource | undefined): string {
  if (resource === undefined) return "";
  const { creationTimestamp: _created, resourceVersion: _version, ...metadata } = resource.metadata;
  return stringifyResources([{ ...resource, metadata } as Resource]);
}

/** Problems by 1-based line, for marking the editor's gutter; problems without a line are not listed. */
export function problemLines(errors: readonly ResourceError[]): Set<number> {
  return new Set(errors.flatMap((error) => (error.line === undefined ? [] : [error.line])));
}
