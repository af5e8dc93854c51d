import { HttpError, type HttpService, json } from "../app-kit.ts";

interface Cart {
  items: { productId: string; quantity: number }[];
  totalCents: number;
}

/** Places an order: reads the cart, reserves stock (gRPC), charges the card, empties the cart. */
export function checkout(): HttpService {
  let orders = 0;
  return {
    protocol: "http",
    async handle(request, upstream) {
      if (request.method !== "POST" || request.path !== "/orders")
        throw new HttpError(404, `no route ${request.method} ${request.path}`);
      const { user } = request.body as { user: string };
      const cart = await upstream.get<Cart>("cart", `/carts/${user}`);
      const { reservationId } = await upstream.grpc<{ reservationId: string }>(
        "inventory",
        "/loom.demo.Inventory/Reserve",
        { items: cart.items },
      );
      const charge = await upstream.post<{ chargeId: string }>("payments", "/charges", {
        user,
        amountCents: cart.totalCents,
      });
      await upstream.post("cart", `/carts/${user}/empty`, {});
      orders += 1;
      return json({ orderId: `o${orders}`, reservationId, chargeId: charge.chargeId }, 201);
    },
  };
}
