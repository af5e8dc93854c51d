import { readFile } from "node:fs/promises";
import tls from "node:tls";
import type { ProxyContext } from "../context.ts";
import { httpConnectionHandler } from "../http/server.ts";
import { type ConnectionHandler, Listener, plainListener } from "../listeners/listener.ts";
import { gatewayHttpHandler } from "./handler.ts";
import { type GatewayConfig, GatewayRoutes } from "./routes.ts";

const HANDSHAKE_TIMEOUT_MS = 10_000;

/**
 * Gateway mode: binds the public listener of `bootstrap.gateway` — plain HTTP, or TLS with the operator's
 * certificate (not the mesh's) — once `context` has a config. Returns the listener so the proxy can drain
 * it on SIGTERM along with its inbound ones.
 */
export async function startGateway(
  context: ProxyContext,
  gateway: GatewayConfig,
  host = "0.0.0.0",
): Promise<Listener> {
  const routes = new GatewayRoutes(gateway.routes);
  const handler = httpConnectionHandler(gatewayHttpHandler(context, routes, gateway.tls ? "https" : "http"));
  const listener = gateway.tls ? await tlsListener(handler, gateway.tls) : plainListener(handler);
  await listener.listen(gateway.port, host);
  return listener;
}

async function tlsListener(
  handler: ConnectionHandler,
  files: NonNullable<GatewayConfig["tls"]>,
): Promise<Listener> {
  const [cert, key] = await Promise.all([readFile(files.certFile, "utf8"), readFile(files.keyFile, "utf8")]);
  const server = tls.createServer(
    { cert, key, ALPNProtocols: ["http/1.1"], handshakeTimeout: HANDSHAKE_TIMEOUT_MS, noDelay: true },
    (socket) => handler.serve(socket),
  );
  server.on("tlsClientError", (_error, socket) => socket.destroy());
  return new Listener(server, handler);
}
