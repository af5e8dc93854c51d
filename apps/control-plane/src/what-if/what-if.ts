import {
  type Dataplane,
  durationMs,
  type Mesh,
  meshSpecSchema,
  type PolicyTarget,
  permissionDecision,
  type Resource,
  resolvePrecedence,
  type TargetRef,
  type TrafficPermission,
  type TrafficRoute,
} from "@loom/spec";
import { snapshotBuilder } from "../dataplane/build-snapshot.ts";
import type { MetricsBackend, TrafficStats } from "../telemetry/metrics-backend.ts";
import { METRICS_WINDOWS_MS } from "../telemetry/windows.ts";

/** The traffic a proposal is weighed against. */
export const WHAT_IF_WINDOW = "15m" as const;

export interface WhatIfInput {
  /** The mesh as it is: its resources and its online dataplanes. */
  resources: readonly Resource[];
  dataplanes: readonly Dataplane[];
  trustBundle: string;
  metrics: MetricsBackend;
  /** `apply`: create or replace `resource`; `delete`: remove it. */
  action: "apply" | "delete";
  resource: Resource;
  /** The traffic window; 15 minutes unless a test needs its traffic to fill a shorter one. */
  windowMs?: number;
}

export interface TrafficEffect {
  /** One sentence, e.g. "would refuse 120 rps from web to payments". */
  summary: string;
  /** The requests per second concerned, over the window. */
  rps: number;
  source?: string;
  destination: string;
  version?: string;
}

export interface WhatIfResult {
  windowMs: number;
  dataplanes: {
    total: number;
    /** The proxies whose snapshot would change, hence would be sent new config. */
    changed: { name: string; namespace: string; service: string; tags: Record<string, string> }[];
  };
  traffic: TrafficEffect[];
}

/** A dry run: which proxies would get new config, and what the last 15 minutes of traffic would have met. */
export async function whatIf(input: WhatIfInput): Promise<WhatIfResult> {
  const proposed = withProposal(input.resources, input.action, input.resource);
  const before = snapshotBuilder({
    resources: input.resources,
    dataplanes: input.dataplanes,
    trustBundle: input.trustBundle,
  });
  const after = snapshotBuilder({
    resources: proposed,
    dataplanes: input.dataplanes,
    trustBundle: input.trustBundle,
  });
  const changed = input.dataplanes
    .filter((dataplane) => before(dataplane).version !== after(dataplane).version)
    .map((dataplane) => ({
      name: dataplane.metadata.name,
      namespace: dataplane.metadata.namespace,
      service: dataplane.spec.service,
      tags: dataplane.spec.tags,
    }));
  const inbound = await input.metrics.traffic({
    where: { direction: "inbound" },
    groupBy: ["source", "destination", "destination_version", "tls"],
    windowMs: input.windowMs ?? METRICS_WINDOWS_MS[WHAT_IF_WINDOW],
  });
  return {
    windowMs: input.windowMs ?? METRICS_WINDOWS_MS[WHAT_IF_WINDOW],
    dataplanes: { total: input.dataplanes.length, changed },
    traffic: trafficEffects(input, proposed, inbound),
  };
}

