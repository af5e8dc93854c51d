import type { OutboundSnapshot, Snapshot } from "@loom/spec";
import { CircuitBreaker } from "./filters/circuit-breaker.ts";
import { FaultInjectionFilter } from "./filters/fault-injection.ts";
import { OutlierDetector } from "./filters/outlier-detection.ts";
import { RateLimitFilter, type TokenBucket } from "./filters/rate-limit.ts";
import { RetryBudget } from "./filters/retry.ts";
import { resolveDeadlines } from "./filters/timeout.ts";
import { TrafficPermissionFilter } from "./filters/traffic-permission.ts";
import { type Backend, RouteTable } from "./filters/traffic-route.ts";
import { closeHttp2Session } from "./http/http2-pool.ts";
import { EndpointState, endpointKey } from "./lb/endpoint.ts";
import { HealthChecker } from "./lb/health-check.ts";
import type { TlsMaterial } from "./tls-material.ts";

export interface InboundChain {
  permission: TrafficPermissionFilter;
  rateLimit: RateLimitFilter | undefined;
  fault: FaultInjectionFilter | undefined;
}

export interface OutboundRuntime {
  snapshot: OutboundSnapshot;
  routes: RouteTable;
  breaker: CircuitBreaker;
  budget: RetryBudget;
  outliers: OutlierDetector | undefined;
  /** Every endpoint this outbound may call (its service's, and those of other backends and mirrors). */
  pool: readonly EndpointState[];
  /** Whether calls go over mTLS. */
  tls: boolean;
}

/** One applied snapshot, ready to serve. Requests hold on to the one they started with. */
export interface ProxyConfig {
  snapshot: Snapshot;
  inbound: InboundChain;
  outbounds: ReadonlyMap<number, OutboundRuntime>;
}

/**
 * What outlives a config: connection pools and latency statistics per endpoint, breaker counters, retry
 * budgets and rate-limit buckets. A new config reuses whatever still applies, so swapping configs does not
 * reset limits or drop warm connections.
 */
export class RuntimeState {
  endpoints = new Map<string, EndpointState>();
  breakers = new Map<string, CircuitBreaker>();
  budgets = new Map<string, RetryBudget>();
  buckets = new Map<string, TokenBucket>();
  healthCheckers: HealthChecker[] = [];
}

export interface CompiledConfig {
  config: ProxyConfig;
  /** Makes the compiled config's state current and retires what it no longer uses. */
  commit(): void;
}

export interface CompileOptions {
  tls: TlsMaterial | undefined;
  onEject: (destination: string, endpoint: EndpointState) => void;
  /** How long a removed endpoint's pool lives on for requests still using it. */
  retireAfterMs: number;
}

/** Builds the routing table for a validated snapshot without touching the live one. */
export function compileConfig(
  snapshot: Snapshot,
  state: RuntimeState,
  options: CompileOptions,
): CompiledConfig {
  const next = new RuntimeState();
  const activations: (() => void)[] = [];
  const inbound = compileInbound(snapshot, state, next);
  const useTls = snapshot.mesh.spec.mtls.mode !== "off" && options.tls !== undefined;
  const outbounds = new Map<number, OutboundRuntime>();
  for (const outbound of snapshot.outbounds) {
    outbounds.set(outbound.port, compileOutbound(outbound, useTls, state, next, activations, options));
  }
  return {
    config: { snapshot, inbound, outbounds },
    commit() {
      for (const activate of activations) activate();
      for (const checker of state.healthCheckers) checker.stop();
      for (const [key, endpoint] of state.endpoints) {
        if (!next.endpoints.has(key)) setTimeout(() => retire(endpoint), options.retireAfterMs).unref();
      }
      state.endpoints = next.endpoints;
      state.breakers = next.breakers;
      state.budgets = next.budgets;
      state.buckets = next.buckets;
      state.healthCheckers = next.healthCheckers;
    },
  };
}

function compileInbound(snapshot: Snapshot, state: RuntimeState, next: RuntimeState): InboundChain {
  const { trafficPermission, rateLimit, faultInjection } = snapshot.inbound;
  let rateLimitFilter: RateLimitFilter | undefined;
  if (rateLimit) {
    const key = JSON.stringify(rateLimit);
    rateLimitFilter = new RateLimitFilter(rateLimit, state.buckets.get(key));
    next.buckets.set(key, rateLimitFilter.bucket);
  }
  return {
    permission: new TrafficPermissionFilter(
      trafficPermission,
      snapshot.mesh.name,
      snapshot.mesh.spec.defaultTrafficPermission,
    ),
    rateLimit: rateLimitFilter,
    fault: faultInjection ? new FaultInjectionFilter(faultInjection) : undefined,
  };
}

function compileOutbound(
  outbound: OutboundSnapshot,
  useTls: boolean,
  state: RuntimeState,
  next: RuntimeState,
  activations: (() => void)[],
  options: CompileOptions,
): OutboundRuntime {
  const scope = `${outbound.port}|${outbound.service}`;
  const breaker = state.breakers.get(scope) ?? new CircuitBreaker();
  const budget = state.budgets.get(scope) ?? new RetryBudget();
  next.breakers.set(scope, breaker);
  next.budgets.set(scope, budget);

  const deadlines = resolveDeadlines(outbound.timeout?.spec);
  const maxConnections = outbound.circuitBreaker?.spec.maxConnections ?? breaker.maxConnections;
  const pool = outbound.endpoints.map((endpoint) => {
    const key = `${scope}|${useTls}|${endpointKey(endpoint)}`;
    const existing = state.endpoints.get(key) ?? next.endpoints.get(key);
    const endpointState =
      existing ??
      new EndpointState(endpoint, {
        host: endpoint.address,
        port: endpoint.port,
        tls:
          useTls && options.tls ? { material: options.tls, expectedIdentity: endpoint.identity } : undefined,
        maxSockets: maxConnections,
        connectTimeoutMs: deadlines.connectMs,
        idleTimeoutMs: deadlines.idleMs,
      });
    activations.push(() => {
      endpointState.endpoint = endpoint;
      endpointState.pool.maxConnections = maxConnections;
    });
    next.endpoints.set(key, endpointState);
    return endpointState;
  });

  const resolve = (service: string, tags: Record<string, string>): Backend => ({
    service,
    endpoints: pool.filter(
      (state) =>
        state.endpoint.service === service &&
        Object.entries(tags).every(([tag, value]) => state.endpoint.tags[tag] === value),
    ),
  });
  const routes = new RouteTable(outbound.route, outbound.service, resolve, {
    timeout: outbound.timeout?.spec,
    retry: outbound.retry?.spec,
  });

  const retryBudget =
    outbound.retry?.spec.budget ?? outbound.route?.rules.find((rule) => rule.retry?.budget)?.retry?.budget;
  activations.push(() => {
    breaker.configure(outbound.circuitBreaker);
    if (retryBudget) budget.configure(retryBudget);
  });

  const outlierDetection = outbound.circuitBreaker?.spec.outlierDetection;
  const outliers = outlierDetection
    ? new OutlierDetector(outlierDetection, (endpoint) => options.onEject(outbound.service, endpoint))
    : undefined;
  if (outbound.healthCheck) {
    const healthCheck = outbound.healthCheck.spec;
    activations.push(() => next.healthCheckers.push(new HealthChecker(healthCheck, pool)));
  }
  return { snapshot: outbound, routes, breaker, budget, outliers, pool, tls: useTls };
}

function retire(endpoint: EndpointState): void {
  endpoint.pool.destroy();
  closeHttp2Session(endpoint.dialOptions);
}
