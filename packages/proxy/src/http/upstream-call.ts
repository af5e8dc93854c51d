import type { BodySink, Downstream, DrainWaiter } from "./downstream.ts";
import type { ConnectionWaiter, UpstreamPool } from "./pool.ts";
import type { UpstreamConnection, UpstreamExchange } from "./upstream-connection.ts";
import type { ResponseHead } from "./wire/head.ts";

/** Decides what happens with a call's response; implemented by the inbound and outbound exchanges. */
export interface CallOwner {
  /** The call got a connection (it no longer waits in the pool's line). */
  onCallConnected(call: UpstreamCall): void;
  /**
   * Response head: relay it (the owner has called `downstream.respond`) or drop it and its body (false).
   * `untilClose`: the body has no framing of its own and ends with the upstream connection.
   */
  onCallResponse(call: UpstreamCall, head: ResponseHead, untilClose: boolean): boolean;
  /** The call failed before a response head; `connected` tells a reset from a connection that never came up. */
  onCallError(call: UpstreamCall, connected: boolean): void;
  /** The relayed response was written whole, or broke off after it started. */
  onCallEnd?(call: UpstreamCall): void;
}

/**
 * One request sent upstream over a pooled connection, and its response relayed to the caller: request body
 * streamed from the caller (or sent from a buffer, for replays), response body streamed back with backpressure
 * both ways. What the response means (retry, relay, which headers) is up to its owner.
 */
export class UpstreamCall implements UpstreamExchange, ConnectionWaiter, BodySink, DrainWaiter {
  private connection: UpstreamConnection | undefined;
  private relaying = false;
  private over = false;
  /** The connection had carried requests before this one (a reset then may just be a stale keep-alive). */
  reused = false;
  readonly wantsWireBody: boolean;

  constructor(
    private readonly owner: CallOwner,
    private readonly pool: UpstreamPool,
    private readonly downstream: Downstream,
    private readonly head: string,
    /** The whole body, or null to stream it from the caller. */
    private readonly body: Buffer | null,
  ) {
    this.wantsWireBody = downstream.wantsWireBody;
  }

  start(): void {
    const connection = this.pool.acquire(this);
    if (connection) this.onConnection(connection);
  }

  onConnection(connection: UpstreamConnection): void {
    if (this.over) {
      this.pool.release(connection);
      return;
    }
    this.connection = connection;
    this.reused = connection.requests > 0;
    this.owner.onCallConnected(this);
    const headRequest = this.downstream.method === "HEAD";
    if (this.body !== null) {
      connection.send(this, this.head, this.body, headRequest);
      return;
    }
    connection.send(this, this.head, undefined, headRequest);
    this.downstream.pipeBody(this);
  }

  /** Stops the call: waiting for a connection, sending, or relaying. */
  abort(): void {
    if (this.over) return;
    this.over = true;
    if (this.connection) this.connection.abort(this);
    else this.pool.cancel(this);
  }

  write(chunk: Buffer): boolean {
    return this.connection ? this.connection.writeBody(this, chunk) : true;
  }

  end(): void {
    this.connection?.endBody(this);
  }

  onRequestDrain(): void {
    this.downstream.resumeBody();
  }

  onResponseHead(head: ResponseHead, untilClose: boolean): void {
    if (this.over) return;
    this.relaying = this.owner.onCallResponse(this, head, untilClose);
  }

  onResponseBody(buffer: Buffer, start: number, end: number): void {
    if (!this.relaying || this.over) return;
    if (!this.downstream.writeBody(buffer, start, end)) {
      this.connection?.pauseReading(this);
      this.downstream.waitDrain(this);
    }
  }

  onResponseFlush(): void {
    if (this.relaying && !this.over) this.downstream.flush();
  }

  onDownstreamDrain(): void {
    this.connection?.resumeReading(this);
  }

  onResponseEnd(): void {
    if (this.over) return;
    this.over = true;
    if (!this.relaying) return;
    this.downstream.endResponse();
    this.owner.onCallEnd?.(this);
  }

  onUpstreamError(connected: boolean): void {
    if (this.over) return;
    this.over = true;
    if (this.relaying) {
      // The response broke off after it started: the caller can only see a cut connection.
      this.downstream.destroy();
      this.owner.onCallEnd?.(this);
      return;
    }
    this.owner.onCallError(this, connected);
  }
}
