import type { PoolOptions } from "./dial.ts";
import { type ConnectionOwner, UpstreamConnection } from "./upstream-connection.ts";

/** Idle pooled connections close before a typical upstream keep-alive timeout (Node's is 5 s) closes them. */
const MAX_IDLE_MS = 4_000;
const MIN_SWEEP_MS = 1_000;

/** Waits for a connection when the pool is at its limit. */
export interface ConnectionWaiter {
  onConnection(connection: UpstreamConnection): void;
}

/**
 * A keep-alive HTTP/1.1 connection pool to one endpoint. LIFO reuse keeps few connections warm; connections are
 * dialled over mTLS with the material current at dial time, so a rotated certificate needs no new pool.
 * At `maxConnections`, requests wait in line (the circuit breaker bounds how many may wait).
 */
export class UpstreamPool implements ConnectionOwner {
  maxConnections: number;
  private readonly idle: UpstreamConnection[] = [];
  private readonly waiting: ConnectionWaiter[] = [];
  private open = 0;
  private readonly idleTimeoutMs: number;
  private sweeper: NodeJS.Timeout | undefined;
  private destroyed = false;

  constructor(readonly options: PoolOptions) {
    this.maxConnections = options.maxSockets;
    this.idleTimeoutMs = Math.min(options.idleTimeoutMs, MAX_IDLE_MS);
  }

  /** A connection now (`reused` tells whether it carried requests before), or undefined: `waiter` is called later. */
  acquire(waiter: ConnectionWaiter): UpstreamConnection | undefined {
    const now = Date.now();
    for (let connection = this.idle.pop(); connection !== undefined; connection = this.idle.pop()) {
      if (now - connection.idleSince < this.idleTimeoutMs && !connection.isClosed) return connection;
      connection.destroy();
    }
    if (this.open < this.maxConnections) return this.connect();
    this.waiting.push(waiter);
    return undefined;
  }

  /** Stops waiting (the request gave up before it got a connection). */
  cancel(waiter: ConnectionWaiter): void {
    const index = this.waiting.indexOf(waiter);
    if (index !== -1) this.waiting.splice(index, 1);
  }

  release(connection: UpstreamConnection): void {
    if (this.destroyed) {
      connection.destroy();
      return;
    }
    const waiter = this.waiting.shift();
    if (waiter) {
      waiter.onConnection(connection);
      return;
    }
    connection.idleSince = Date.now();
    this.idle.push(connection);
    this.sweeper ??= setInterval(this.sweep, Math.max(MIN_SWEEP_MS, this.idleTimeoutMs / 2)).unref();
  }

  forget(connection: UpstreamConnection): void {
    this.open -= 1;
    const index = this.idle.indexOf(connection);
    if (index !== -1) this.idle.splice(index, 1);
    // A slot freed up: the first in line dials.
    if (this.waiting.length > 0 && !this.destroyed && this.open < this.maxConnections) {
      (this.waiting.shift() as ConnectionWaiter).onConnection(this.connect());
    }
  }

  destroy(): void {
    this.destroyed = true;
    clearInterval(this.sweeper);
    for (const connection of this.idle.splice(0)) connection.destroy();
  }

  private connect(): UpstreamConnection {
    this.open += 1;
    return new UpstreamConnection(this, this.options);
  }

  private readonly sweep = (): void => {
    const oldest = Date.now() - this.idleTimeoutMs;
    // The least recently used connections sit at the start of the LIFO list.
    while (this.idle.length > 0 && (this.idle[0] as UpstreamConnection).idleSince <= oldest) {
      (this.idle.shift() as UpstreamConnection).destroy();
    }
    if (this.idle.length === 0) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  };
}
