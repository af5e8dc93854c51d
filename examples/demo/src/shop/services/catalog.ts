import { HttpError, type HttpService, json, PRODUCTS, productById } from "../app-kit.ts";
import type { Upstream } from "../upstream.ts";

const STOCK_LEVELS = "/loom.demo.Inventory/StockLevels";

async function withStock<P extends { id: string }>(products: P[], upstream: Upstream) {
  const { levels } = await upstream.grpc<{ levels: Record<string, number> }>("inventory", STOCK_LEVELS, {
    ids: products.map((product) => product.id),
  });
  return products.map((product) => ({ ...product, inStock: levels[product.id] ?? 0 }));
}

/** Products and prices; every listing carries stock levels from inventory (gRPC). */
export function catalog(): HttpService {
  return {
    protocol: "http",
    async handle(request, upstream) {
      if (request.method !== "GET") throw new HttpError(405, `${request.method} is not allowed`);
      if (request.path === "/products") {
        const limit = Math.min(Number(request.query.get("limit") ?? 12), PRODUCTS.length);
        const offset = Math.floor(Math.random() * (PRODUCTS.length - limit + 1));
        return json({ products: await withStock(PRODUCTS.slice(offset, offset + limit), upstream) });
      }
      const match = /^\/products\/([\w-]+)$/.exec(request.path);
      if (match?.[1] !== undefined) {
        const [product] = await withStock([productById(match[1])], upstream);
        return json(product);
      }
      throw new HttpError(404, `no route ${request.path}`);
    },
  };
}
