import { type Health, healthOf } from "./golden-format";
import type { GraphEdge } from "./use-service-graph";

/**
 * The find/hide box: `rps > 100`, `success < 99`, `p99 > 250ms`, `!mtls`, `mtls`, or a service name; several
 * terms joined by spaces or commas must all hold. Returns null for an expression it cannot read, with why.
 */
export type EdgePredicate = (edge: GraphEdge) => boolean;

const COMPARISON = /^(rps|success|p50|p95|p99)\s*(<=|>=|<|>|=)\s*([\d.]+)\s*(ms|s|%)?$/;

const METRIC: Record<string, (edge: GraphEdge) => number | null> = {
  rps: (edge) => edge.metrics.rps,
  // Written as a percentage, stored as a share.
  success: (edge) => (edge.metrics.successRate === null ? null : edge.metrics.successRate * 100),
  p50: (edge) => edge.metrics.latencyMs.p50,
  p95: (edge) => edge.metrics.latencyMs.p95,
  p99: (edge) => edge.metrics.latencyMs.p99,
};

function compare(left: number, operator: string, right: number): boolean {
  switch (operator) {
    case "<":
      return left < right;
    case "<=":
      return left <= right;
    case ">":
      return left > right;
    case ">=":
      return left >= right;
    default:
      return left === right;
  }
}

function parseTerm(term: string): EdgePredicate | string {
  if (term === "mtls") return (edge) => edge.mtls === "full";
  if (term === "!mtls") return (edge) => edge.mtls !== "full";
  const match = COMPARISON.exec(term);
  if (match) {
    const [, metric = "", operator = "", amount = "", unit] = match;
    const value = Number(amount) * (unit === "s" ? 1000 : 1);
    const read = METRIC[metric];
    if (Number.isNaN(value) || read === undefined) return `cannot read "${term}"`;
    return (edge) => {
      const measured = read(edge);
      return measured !== null && compare(measured, operator, value);
    };
  }
  if (/^[a-z0-9][a-z0-9-]*$/.test(term))
    return (edge) => edge.source.includes(term) || edge.destination.includes(term);
  return `cannot read "${term}": try rps > 100, success < 99, p99 > 250ms, !mtls or a service name`;
}

const TERM =
  /(?:rps|success|p50|p95|p99)\s*(?:<=|>=|<|>|=)\s*[\d.]+\s*(?:ms|s|%)?|!?mtls\b|[a-z0-9][a-z0-9-]*/g;

export function parseEdgeFilter(expression: string): { predicate: EdgePredicate | null; error?: string } {
  const text = expression.toLowerCase().trim();
  const terms = [...text.matchAll(TERM)].map((match) => match[0].replace(/\s+/g, " "));
  // Whatever the terms do not cover must be separators, or part of the expression was not understood.
  const leftover = text.replace(TERM, "").replace(/[\s,]+/g, "");
  if (leftover !== "")
    return {
      predicate: null,
      error: `cannot read "${leftover}": try rps > 100, success < 99, p99 > 250ms, !mtls or a service name`,
    };
  if (terms.length === 0) return { predicate: null };
  const predicates: EdgePredicate[] = [];
  for (const term of terms) {
    const parsed = parseTerm(term);
    if (typeof parsed === "string") return { predicate: null, error: parsed };
    predicates.push(parsed);
  }
  return { predicate: (edge) => predicates.every((predicate) => predicate(edge)) };
}

/** The toolbar's health choices: the colours' thresholds (healthy ≥ 99 %, failing < 95 %). */
export const HEALTH_FILTERS = {
  any: "any",
  unhealthy: "not healthy (< 99 %)",
  failing: "failing (< 95 %)",
} as const;
export type HealthFilter = keyof typeof HEALTH_FILTERS;

const KEPT_HEALTH: Record<HealthFilter, readonly Health[] | null> = {
  any: null,
  unhealthy: ["degraded", "failing"],
  failing: ["failing"],
};

export interface GraphScope {
  /** Calls from or to a service of this namespace (Kiali's namespace selector also shows the callers). */
  namespace: string | null;
  mesh: string | null;
  health: HealthFilter;
}

/** The namespace, mesh and health filters as one edge predicate; null when nothing is filtered. */
export function scopePredicate(
  scope: GraphScope,
  where: { namespaceOf: (service: string) => string; meshOf: (service: string) => string },
): EdgePredicate | null {
  const { namespace, mesh } = scope;
  const health = KEPT_HEALTH[scope.health];
  if (namespace === null && mesh === null && health === null) return null;
  const endIn = (edge: GraphEdge, of: (service: string) => string, value: string | null) =>
    value === null || of(edge.source) === value || of(edge.destination) === value;
  return (edge) =>
    endIn(edge, where.namespaceOf, namespace) &&
    endIn(edge, where.meshOf, mesh) &&
    (health === null || health.includes(healthOf(edge.metrics)));
}
