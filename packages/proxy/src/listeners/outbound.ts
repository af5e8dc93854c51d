import type { Protocol } from "@loom/spec";
import type { ProxyContext } from "../context.ts";
import { rawHttpConnectionHandler } from "../http/raw-server.ts";
import { http2ConnectionHandler } from "./http2.ts";
import { type Listener, plainListener } from "./listener.ts";
import { handleOutbound, outboundHttpHandler } from "./outbound-http.ts";
import { outboundHttp2Handler } from "./outbound-http2.ts";
import { outboundTcpHandler } from "./tcp.ts";

/** The app calls 127.0.0.1:<port> to reach one upstream service, in that service's protocol. */
export function createOutboundListener(context: ProxyContext, port: number, protocol: Protocol): Listener {
  if (protocol === "tcp")
    return plainListener({ serve: outboundTcpHandler(context, port), closeIdle: () => {} });
  if (protocol === "http") {
    return plainListener(
      rawHttpConnectionHandler(
        (downstream) => handleOutbound(context, port, downstream),
        outboundHttpHandler(context, port),
      ),
    );
  }
  return plainListener(http2ConnectionHandler(outboundHttp2Handler(context, port)));
}
