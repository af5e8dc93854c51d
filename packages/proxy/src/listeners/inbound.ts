import type { Inbound } from "@loom/spec";
import type { ProxyContext } from "../context.ts";
import { httpConnectionHandler } from "../http/server.ts";
import { createMeshListener } from "./accept.ts";
import { inboundHttpHandler } from "./inbound-http.ts";
import { Listener } from "./listener.ts";
import { inboundTcpHandler } from "./tcp.ts";

/** One inbound port: peers' proxies connect here (mTLS as the mesh says) and reach the local app. */
export function createInboundListener(context: ProxyContext, inbound: Inbound): Listener {
  const handler =
    inbound.protocol === "tcp"
      ? { serve: inboundTcpHandler(context, inbound.appPort), closeIdle: () => {} }
      : httpConnectionHandler(inboundHttpHandler(context, inbound.appPort));
  const server = createMeshListener({
    mode: () => context.config.snapshot.mesh.spec.mtls.mode,
    trustDomain: () => context.config.snapshot.mesh.spec.mtls.trustDomain,
    tls: () => context.tls,
    alpn: inbound.protocol === "tcp" ? [] : ["http/1.1"],
    serve: handler.serve,
  });
  return new Listener(server, handler);
}
