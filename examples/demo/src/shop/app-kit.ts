import type { Upstream } from "./upstream.ts";

/** What an HTTP service's handler sees of a request. */
export interface ShopRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  body: unknown;
  /** Which instance answers, e.g. cart-v2 (handlers may differ by version). */
  instance: { name: string; version: string };
}

export type ShopReply = { status: number; json: unknown } | { status: number; html: string };

export interface HttpService {
  protocol: "http";
  handle(request: ShopRequest, upstream: Upstream): Promise<ShopReply>;
}

/** Unary gRPC methods by full path, e.g. /loom.demo.Inventory/Reserve. */
export interface GrpcService {
  protocol: "grpc";
  methods: Record<string, (message: unknown, upstream: Upstream) => Promise<unknown>>;
}

export type ServiceModule = HttpService | GrpcService;

/** A refusal the handler means (a 404, a 400), as opposed to a failure. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function json(body: unknown, status = 200): ShopReply {
  return { status, json: body };
}

/** A small deterministic catalogue shared by the services, so their answers agree with each other. */
export const PRODUCTS = Array.from({ length: 40 }, (_, index) => ({
  id: `p${index + 1}`,
  name: `${["Linen", "Wool", "Cotton", "Silk", "Hemp"][index % 5]} ${["shirt", "scarf", "blanket", "apron", "tote", "cap", "sock", "towel"][index % 8]}`,
  priceCents: 900 + ((index * 737) % 6_000),
}));

export function productById(id: string): (typeof PRODUCTS)[number] {
  const product = PRODUCTS.find((candidate) => candidate.id === id);
  if (product === undefined) throw new HttpError(404, `no product ${id}`);
  return product;
}

/** The users the load generator shops as; cart and checkout key their state by these. */
export const USER_COUNT = 200;

export function pick<T>(items: readonly T[], count: number): T[] {
  const start = Math.floor(Math.random() * items.length);
  return Array.from({ length: Math.min(count, items.length) }, (_, offset) => {
    return items[(start + offset * 7) % items.length] as T;
  });
}