function trafficEffects(
  input: WhatIfInput,
  proposed: readonly Resource[],
  inbound: TrafficStats[],
): TrafficEffect[] {
  const { resource, action } = input;
  if (resource.kind === "TrafficPermission")
    return permissionEffects(input.resources, proposed, inbound, input.dataplanes);
  if (resource.kind === "Mesh")
    return [
      ...plaintextEffects(input.resources, proposed, inbound),
      ...permissionEffects(input.resources, proposed, inbound, input.dataplanes),
    ];
  if (!("targetRef" in resource.spec)) return [];
  const { targetRef } = resource.spec as { targetRef: TargetRef };
  const targeted = inbound.filter((row) => targetSelects(targetRef, row));
  const toTarget = sumByDestination(targeted);
  const verb = action === "delete" ? "no longer" : "would";
  switch (resource.kind) {
    case "TrafficRoute":
      return action === "delete"
        ? toTarget.map(({ destination, rps }) => ({
            summary: `${round(rps)} rps to ${destination} would spread over all its instances`,
            rps,
            destination,
          }))
        : routeEffects(resource, toTarget, targeted);
    case "FaultInjection": {
      const { abort, delay } = resource.spec;
      return toTarget.flatMap(({ destination, rps }) => [
        ...(abort
          ? [
              {
                summary: `${verb} fail ${abort.percentage} % of ${round(rps)} rps to ${destination} (about ${round((rps * abort.percentage) / 100)} rps) with ${abort.httpStatus}`,
                rps: (rps * abort.percentage) / 100,
                destination,
              },
            ]
          : []),
        ...(delay
          ? [
              {
                summary: `${verb} delay ${delay.percentage} % of ${round(rps)} rps to ${destination} by ${delay.value}`,
                rps: (rps * delay.percentage) / 100,
                destination,
              },
            ]
          : []),
      ]);
    }
    case "RateLimit": {
      const perInstanceRps = resource.spec.requests / (durationMs(resource.spec.interval) / 1000);
      return toTarget.map(({ destination, rps }) => {
        const instances = Math.max(
          1,
          input.dataplanes.filter((dataplane) => dataplane.spec.service === destination).length,
        );
        const refused = Math.max(0, rps - perInstanceRps * instances);
        return {
          summary: `${verb} refuse about ${round(refused)} of ${round(rps)} rps to ${destination} (${round(perInstanceRps)} rps per instance × ${instances})`,
          rps: refused,
          destination,
        };
      });
    }
    case "Timeout":
      return sumByDestinationWithLatency(targeted).map(({ destination, rps, p50, p95, p99 }) => {
        const limit = durationMs(resource.spec.request);
        const share =
          p50 !== null && p50 > limit
            ? "more than half"
            : p95 !== null && p95 > limit
              ? "more than 5 %"
              : p99 !== null && p99 > limit
                ? "more than 1 %"
                : "fewer than 1 %";
        return {
          summary: `${verb} time out ${share} of ${round(rps)} rps to ${destination} after ${resource.spec.request} (p99 ${p99 === null ? "unknown" : `${round(p99)} ms`})`,
          rps,
          destination,
        };
      });
    case "Rollout": {
      const first = resource.spec.steps[0]?.canaryWeight ?? 0;
      return toTarget.map(({ destination, rps }) => ({
        summary: `would start by sending ${first} % of ${round(rps)} rps to ${destination} ${tagsText(resource.spec.canary.tags)}`,
        rps: (rps * first) / 100,
        destination,
      }));
    }
    default:
      return toTarget.map(({ destination, rps }) => ({
        summary: `${action === "delete" ? "stops applying" : "applies"} to ${round(rps)} rps to ${destination}`,
        rps,
        destination,
      }));
  }
}

/** Per caller and callee: the requests whose allow/deny outcome the proposal changes. */
function permissionEffects(
  current: readonly Resource[],
  proposed: readonly Resource[],
  inbound: TrafficStats[],
  dataplanes: readonly Dataplane[],
): TrafficEffect[] {
  const effects = new Map<string, TrafficEffect & { narrowed: boolean; refused: boolean }>();
  for (const row of inbound) {
    const source = row.labels.source ?? "";
    const destination = row.labels.destination ?? "";
    const version = row.labels.destination_version ?? "";
    // The instance's own tags when one is online, so ServiceSubset policies select as they would.
    const tags = dataplanes.find(
      (dataplane) => dataplane.spec.service === destination && dataplane.spec.tags.version === version,
    )?.spec.tags ?? { version };
    const target = { service: destination, tags };
    const was = decide(current, target, source);
    const will = decide(proposed, target, source);
    if (was.action === will.action) continue;
    const refused = will.action === "Deny";
    const key = `${source}\u0000${destination}\u0000${refused}`;
    const effect = effects.get(key) ?? { summary: "", rps: 0, source, destination, narrowed: false, refused };
    effect.rps += row.rps;
    effect.narrowed ||= refused ? will.narrowed : was.narrowed;
    effects.set(key, effect);
  }
  return [...effects.values()].map(({ narrowed, refused, ...effect }) => ({
    ...effect,
    summary: `would ${refused ? "refuse" : "allow"} ${narrowed ? "up to " : ""}${round(effect.rps)} rps from ${effect.source} to ${effect.destination}${refused ? "" : " (refused now)"}`,
  }));
}

/** A mesh turning strict refuses what reaches its proxies without mTLS. */
function plaintextEffects(
  current: readonly Resource[],
  proposed: readonly Resource[],
  inbound: TrafficStats[],
): TrafficEffect[] {
  if (meshSpecOf(current).mtls.mode === "strict" || meshSpecOf(proposed).mtls.mode !== "strict") return [];
  const plaintext = new Map<string, TrafficEffect>();
  for (const row of inbound) {
    if (row.labels.tls !== "false") continue;
    const source = row.labels.source ?? "";
    const destination = row.labels.destination ?? "";
    const key = `${source}\u0000${destination}`;
    const effect = plaintext.get(key) ?? { summary: "", rps: 0, source, destination };
    effect.rps += row.rps;
    plaintext.set(key, effect);
  }
  return [...plaintext.values()].map((effect) => ({
    ...effect,
    summary: `would refuse ${round(effect.rps)} rps of plaintext from ${effect.source} to ${effect.destination} (strict mTLS)`,
  }));
}

function meshSpecOf(resources: readonly Resource[]): Mesh["spec"] {
  return (
    resources.find((resource): resource is Mesh => resource.kind === "Mesh")?.spec ?? meshSpecSchema.parse({})
  );
}

