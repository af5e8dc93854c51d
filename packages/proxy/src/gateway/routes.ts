import type { Bootstrap } from "@loom/spec";

export type GatewayConfig = NonNullable<Bootstrap["gateway"]>;
export type GatewayRoute = GatewayConfig["routes"][number];

interface CompiledRoute {
  host: string | undefined;
  /** The prefix without a trailing slash; "" for "/", which matches every path. */
  prefix: string;
  service: string;
}

/**
 * The gateway's routing table: a route for the request's host beats a route for any host, then the
 * longest path prefix wins, then the earlier route. Prefixes match whole path segments, as Gateway API's
 * PathPrefix does: `/api` matches `/api` and `/api/cart`, not `/apiary`.
 */
export class GatewayRoutes {
  private readonly routes: readonly CompiledRoute[];

  constructor(routes: readonly GatewayRoute[]) {
    const compiled = routes.map((route) => ({
      host: route.host?.toLowerCase(),
      prefix: route.pathPrefix.replace(/\/+$/, ""),
      service: route.service,
    }));
    const rank = (route: CompiledRoute) => (route.host === undefined ? 0 : 1_000_000) + route.prefix.length;
    // Array#sort is stable, so equal ranks keep the bootstrap's order.
    this.routes = compiled.sort((a, b) => rank(b) - rank(a));
  }

  /** The service for a request, from its Host header (any port dropped) and its path (query ignored). */
  match(hostHeader: string | undefined, path: string): string | undefined {
    const host = hostHeader === undefined ? undefined : hostName(hostHeader);
    for (const route of this.routes) {
      if (route.host !== undefined && route.host !== host) continue;
      if (pathHasPrefix(path, route.prefix)) return route.service;
    }
    return undefined;
  }
}

function pathHasPrefix(path: string, prefix: string): boolean {
  if (prefix === "") return true;
  if (!path.startsWith(prefix)) return false;
  const next = path.charCodeAt(prefix.length);
  // End of path, "/", "?" or "#" ends the segment.
  return Number.isNaN(next) || next === 47 || next === 63 || next === 35;
}

/** `Shop.Example:8443` → `shop.example`; `[::1]:8080` → `[::1]`. */
export function hostName(hostHeader: string): string {
  const end = hostHeader.startsWith("[") ? hostHeader.indexOf("]") + 1 : hostHeader.lastIndexOf(":");
  return (end > 0 ? hostHeader.slice(0, end) : hostHeader).toLowerCase();
}
