import net from "node:net";
import type { Duplex } from "node:stream";
import tls from "node:tls";
import type { RequestDirection } from "@loom/spec";
import type { ProxyContext } from "../context.ts";
import { callerIdentity } from "../filters/identity.ts";
import { pickEndpoint } from "../lb/p2c-ewma.ts";

/** Peers → local app: bytes both ways, counted. */
export function inboundTcpHandler(context: ProxyContext, appPort: number) {
  return (downstream: Duplex): void => {
    const identity = callerIdentity(downstream);
    const app = net.connect({ host: "127.0.0.1", port: appPort, noDelay: true });
    splice(
      context,
      "inbound",
      identity.source,
      context.service,
      identity.tls,
      downstream,
      app,
      app,
      "upstream",
    );
  };
}

/** App → upstream service: one endpoint per connection, chosen like HTTP requests, over mTLS when the mesh says so. */
export function outboundTcpHandler(context: ProxyContext, port: number) {
  return (downstream: Duplex): void => {
    const outbound = context.config.outbounds.get(port);
    const backend = outbound?.routes.match("GET", "/", {})?.pickBackend();
    const endpoint = backend && pickEndpoint(backend.endpoints, Date.now());
    if (!outbound || !endpoint) {
      downstream.destroy();
      return;
    }
    const { address, port: endpointPort, identity } = endpoint.endpoint;
    const upstream =
      outbound.tls && context.tls
        ? tls.connect({
            ...context.tls.clientOptions(identity),
            host: address,
            port: endpointPort,
            ALPNProtocols: [],
          })
        : net.connect({ host: address, port: endpointPort, noDelay: true });
    endpoint.inFlight += 1;
    upstream.once("close", () => {
      endpoint.inFlight -= 1;
    });
    const destination = outbound.snapshot.service;
    splice(
      context,
      "outbound",
      context.service,
      destination,
      outbound.tls,
      downstream,
      upstream,
      downstream,
      "downstream",
    );
  };
}

/**
 * Pipes two sockets into each other and counts the connection and its bytes. Bytes are read off the plain
 * socket on the local side (`measured`), which carries payload only, no TLS records.
 */
function splice(
  context: ProxyContext,
  direction: RequestDirection,
  source: string,
  destination: string,
  tlsUsed: boolean,
  downstream: Duplex,
  upstream: Duplex,
  measured: net.Socket | Duplex,
  measuredSide: "downstream" | "upstream",
): void {
  const { metrics } = context;
  metrics.tcpConnections.labels(direction, source, destination, tlsUsed ? "true" : "false").inc();
  const open = metrics.tcpConnectionsOpen.labels(direction, source, destination);
  open.inc();
  const close = () => {
    downstream.destroy();
    upstream.destroy();
  };
  downstream.on("error", close);
  upstream.on("error", close);
  let counted = false;
  const count = () => {
    if (counted) return;
    counted = true;
    open.dec();
    const socket = measured as net.Socket;
    // rx = from the downstream side; on the upstream socket that is what we wrote to it.
    const rx = measuredSide === "downstream" ? socket.bytesRead : socket.bytesWritten;
    const tx = measuredSide === "downstream" ? socket.bytesWritten : socket.bytesRead;
    metrics.tcpBytes.labels(direction, source, destination, "rx").inc(rx);
    metrics.tcpBytes.labels(direction, source, destination, "tx").inc(tx);
  };
  downstream.once("close", () => {
    upstream.destroy();
    count();
  });
  upstream.once("close", () => {
    downstream.end();
    count();
  });
  downstream.pipe(upstream);
  upstream.pipe(downstream);
}
