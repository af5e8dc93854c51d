import { HttpError, type HttpService, json, type ShopRequest } from "../app-kit.ts";
import type { Upstream } from "../upstream.ts";

interface Product {
  id: string;
  name: string;
  priceCents: number;
  inStock: number;
}

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"]/g,
    (char) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[char] ?? char,
  );
const price = (cents: number) => `€${(cents / 100).toFixed(2)}`;

/** Recommendations are a nice-to-have: the page is served without them when they fail. */
async function recommended(upstream: Upstream, user: string): Promise<Product[]> {
  try {
    return (await upstream.get<{ products: Product[] }>("recommendations", `/recommendations?user=${user}`))
      .products;
  } catch {
    return [];
  }
}

function userOf(request: ShopRequest): string {
  const user = request.query.get("user") ?? (request.body as { user?: string } | undefined)?.user;
  return user !== undefined && /^[\w-]{1,40}$/.test(user) ? user : "guest";
}

async function homePage(request: ShopRequest, upstream: Upstream) {
  const user = userOf(request);
  const [listing, picks, cart] = await Promise.all([
    upstream.get<{ products: Product[] }>("catalog", "/products?limit=8"),
    recommended(upstream, user),
    upstream.get<{ items: unknown[]; totalCents: number }>("cart", `/carts/${user}`),
  ]);
  const rows = (products: Product[]) =>
    products
      .map((p) => `<li>${escapeHtml(p.name)} — ${price(p.priceCents)} (${p.inStock} in stock)</li>`)
      .join("");
  return {
    status: 200,
    html: `<!doctype html><title>Loom demo shop</title><h1>Loom demo shop</h1>
<p>Cart of ${escapeHtml(user)}: ${cart.items.length} item(s), ${price(cart.totalCents)}</p>
<h2>Products</h2><ul>${rows(listing.products)}</ul><h2>You may also like</h2><ul>${rows(picks)}</ul>`,
  };
}

/** The storefront: every page is composed from the other services, called through web's sidecar. */
export function web(): HttpService {
  return {
    protocol: "http",
    async handle(request, upstream) {
      const route = `${request.method} ${request.path}`;
      if (route === "GET /") return homePage(request, upstream);
      const product = /^GET \/products\/([\w-]+)$/.exec(route)?.[1];
      if (product !== undefined) {
        const [details, picks] = await Promise.all([
          upstream.get<Product>("catalog", `/products/${product}`),
          recommended(upstream, userOf(request)),
        ]);
        return json({ product: details, recommendations: picks });
      }
      if (route === "POST /cart/items")
        return json(await upstream.post("cart", `/carts/${userOf(request)}/items`, request.body));
      if (route === "POST /checkout")
        return json(await upstream.post("checkout", "/orders", { user: userOf(request) }), 201);
      throw new HttpError(404, `no route ${route}`);
    },
  };
}
