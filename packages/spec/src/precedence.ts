import type { Tags } from "./common.ts";
import type { TargetRef } from "./target-ref.ts";

/** What a policy may apply to: a service, or one instance of it (the service plus that instance's tags). */
export interface PolicyTarget {
  service: string;
  /** The instance's tags; absent when the target is the service as a whole, which no ServiceSubset selects. */
  tags?: Tags;
}

/** The fields precedence reads, so the control plane's stored rows and the proxy's snapshot both fit. */
export interface Targeted {
  metadata: { name: string; namespace?: string; creationTimestamp?: string | undefined };
  spec: { targetRef: TargetRef };
}

export interface Precedence<P> {
  /** The one policy that applies, if any selects the target. */
  inForce: P | undefined;
  /** Policies that select the target but lose to `inForce`, strongest first. */
  shadowed: P[];
}

export function targetRefSelects(targetRef: TargetRef, target: PolicyTarget): boolean {
  switch (targetRef.kind) {
    case "Mesh":
      return true;
    case "Service":
      return targetRef.name === target.service;
    case "ServiceSubset":
      return (
        targetRef.name === target.service &&
        Object.entries(targetRef.tags).every(([tag, value]) => target.tags?.[tag] === value)
      );
  }
}

/**
 * The one precedence rule, shared by the control plane (building snapshots, showing shadowed policies) and the
 * proxy: among policies of one kind that select the target, the most specific wins (a ServiceSubset with more
 * tags, then any ServiceSubset, then Service, then Mesh); between equals the oldest, then the first name.
 */
export function resolvePrecedence<P extends Targeted>(
  policies: readonly P[],
  target: PolicyTarget,
): Precedence<P> {
  const [inForce, ...shadowed] = policies
    .filter((policy) => targetRefSelects(policy.spec.targetRef, target))
    .sort(comparePrecedence);
  return { inForce, shadowed };
}

/** Negative when `a` takes precedence over `b`. A total order, so every process picks the same winner. */
export function comparePrecedence(a: Targeted, b: Targeted): number {
  return (
    compare(specificity(b.spec.targetRef), specificity(a.spec.targetRef)) ||
    compare(createdAt(a), createdAt(b)) ||
    compare(a.metadata.name, b.metadata.name) ||
    compare(a.metadata.namespace ?? "", b.metadata.namespace ?? "")
  );
}

function specificity(targetRef: TargetRef): number {
  switch (targetRef.kind) {
    case "Mesh":
      return 0;
    case "Service":
      return 1;
    case "ServiceSubset":
      return 1 + Object.keys(targetRef.tags).length;
  }
}

/** A policy not yet stored has no creationTimestamp; it is the newest there is. */
function createdAt(policy: Targeted): number {
  const timestamp = Date.parse(policy.metadata.creationTimestamp ?? "");
  return Number.isNaN(timestamp) ? Number.POSITIVE_INFINITY : timestamp;
}

/** Plain code-unit order, not localeCompare: the result must not depend on the process's locale. */
function compare<T extends number | string>(a: T, b: T): number {
  if (a < b) return -1;
  return a > b ? 1 : 0;
}
