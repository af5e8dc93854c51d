import type { Inbound, Protocol } from "@loom/spec";
import type { ProxyContext } from "../context.ts";
import { rawHttpConnectionHandler } from "../http/raw-server.ts";
import { createMeshListener } from "./accept.ts";
import { http2ConnectionHandler, inboundHttp2Handler } from "./http2.ts";
import { handleInbound, inboundHttpHandler } from "./inbound-http.ts";
import { Listener } from "./listener.ts";
import { inboundTcpHandler } from "./tcp.ts";

const ALPN: Record<Protocol, string[]> = { http: ["http/1.1"], http2: ["h2"], grpc: ["h2"], tcp: [] };

/** One inbound port: peers' proxies connect here (mTLS as the mesh says) and reach the local app. */
export function createInboundListener(context: ProxyContext, inbound: Inbound): Listener {
  const handler =
    inbound.protocol === "tcp"
      ? { serve: inboundTcpHandler(context, inbound.appPort), closeIdle: () => {} }
      : inbound.protocol === "http"
        ? rawHttpConnectionHandler(
            (downstream) => handleInbound(context, inbound.appPort, downstream),
            inboundHttpHandler(context, inbound.appPort),
          )
        : http2ConnectionHandler(inboundHttp2Handler(context, inbound.appPort));
  const server = createMeshListener({
    mode: () => context.config.snapshot.mesh.spec.mtls.mode,
    trustDomain: () => context.config.snapshot.mesh.spec.mtls.trustDomain,
    tls: () => context.tls,
    alpn: ALPN[inbound.protocol],
    serve: handler.serve,
  });
  return new Listener(server, handler);
}
