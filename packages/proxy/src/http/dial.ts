import net from "node:net";
import type { Duplex } from "node:stream";
import tls from "node:tls";
import type { TlsMaterial } from "../tls-material.ts";

export interface PoolOptions {
  host: string;
  port: number;
  /** mTLS to a peer proxy that must present this SPIFFE ID; absent means plaintext. */
  tls?: { material: TlsMaterial; expectedIdentity: string };
  maxSockets: number;
  connectTimeoutMs: number;
  idleTimeoutMs: number;
  alpn?: string[];
}

/**
 * Plaintext upstream reads land here instead of in a fresh 64 KiB buffer each (and skip the stream machinery);
 * one buffer serves every connection, since each read is handled before the next.
 */
const SHARED_READ_BUFFER = Buffer.allocUnsafe(64 * 1024);

/**
 * One connection to the endpoint: TCP, or mTLS verifying the peer's SPIFFE ID. With `onRead`, a TCP
 * connection hands its reads to it in a buffer that is only valid during the call (no "data" events).
 */
export function dial(options: PoolOptions, onRead?: (bytes: number, buffer: Buffer) => boolean): Duplex {
  const socket = options.tls
    ? tls.connect({
        ...options.tls.material.clientOptions(options.tls.expectedIdentity),
        host: options.host,
        // Our own TCP socket, for noDelay: Nagle would hold a small write back until the previous one is acknowledged.
        socket: net.connect({ host: options.host, port: options.port, noDelay: true }),
        ALPNProtocols: options.alpn ?? ["http/1.1"],
      })
    : net.connect({
        host: options.host,
        port: options.port,
        noDelay: true,
        onread: onRead ? { buffer: SHARED_READ_BUFFER, callback: onRead } : undefined,
      });
  const timer = setTimeout(() => {
    const error = new Error(`connect to ${options.host}:${options.port} timed out`) as NodeJS.ErrnoException;
    error.code = "ECONNECT_TIMEOUT";
    socket.destroy(error);
  }, options.connectTimeoutMs);
  socket.once(options.tls ? "secureConnect" : "connect", () => clearTimeout(timer));
  socket.once("close", () => clearTimeout(timer));
  return socket;
}
