export { startGateway } from "./gateway.ts";
export { type GatewayConfig, GatewayRoutes } from "./routes.ts";
