import tls from "node:tls";
import type { ChainInstance } from "./chain.ts";

/**
 * The serial of the certificate a proxy's inbound presents right now. The handshake is cut short on purpose:
 * the probe has no client certificate, but the server's certificate arrives before the proxy could refuse it.
 */
export function servedSerial(instance: ChainInstance): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      host: instance.address,
      port: instance.inboundPort,
      rejectUnauthorized: false,
      ALPNProtocols: ["http/1.1"],
    });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no TLS handshake with ${instance.name}`));
    }, 5_000);
    socket.once("secureConnect", () => {
      clearTimeout(timer);
      const serial = socket.getPeerCertificate().serialNumber;
      socket.destroy();
      resolve(serial);
    });
    socket.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}
