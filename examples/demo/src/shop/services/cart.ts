import { HttpError, type HttpService, json, PRODUCTS, USER_COUNT } from "../app-kit.ts";

interface CartItem {
  productId: string;
  quantity: number;
  priceCents: number;
}

function cartOf(carts: Map<string, CartItem[]>, user: string): CartItem[] {
  let items = carts.get(user);
  if (items === undefined) {
    const seed = PRODUCTS[Number(user.replace(/\D/g, "")) % PRODUCTS.length] ?? PRODUCTS[0];
    items = seed ? [{ productId: seed.id, quantity: 1, priceCents: seed.priceCents }] : [];
    if (carts.size < USER_COUNT * 2) carts.set(user, items);
  }
  return items;
}

/** v2 is the canary: it adds a bundle discount for three or more items. */
function totals(items: CartItem[], version: string) {
  const subtotalCents = items.reduce((sum, item) => sum + item.priceCents * item.quantity, 0);
  const count = items.reduce((sum, item) => sum + item.quantity, 0);
  const discountCents = version === "v2" && count >= 3 ? Math.round(subtotalCents * 0.1) : 0;
  return { subtotalCents, discountCents, totalCents: subtotalCents - discountCents };
}

/** Each instance keeps its own carts (a split sends a user to either), seeded so none starts empty. */
export function cart(): HttpService {
  const carts = new Map<string, CartItem[]>();
  return {
    protocol: "http",
    async handle(request, upstream) {
      const match = /^\/carts\/([\w-]+)(\/items|\/empty)?$/.exec(request.path);
      const user = match?.[1];
      if (user === undefined) throw new HttpError(404, `no route ${request.path}`);
      const action = `${request.method} ${match?.[2] ?? ""}`;
      const items = cartOf(carts, user);
      if (action === "POST /items") {
        const { productId, quantity } = request.body as { productId: string; quantity: number };
        const product = await upstream.get<{ priceCents: number }>("catalog", `/products/${productId}`);
        const existing = items.find((item) => item.productId === productId);
        if (existing) existing.quantity = Math.min(existing.quantity + quantity, 9);
        else if (items.length < 8) items.push({ productId, quantity, priceCents: product.priceCents });
      } else if (action === "POST /empty") {
        carts.delete(user);
        return json({ user, items: [] });
      } else if (action !== "GET ") {
        throw new HttpError(404, `no route ${request.method} ${request.path}`);
      }
      return json({
        user,
        items,
        ...totals(items, request.instance.version),
        servedBy: request.instance.name,
      });
    },
  };
}
