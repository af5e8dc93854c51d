import { type ResourceError, resourceError } from "./errors.ts";
import { sourceOf } from "./locations.ts";
import { POLICY_KINDS, type Policy, type Resource } from "./resource.ts";
import type { CallerRef, TargetRef } from "./target-ref.ts";

export interface ValidateResourcesOptions {
  /** Resources that already exist (e.g. in the store); references may name their services. Only Services are read. */
  known?: readonly Resource[];
}

interface ServiceReference {
  service: string;
  path: PropertyKey[];
  /** Where the name is written, for the line number. */
  namePath: PropertyKey[];
}

/**
 * Checks what no single resource can: duplicate names within the set, and references to services that exist
 * neither in the set nor in `known`. Resources read by `parseResources` get their YAML line in each error.
 */
export function validateResources(
  resources: readonly Resource[],
  options: ValidateResourcesOptions = {},
): ResourceError[] {
  const services = new Set(
    [...resources, ...(options.known ?? [])]
      .filter((resource) => resource.kind === "Service")
      .map((service) => serviceKey(service.metadata.mesh, service.metadata.name)),
  );
  const firstByIdentity = new Map<string, Resource>();
  const errors: ResourceError[] = [];
  for (const resource of resources) {
    const identity = [
      resource.kind,
      resource.metadata.mesh,
      resource.metadata.namespace,
      resource.metadata.name,
    ].join("/");
    const first = firstByIdentity.get(identity);
    if (first === undefined) firstByIdentity.set(identity, resource);
    else
      errors.push(
        errorAt(resource, ["metadata", "name"], `already used by ${describeFirst(first, resource)}`),
      );

    for (const reference of serviceReferences(resource)) {
      if (services.has(serviceKey(resource.metadata.mesh, reference.service))) continue;
      const message = `names service "${reference.service}", which does not exist`;
      errors.push(errorAt(resource, reference.path, message, reference.namePath));
    }
  }
  return errors;
}

// Services are named per mesh (endpoints, outbounds and SPIFFE-checked callers carry no namespace).
function serviceKey(mesh: string, name: string): string {
  return `${mesh}/${name}`;
}

function describeFirst(first: Resource, duplicate: Resource): string {
  const firstSource = sourceOf(first);
  const sameMeshAndNamespace = "in the same mesh and namespace";
  if (firstSource === undefined) return `an earlier ${first.kind} ${sameMeshAndNamespace}`;
  const line = firstSource.lineOf(["metadata", "name"]);
  const file = firstSource.source !== undefined && firstSource.source !== sourceOf(duplicate)?.source;
  return `the ${first.kind} at ${file ? `${firstSource.source} ` : ""}line ${line} ${sameMeshAndNamespace}`;
}

function errorAt(
  resource: Resource,
  path: PropertyKey[],
  message: string,
  locatePath: PropertyKey[] = path,
): ResourceError {
  const locator = sourceOf(resource);
  return resourceError({
    kind: resource.kind,
    name: resource.metadata.name,
    source: locator?.source,
    line: locator?.lineOf(locatePath),
    path,
    message,
  });
}

function* serviceReferences(resource: Resource): Generator<ServiceReference> {
  if (!isPolicy(resource)) return;
  const { spec } = resource;
  yield* referenceTo(spec.targetRef, ["spec", "targetRef"]);
  if ("from" in spec)
    for (const [index, caller] of (spec.from ?? []).entries())
      yield* referenceTo(caller.targetRef, ["spec", "from", index, "targetRef"]);
  if (resource.kind !== "TrafficRoute") return;
  for (const [ruleIndex, rule] of resource.spec.rules.entries()) {
    const rulePath = ["spec", "rules", ruleIndex];
    for (const [index, backend] of rule.backendRefs.entries()) {
      if (backend.name === undefined) continue;
      const path = [...rulePath, "backendRefs", index];
      yield { service: backend.name, path, namePath: [...path, "name"] };
    }
    for (const [index, filter] of rule.filters.entries()) {
      if (filter.type !== "RequestMirror" || filter.requestMirror.backendRef.name === undefined) continue;
      const path = [...rulePath, "filters", index, "requestMirror", "backendRef"];
      yield { service: filter.requestMirror.backendRef.name, path, namePath: [...path, "name"] };
    }
  }
}

function* referenceTo(ref: TargetRef | CallerRef, path: PropertyKey[]): Generator<ServiceReference> {
  if (ref.kind !== "Mesh") yield { service: ref.name, path, namePath: [...path, "name"] };
}

function isPolicy(resource: Resource): resource is Policy {
  return (POLICY_KINDS as readonly string[]).includes(resource.kind);
}