function decide(resources: readonly Resource[], target: PolicyTarget, source: string) {
  const permissions = resources.filter(
    (resource): resource is TrafficPermission => resource.kind === "TrafficPermission",
  );
  const meshDefault = meshSpecOf(resources).defaultTrafficPermission;
  return permissionDecision(resolvePrecedence(permissions, target).inForce, meshDefault, source);
}

function routeEffects(
  route: TrafficRoute,
  toTarget: { destination: string; rps: number }[],
  targeted: TrafficStats[],
): TrafficEffect[] {
  const destination = route.spec.targetRef.name;
  const rps = toTarget.find((row) => row.destination === destination)?.rps ?? 0;
  const nowByVersion = new Map<string, number>();
  for (const row of targeted)
    nowByVersion.set(
      row.labels.destination_version ?? "",
      (nowByVersion.get(row.labels.destination_version ?? "") ?? 0) + row.rps,
    );
  return route.spec.rules.flatMap((rule, index) => {
    const total = rule.backendRefs.reduce((sum, backend) => sum + backend.weight, 0);
    const scope =
      rule.matches.length === 0
        ? `${round(rps)} rps`
        : `the requests rule ${index + 1} matches (of ${round(rps)} rps)`;
    return rule.backendRefs.map((backend) => {
      const share = total > 0 ? (backend.weight / total) * 100 : 0;
      const service = backend.name ?? destination;
      const version = backend.tags.version;
      const now =
        service === destination && version !== undefined && rps > 0
          ? ((nowByVersion.get(version) ?? 0) / rps) * 100
          : undefined;
      return {
        summary: `sends ${round(share)} % of ${scope} to ${service}${Object.keys(backend.tags).length > 0 ? ` ${tagsText(backend.tags)}` : ""}${now === undefined ? "" : ` (now ${round(now)} %)`}`,
        rps: rule.matches.length === 0 ? (rps * share) / 100 : 0,
        destination: service,
        ...(version === undefined ? {} : { version }),
      };
    });
  });
}

function withProposal(
  resources: readonly Resource[],
  action: "apply" | "delete",
  resource: Resource,
): Resource[] {
  const same = (candidate: Resource) =>
    candidate.kind === resource.kind &&
    candidate.metadata.mesh === resource.metadata.mesh &&
    candidate.metadata.namespace === resource.metadata.namespace &&
    candidate.metadata.name === resource.metadata.name;
  const existing = resources.find(same);
  const rest = resources.filter((candidate) => !same(candidate));
  if (action === "delete") return rest;
  // A replaced policy keeps its age: precedence between equals goes to the oldest.
  const creationTimestamp = existing?.metadata.creationTimestamp ?? resource.metadata.creationTimestamp;
  return [...rest, { ...resource, metadata: { ...resource.metadata, creationTimestamp } } as Resource];
}

function targetSelects(targetRef: TargetRef, row: TrafficStats): boolean {
  switch (targetRef.kind) {
    case "Mesh":
      return true;
    case "Service":
      return row.labels.destination === targetRef.name;
    case "ServiceSubset":
      // Metrics know an instance's version tag only.
      return (
        row.labels.destination === targetRef.name &&
        (targetRef.tags.version === undefined || targetRef.tags.version === row.labels.destination_version)
      );
  }
}

function sumByDestination(rows: TrafficStats[]): { destination: string; rps: number }[] {
  const sums = new Map<string, number>();
  for (const row of rows)
    sums.set(row.labels.destination ?? "", (sums.get(row.labels.destination ?? "") ?? 0) + row.rps);
  return [...sums].map(([destination, rps]) => ({ destination, rps }));
}

/** Latency per destination from per-version rows: the slowest version's quantile, an upper bound. */
function sumByDestinationWithLatency(rows: TrafficStats[]) {
  const sums = new Map<
    string,
    { destination: string; rps: number; p50: number | null; p95: number | null; p99: number | null }
  >();
  const max = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : Math.max(a, b));
  for (const row of rows) {
    const destination = row.labels.destination ?? "";
    const sum = sums.get(destination) ?? { destination, rps: 0, p50: null, p95: null, p99: null };
    sum.rps += row.rps;
    sum.p50 = max(sum.p50, row.latencyMs.p50);
    sum.p95 = max(sum.p95, row.latencyMs.p95);
    sum.p99 = max(sum.p99, row.latencyMs.p99);
    sums.set(destination, sum);
  }
  return [...sums.values()];
}

function tagsText(tags: Record<string, string>): string {
  return Object.entries(tags)
    .map(([name, value]) => (name === "version" ? value : `${name}=${value}`))
    .join(" ");
}

function round(value: number): string {
  return value >= 10 ? String(Math.round(value)) : String(Math.round(value * 10) / 10);
}
