import type { ResourceInputOf } from "@loom/spec";
import { stringify } from "yaml";

export interface CanaryPlan {
  service: string;
  mesh: string;
  stable: string;
  canary: string;
}

/**
 * A fixed split: one rule sending `canaryPercent` of the service's requests to the canary version. Written as the
 * operator would (defaults left out), and checked by the editor like anything typed by hand.
 */
export function splitRouteYaml(plan: CanaryPlan, canaryPercent: number): string {
  const route: ResourceInputOf<"TrafficRoute"> = {
    kind: "TrafficRoute",
    metadata: { name: `${plan.service}-split`, mesh: plan.mesh },
    spec: {
      targetRef: { kind: "Service", name: plan.service },
      rules: [
        {
          backendRefs: [
            { tags: { version: plan.stable }, weight: 100 - canaryPercent },
            { tags: { version: plan.canary }, weight: canaryPercent },
          ],
        },
      ],
    },
  };
  return stringify(route);
}

/** A progressive Rollout: the canary's weight per step, each held for `hold`, gated by the defaults. */
export function rolloutYaml(plan: CanaryPlan, stepWeights: number[], hold: string): string {
  const rollout: ResourceInputOf<"Rollout"> = {
    kind: "Rollout",
    metadata: { name: `${plan.service}-canary`, mesh: plan.mesh },
    spec: {
      targetRef: { kind: "Service", name: plan.service },
      stable: { tags: { version: plan.stable } },
      canary: { tags: { version: plan.canary } },
      steps: stepWeights.map((canaryWeight) => ({ canaryWeight, hold })),
    },
  };
  return stringify(rollout);
}
