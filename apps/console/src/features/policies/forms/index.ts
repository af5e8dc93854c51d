import type { PolicyKind } from "@loom/spec";
import type { ComponentType } from "react";
import { CircuitBreakerForm } from "./circuit-breaker";
import { FaultInjectionForm } from "./fault-injection";
import { HealthCheckForm } from "./health-check";
import { RateLimitForm } from "./rate-limit";
import { RetryForm } from "./retry";
import { RolloutForm } from "./rollout";
import { TimeoutForm } from "./timeout";
import { TrafficPermissionForm } from "./traffic-permission";
import { TrafficRouteForm } from "./traffic-route";

/** One form per policy kind (a new kind fails the typecheck here until it has one). */
export const POLICY_FORMS: Record<PolicyKind, ComponentType> = {
  TrafficRoute: TrafficRouteForm,
  TrafficPermission: TrafficPermissionForm,
  RateLimit: RateLimitForm,
  CircuitBreaker: CircuitBreakerForm,
  FaultInjection: FaultInjectionForm,
  HealthCheck: HealthCheckForm,
  Retry: RetryForm,
  Timeout: TimeoutForm,
  Rollout: RolloutForm,
};
