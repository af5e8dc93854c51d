import { DEFAULT_MESH, DEFAULT_NAMESPACE, type Rollout } from "@loom/spec";
import { ConflictError, type Store } from "../store/index.ts";
import type { RolloutPhase } from "./rollout-state.ts";

/** The actor a Rollout writes its route as; the one writer assertRouteWritable lets through. */
export function rolloutActor(rolloutName: string): string {
  return `rollout:${rolloutName}`;
}

/** A write to a service's TrafficRoute while a Rollout of that service is progressing. */
export class RouteOwnedByRolloutError extends ConflictError {
  constructor(
    readonly route: string,
    readonly rollout: { mesh: string; namespace: string; name: string },
    step: number,
    steps: number,
  ) {
    super(
      `TrafficRoute "${route}" is managed by Rollout "${rollout.name}" (step ${step + 1} of ${steps}): ` +
        `pause or abort Rollout "${rollout.name}" first`,
      null,
    );
  }
}

interface RouteWrite {
  metadata: { name: string; mesh?: string | undefined; namespace?: string | undefined };
  /** The route as it would be written; absent for a delete. */
  spec?: unknown;
}

/**
 * For every writer of TrafficRoutes other than the Rollout controller (create, update, delete, rollback, apply):
 * throws RouteOwnedByRolloutError, naming the Rollout, when the route being written — as stored now or as it
 * would be — targets a service whose Rollout is progressing. A paused Rollout lets operators edit the route.
 */
export async function assertRouteWritable(store: Store, route: RouteWrite, actor?: string): Promise<void> {
  const mesh = route.metadata.mesh ?? DEFAULT_MESH;
  const namespace = route.metadata.namespace ?? DEFAULT_NAMESPACE;
  const stored = await store.resources.get({
    kind: "TrafficRoute",
    mesh,
    namespace,
    name: route.metadata.name,
  });
  const services = new Set([targetServiceOf(route.spec), targetServiceOf(stored?.spec)].filter(Boolean));
  if (services.size === 0) return;
  const progressing = (await store.rolloutStates.list({ mesh })).filter(
    (state) => (state.state as RolloutPhase) === "progressing",
  );
  for (const state of progressing) {
    const resource = await store.resources.get({
      kind: "Rollout",
      mesh,
      namespace: state.namespace,
      name: state.name,
    });
    const spec = resource?.spec as Rollout["spec"] | undefined;
    if (spec === undefined || !services.has(spec.targetRef.name) || actor === rolloutActor(state.name))
      continue;
    throw new RouteOwnedByRolloutError(
      route.metadata.name,
      { mesh, namespace: state.namespace, name: state.name },
      state.currentStep,
      spec.steps.length,
    );
  }
}

function targetServiceOf(spec: unknown): string | undefined {
  const name = (spec as { targetRef?: { name?: unknown } } | undefined)?.targetRef?.name;
  return typeof name === "string" ? name : undefined;
}
