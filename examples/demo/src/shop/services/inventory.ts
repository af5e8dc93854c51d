import { type GrpcService, PRODUCTS } from "../app-kit.ts";
import { GrpcError, GrpcStatus } from "../grpc.ts";

function levelOf(stock: Map<string, number>, id: string): number {
  const level = stock.get(id);
  if (level === undefined) throw new GrpcError(GrpcStatus.NOT_FOUND, `no product ${id}`);
  return level;
}

/** Stock levels over gRPC: catalog asks before it lists products, checkout reserves what it sells. */
export function inventory(): GrpcService {
  const stock = new Map(PRODUCTS.map((product, index) => [product.id, 20 + ((index * 13) % 80)]));
  let reservations = 0;
  return {
    protocol: "grpc",
    methods: {
      "/loom.demo.Inventory/StockLevels": async (message) => {
        const { ids } = message as { ids: string[] };
        return { levels: Object.fromEntries(ids.map((id) => [id, levelOf(stock, id)])) };
      },
      "/loom.demo.Inventory/Reserve": async (message) => {
        const { items } = message as { items: { productId: string; quantity: number }[] };
        for (const item of items) {
          // The shop never runs out: a sold-out product is restocked, so the demo's traffic stays steady.
          const left = levelOf(stock, item.productId) - item.quantity;
          stock.set(item.productId, left > 0 ? left : 100);
        }
        reservations += 1;
        return { reservationId: `r${reservations}` };
      },
    },
  };
}
