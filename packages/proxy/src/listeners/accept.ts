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
  return net.createServer({ noDelay: true }, (socket) => {
    socket.on("error", () => socket.destroy());
    const mode = options.mode();
    if (mode === "off") return options.serve(socket);
    if (mode === "strict") return upgrade(socket, options);
    socket.once("data", (first: Buffer) => {
      socket.pause();
      socket.unshift(first);
      if (first[0] === TLS_HANDSHAKE) upgrade(socket, options);
      else options.serve(socket);
    });
  });
}

function upgrade(socket: net.Socket, options: MeshAcceptOptions): void {
  const material = options.tls();
  if (!material) {
    socket.destroy();
    return;
  }
  const secure = new tls.TLSSocket(socket, {
    isServer: true,
    secureContext: material.serverContext(),
    requestCert: true,
    rejectUnauthorized: true,
    ALPNProtocols: options.alpn,
  });
  const timer = setTimeout(() => secure.destroy(), HANDSHAKE_TIMEOUT_MS);
  secure.on("error", () => secure.destroy());
  secure.once("close", () => clearTimeout(timer));
  secure.once("secure", () => {
    clearTimeout(timer);
    if (!isMeshPeer(secure, options.trustDomain())) {
      secure.destroy();
      return;
    }
    options.serve(secure);
  });
}

function isMeshPeer(socket: tls.TLSSocket, trustDomain: string): boolean {
  if (!socket.authorized) return false;
  const id = peerSpiffeId(socket.getPeerCertificate());
  return id !== undefined && parseSpiffeId(id)?.trustDomain === trustDomain;
}
