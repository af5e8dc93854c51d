import {
  type BackendRef,
  type Resource,
  type Rollout,
  resolvePrecedence,
  type TrafficRoute,
  trafficRouteSchema,
} from "@loom/spec";

/** The TrafficRoute in force for the Rollout's service, by the same precedence the config builder applies. */
export function routeInForce(resources: readonly Resource[], rollout: Rollout): TrafficRoute | undefined {
  const routes = resources.filter(
    (resource): resource is TrafficRoute =>
      resource.kind === "TrafficRoute" && resource.metadata.mesh === rollout.metadata.mesh,
  );
  return resolvePrecedence(routes, { service: rollout.spec.targetRef.name }).inForce;
}

/**
 * The route with the canary at `canaryWeight` % and the stable version at the rest, in every rule that splits
 * the service's own versions (rules sending elsewhere keep their backends). Without a route, a new one named
 * after the Rollout with one catch-all rule. Parsed, so the stored spec has its defaults like any other write.
 */
export function routeWithCanaryWeight(
  route: TrafficRoute | undefined,
  rollout: Rollout,
  canaryWeight: number,
): TrafficRoute {
  const service = rollout.spec.targetRef.name;
  // Backend weights are integers: a fractional percentage is kept by scaling both sides.
  const scale = Number.isInteger(canaryWeight) ? 1 : 100;
  const split: BackendRef[] = [
    { tags: rollout.spec.stable.tags, weight: Math.round((100 - canaryWeight) * scale) },
    { tags: rollout.spec.canary.tags, weight: Math.round(canaryWeight * scale) },
  ];
  if (route === undefined)
    return trafficRouteSchema.parse({
      kind: "TrafficRoute",
      metadata: {
        name: rollout.metadata.name,
        mesh: rollout.metadata.mesh,
        namespace: rollout.metadata.namespace,
      },
      spec: { targetRef: { kind: "Service", name: service }, rules: [{ backendRefs: split }] },
    });
  const ownVersions = (rule: TrafficRoute["spec"]["rules"][number]) =>
    rule.backendRefs.every((backend) => (backend.name ?? route.spec.targetRef.name) === service);
  if (!route.spec.rules.some(ownVersions))
    throw new Error(
      `TrafficRoute "${route.metadata.name}" has no rule that splits ${service}'s versions: the Rollout cannot shift its traffic`,
    );
  return trafficRouteSchema.parse({
    ...route,
    spec: {
      ...route.spec,
      rules: route.spec.rules.map((rule) => (ownVersions(rule) ? { ...rule, backendRefs: split } : rule)),
    },
  });
}
