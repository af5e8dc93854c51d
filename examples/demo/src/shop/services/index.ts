import type { ServiceModule } from "../app-kit.ts";
import { cart } from "./cart.ts";
import { catalog } from "./catalog.ts";
import { checkout } from "./checkout.ts";
import { inventory } from "./inventory.ts";
import { payments } from "./payments.ts";
import { recommendations } from "./recommendations.ts";
import { web } from "./web.ts";

/** Each demo service's app by the service name the topology uses; each instance gets its own state. */
export const SERVICE_MODULES: Record<string, () => ServiceModule> = {
  web,
  catalog,
  cart,
  checkout,
  payments,
  inventory,
  recommendations,
};
