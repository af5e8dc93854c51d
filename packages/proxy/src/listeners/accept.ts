import net from "node:net";
import type { Duplex } from "node:stream";
import tls from "node:tls";
import type { MtlsMode } from "@loom/spec";
import { parseSpiffeId, peerSpiffeId } from "../tls/spiffe.ts";
import type { TlsMaterial } from "../tls-material.ts";

/** The first byte of a TLS handshake record. */
const TLS_HANDSHAKE = 0x16;
const HANDSHAKE_TIMEOUT_MS = 10_000;

export interface MeshAcceptOptions {
  /** Read per connection, so a config swap changes the mode for new connections only. */
  mode: () => MtlsMode;
  trustDomain: () => string;
  tls: () => TlsMaterial | undefined;
  alpn: string[];
  /** Receives each accepted connection: plaintext, or mTLS with a verified peer in our trust domain. */
  serve: (socket: Duplex) => void;
}

/**
 * The inbound socket listener. strict: mTLS only; permissive: peeks at the first byte and takes a TLS
 * handshake or plaintext; off: plaintext. A peer must present a certificate that chains to the trust
 * bundle and carries a SPIFFE ID of this mesh's trust domain, or the connection is closed.
 */
export function createMeshListener(options: MeshAcceptOptions): net.Server {
  const terminateTls = tlsTerminator(options);
  return net.createServer({ noDelay: true }, (socket) => {
    socket.on("error", () => socket.destroy());
    const mode = options.mode();
    if (mode === "off") return options.serve(socket);
    if (mode === "strict") return terminateTls(socket);
    socket.once("data", (first: Buffer) => {
      socket.pause();
      socket.unshift(first);
      if (first[0] === TLS_HANDSHAKE) return terminateTls(socket);
      options.serve(socket);
      // The byte we peeked at waits in the stream's buffer; flowing again hands it to the new owner.
      socket.resume();
    });
  });
}

/**
 * A tls.Server that never listens: it gets connections handed over, verifies client certificates (and
 * closes unauthorized ones), and is given the current certificate whenever the material rotated.
 */
function tlsTerminator(options: MeshAcceptOptions): (socket: net.Socket) => void {
  const server = tls.createServer({
    requestCert: true,
    rejectUnauthorized: true,
    ALPNProtocols: options.alpn,
    handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
  });
  let installed: tls.SecureContext | undefined;
  server.on("tlsClientError", (_error, socket) => socket.destroy());
  server.on("secureConnection", (socket: tls.TLSSocket) => {
    socket.on("error", () => socket.destroy());
    if (isMeshPeer(socket, options.trustDomain())) options.serve(socket);
    else socket.destroy();
  });
  return (socket) => {
    const material = options.tls();
    if (!material) {
      socket.destroy();
      return;
    }
    const current = material.serverContext();
    if (current !== installed) {
      server.setSecureContext(material.serverContextOptions());
      installed = current;
    }
    server.emit("connection", socket);
  };
}

function isMeshPeer(socket: tls.TLSSocket, trustDomain: string): boolean {
  const id = peerSpiffeId(socket.getPeerCertificate());
  return socket.authorized && id !== undefined && parseSpiffeId(id)?.trustDomain === trustDomain;
}
