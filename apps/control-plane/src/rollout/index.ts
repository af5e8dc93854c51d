export {
  createRolloutController,
  type RolloutController,
  type RolloutControllerOptions,
  type RolloutKey,
  type RolloutView,
} from "./controller.ts";
export { createLeadership, type Leadership } from "./leadership.ts";
export type { GateResult, RolloutEvent, RolloutPhase, VersionSample } from "./rollout-state.ts";
export { assertRouteWritable, RouteOwnedByRolloutError, rolloutActor } from "./route-ownership.ts";
