import http from "node:http";
import net from "node:net";
import type { Duplex } from "node:stream";
import tls from "node:tls";
import type { TlsMaterial } from "../tls-material.ts";

/** Idle pooled connections close before a typical upstream keep-alive timeout (Node's is 5 s) closes them. */
const MAX_IDLE_MS = 4_000;

const connected = new WeakSet<Duplex>();

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
 * A keep-alive connection pool to one endpoint. LIFO reuse keeps few connections warm; connections are
 * dialled over mTLS with the material current at dial time, so a rotated certificate needs no new pool.
 */
export function createPool(options: PoolOptions): http.Agent {
  const agent = new http.Agent({
    keepAlive: true,
    scheduling: "lifo",
    maxSockets: options.maxSockets,
    maxFreeSockets: 256,
    timeout: Math.min(options.idleTimeoutMs, MAX_IDLE_MS),
  });
  agent.createConnection = () => dial(options);
  return agent;
}

/** One connection to the endpoint: TCP, or mTLS verifying the peer's SPIFFE ID. */
export function dial(options: PoolOptions): Duplex {
  const socket = options.tls
    ? tls.connect({
        ...options.tls.material.clientOptions(options.tls.expectedIdentity),
        host: options.host,
        port: options.port,
        ALPNProtocols: options.alpn ?? ["http/1.1"],
      })
    : net.connect({ host: options.host, port: options.port, noDelay: true });
  const timer = setTimeout(() => {
    const error = new Error(`connect to ${options.host}:${options.port} timed out`) as NodeJS.ErrnoException;
    error.code = "ECONNECT_TIMEOUT";
    socket.destroy(error);
  }, options.connectTimeoutMs);
  socket.once(options.tls ? "secureConnect" : "connect", () => {
    clearTimeout(timer);
    connected.add(socket);
  });
  socket.once("close", () => clearTimeout(timer));
  return socket;
}

/** Whether a failed request's connection never came up (connect or TLS handshake) or broke after it did. */
export function failureKind(socket: Duplex | null | undefined): "connect-failure" | "reset" {
  return socket && connected.has(socket) ? "reset" : "connect-failure";
}
