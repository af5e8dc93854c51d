import { HttpError, type HttpService, json, pick } from "../app-kit.ts";

interface Listing {
  products: { id: string; name: string; inStock: number }[];
}

/** "You may also like": a few in-stock products from the catalog. */
export function recommendations(): HttpService {
  return {
    protocol: "http",
    async handle(request, upstream) {
      if (request.method !== "GET" || request.path !== "/recommendations")
        throw new HttpError(404, `no route ${request.method} ${request.path}`);
      const { products } = await upstream.get<Listing>("catalog", "/products?limit=8");
      const inStock = products.filter((product) => product.inStock > 0);
      return json({ for: request.query.get("user"), products: pick(inStock, 4) });
    },
  };
}
