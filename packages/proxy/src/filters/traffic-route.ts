import type { IncomingHttpHeaders } from "node:http";
import {
  type OutboundSnapshot,
  type RetryConfig,
  type RouteMatch,
  type RouteRule,
  retryConfigSchema,
  type TimeoutConfig,
} from "@loom/spec";
import type { EndpointState } from "../lb/endpoint.ts";
import { HeaderModifier } from "./header-modifier.ts";
import { RetryPolicy } from "./retry.ts";
import { type Deadlines, resolveDeadlines } from "./timeout.ts";

/** A version subset of a service: where one share of a rule's traffic goes. */
export interface Backend {
  service: string;
  endpoints: readonly EndpointState[];
}

export type ResolveBackend = (service: string, tags: Record<string, string>) => Backend;

/** The Timeout and Retry policies in force for the service; a rule's own settings override them. */
export interface RulePolicies {
  timeout?: TimeoutConfig;
  retry?: RetryConfig;
}

export interface Mirror {
  backend: Backend;
  percent: number;
}

/** One TrafficRoute rule, ready to serve: weights summed, modifiers compiled, backends resolved. */
export class CompiledRule {
  readonly backends: readonly Backend[];
  private readonly cumulativeWeights: readonly number[];
  private readonly totalWeight: number;
  readonly mirrors: readonly Mirror[];
  readonly requestHeaders: HeaderModifier | undefined;
  readonly responseHeaders: HeaderModifier | undefined;
  readonly deadlines: Deadlines;
  /** Absent when neither a Retry policy nor the rule asks for retries. */
  readonly retry: RetryPolicy | undefined;

  constructor(rule: RouteRule, defaultService: string, resolve: ResolveBackend, policies: RulePolicies) {
    this.backends = rule.backendRefs.map((ref) => resolve(ref.name ?? defaultService, ref.tags));
    let sum = 0;
    this.cumulativeWeights = rule.backendRefs.map((ref) => {
      sum += ref.weight;
      return sum;
    });
    this.totalWeight = sum;
    const mirrors: Mirror[] = [];
    let requestHeaders: HeaderModifier | undefined;
    let responseHeaders: HeaderModifier | undefined;
    for (const filter of rule.filters) {
      if (filter.type === "RequestHeaderModifier")
        requestHeaders = new HeaderModifier(filter.requestHeaderModifier);
      else if (filter.type === "ResponseHeaderModifier")
        responseHeaders = new HeaderModifier(filter.responseHeaderModifier);
      else {
        const { backendRef, percent } = filter.requestMirror;
        mirrors.push({ backend: resolve(backendRef.name ?? defaultService, backendRef.tags), percent });
      }
    }
    this.mirrors = mirrors;
    this.requestHeaders = requestHeaders;
    this.responseHeaders = responseHeaders;
    this.deadlines = resolveDeadlines(policies.timeout, rule.timeout);
    const retry =
      policies.retry || rule.retry
        ? retryConfigSchema.parse({ ...policies.retry, ...rule.retry })
        : undefined;
    this.retry = retry && retry.attempts > 1 ? new RetryPolicy(retry) : undefined;
  }

  /** Weighted random choice; weights are relative, and a 0 weight is never chosen. */
  pickBackend(random: () => number = Math.random): Backend {
    const point = random() * this.totalWeight;
    for (let i = 0; i < this.cumulativeWeights.length; i++) {
      if (point < (this.cumulativeWeights[i] as number)) return this.backends[i] as Backend;
    }
    return this.backends[this.backends.length - 1] as Backend;
  }
}

interface CompiledMatch {
  rule: CompiledRule;
  match: RouteMatch;
  headerPatterns: readonly (RegExp | undefined)[];
  pathPattern: RegExp | undefined;
}

/**
 * Route matching with Gateway API precedence: across all rules' matches, an exact path beats a prefix, a
 * longer prefix beats a shorter one, then a method match, then more header matches; ties keep rule order.
 */
export class RouteTable {
  readonly name: string;
  /** Whether any match looks at headers; when none does, callers need not build a header map. */
  readonly matchesHeaders: boolean;
  private readonly matches: readonly CompiledMatch[];

  constructor(
    route: OutboundSnapshot["route"],
    defaultService: string,
    resolve: ResolveBackend,
    policies: RulePolicies,
  ) {
    this.name = route?.name ?? "default";
    const rules = route?.rules ?? [{ matches: [], backendRefs: [{ tags: {}, weight: 1 }], filters: [] }];
    const matches: CompiledMatch[] = [];
    for (const rule of rules) {
      const compiled = new CompiledRule(rule, defaultService, resolve, policies);
      const ruleMatches = rule.matches.length > 0 ? rule.matches : [{ headers: [] }];
      for (const match of ruleMatches) {
        matches.push({
          rule: compiled,
          match,
          pathPattern:
            match.path?.type === "RegularExpression" ? new RegExp(`^(?:${match.path.value})$`) : undefined,
          headerPatterns: match.headers.map((h) =>
            h.type === "RegularExpression" ? new RegExp(h.value) : undefined,
          ),
        });
      }
    }
    this.matchesHeaders = matches.some((entry) => entry.match.headers.length > 0);
    this.matches = matches
      .map((entry, order) => ({ entry, order }))
      .sort((a, b) => comparePrecedence(a.entry.match, b.entry.match) || a.order - b.order)
      .map(({ entry }) => entry);
  }

  match(method: string, url: string, headers: IncomingHttpHeaders): CompiledRule | undefined {
    const query = url.indexOf("?");
    const path = query === -1 ? url : url.slice(0, query);
    for (const candidate of this.matches) {
      if (matches(candidate, method, path, headers)) return candidate.rule;
    }
    return undefined;
  }
}

function matches(
  candidate: CompiledMatch,
  method: string,
  path: string,
  headers: IncomingHttpHeaders,
): boolean {
  const { match } = candidate;
  if (match.method !== undefined && match.method !== method) return false;
  if (match.path !== undefined) {
    const { type, value } = match.path;
    if (type === "Exact" && path !== value) return false;
    if (type === "PathPrefix" && !hasPathPrefix(path, value)) return false;
    if (type === "RegularExpression" && !candidate.pathPattern?.test(path)) return false;
  }
  for (let i = 0; i < match.headers.length; i++) {
    const header = match.headers[i] as RouteMatch["headers"][number];
    const actual = headers[header.name.toLowerCase()];
    const value = Array.isArray(actual) ? actual.join(",") : actual;
    if (value === undefined) return false;
    const pattern = candidate.headerPatterns[i];
    if (pattern ? !pattern.test(value) : value !== header.value) return false;
  }
  return true;
}

/** Gateway API prefixes match whole path segments: "/foo" matches "/foo" and "/foo/bar", not "/foobar". */
export function hasPathPrefix(path: string, prefix: string): boolean {
  if (prefix === "/" || path === prefix) return true;
  if (!path.startsWith(prefix)) return false;
  return prefix.endsWith("/") || path.charCodeAt(prefix.length) === 47;
}

function comparePrecedence(a: RouteMatch, b: RouteMatch): number {
  const exact = Number(b.path?.type === "Exact") - Number(a.path?.type === "Exact");
  if (exact !== 0) return exact;
  const prefixLength = prefixLengthOf(b) - prefixLengthOf(a);
  if (prefixLength !== 0) return prefixLength;
  const method = Number(b.method !== undefined) - Number(a.method !== undefined);
  if (method !== 0) return method;
  return b.headers.length - a.headers.length;
}

function prefixLengthOf(match: RouteMatch): number {
  return match.path?.type === "PathPrefix" ? match.path.value.length : 0;
}
