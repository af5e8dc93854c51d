import type { Duplex } from "node:stream";
import { dial, type PoolOptions } from "./dial.ts";
import { BodyFramer, type PayloadSink } from "./wire/body.ts";
import { parseResponseHead, type ResponseHead } from "./wire/head.ts";

/** Node's own limit for response heads. */
const MAX_RESPONSE_HEAD_BYTES = 16 * 1024;

/** What one request on an upstream connection reports to; the connection owns no request state beyond it. */
export interface UpstreamExchange {
  /** Body bytes as on the wire (chunked framing kept) rather than de-chunked. */
  readonly wantsWireBody: boolean;
  /** `untilClose`: the body has no framing of its own and ends with the connection. */
  onResponseHead(head: ResponseHead, untilClose: boolean): void;
  /** Body bytes; `buffer` is only valid during the call (plaintext reads share one buffer): copy to keep. */
  onResponseBody(buffer: Buffer, start: number, end: number): void;
  /** The response is complete (the connection may already serve someone else). */
  onResponseEnd(): void;
  /** The connection failed before the response ended; `connected` tells a reset from a failed dial. */
  onUpstreamError(connected: boolean): void;
  /** A burst of response bytes was handed over: a good moment to flush what was buffered for the caller. */
  onResponseFlush(): void;
  /** The request body may flow again after the connection asked it to wait. */
  onRequestDrain(): void;
}

/** Gives connections back to their pool or forgets them. */
export interface ConnectionOwner {
  release(connection: UpstreamConnection): void;
  forget(connection: UpstreamConnection): void;
}

/**
 * One keep-alive HTTP/1.1 connection to an upstream: it writes request heads and bodies as given and parses
 * the responses with the strict wire parser. Listeners are attached once per connection, not per request.
 */
export class UpstreamConnection implements PayloadSink {
  private exchange: UpstreamExchange | undefined;
  private head: ResponseHead | undefined;
  private partial: Buffer | undefined;
  private readonly framer = new BodyFramer();
  private noResponseBody = false;
  private requestEnded = false;
  private closed = false;
  private connected = false;
  /** Paused for the caller's backpressure; a connection never goes back to its pool paused. */
  private readingPaused = false;
  /** Requests this connection carried, the current one included. */
  requests = 0;
  /** When it went back to its pool, for the idle timeout. */
  idleSince = 0;

  readonly socket: Duplex;

  constructor(
    private readonly owner: ConnectionOwner,
    options: PoolOptions,
  ) {
    const socket = options.tls ? dial(options) : dial(options, this.onRead);
    this.socket = socket;
    if (options.tls) socket.on("data", this.onData);
    socket.on("drain", this.onDrain);
    socket.once(options.tls ? "secureConnect" : "connect", this.onConnect);
    socket.on("error", this.onSocketError);
    socket.once("close", this.onClose);
  }

  get busy(): boolean {
    return this.exchange !== undefined;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Writes a request head (and the whole body, when given); `headRequest` means no response body. */
  send(exchange: UpstreamExchange, head: string, body: Buffer | undefined, headRequest: boolean): void {
    this.exchange = exchange;
    this.head = undefined;
    this.noResponseBody = headRequest;
    this.requests += 1;
    this.requestEnded = body !== undefined;
    if (body === undefined || body.length === 0) {
      this.socket.write(head, "latin1");
    } else {
      const headLength = Buffer.byteLength(head, "latin1");
      const message = Buffer.allocUnsafe(headLength + body.length);
      message.write(head, 0, "latin1");
      body.copy(message, headLength);
      this.socket.write(message);
    }
  }

  /** Streams request body bytes (wire framing included); false asks the caller to wait for onRequestDrain. */
  writeBody(exchange: UpstreamExchange, chunk: Buffer): boolean {
    if (exchange !== this.exchange || this.closed) return true;
    return this.socket.write(chunk);
  }

  endBody(exchange: UpstreamExchange): void {
    if (exchange !== this.exchange) return;
    this.requestEnded = true;
    if (this.head !== undefined && this.framer.done) this.complete();
  }

  /** Stops reading until `resumeReading`: the exchange's caller is not taking the response fast enough. */
  pauseReading(exchange: UpstreamExchange): void {
    if (exchange !== this.exchange || this.readingPaused) return;
    this.readingPaused = true;
    this.socket.pause();
  }

  resumeReading(exchange: UpstreamExchange): void {
    if (exchange !== this.exchange) return;
    this.resume();
  }

  /** Gives up on the exchange: the connection cannot be trusted to be at a message boundary any more. */
  abort(exchange: UpstreamExchange): void {
    if (exchange !== this.exchange) return;
    this.exchange = undefined;
    this.socket.destroy();
  }

  destroy(): void {
    this.socket.destroy();
  }

  payload(buffer: Buffer, start: number, end: number): void {
    this.exchange?.onResponseBody(buffer, start, end);
  }

  private readonly onRead = (bytes: number, buffer: Buffer): boolean => {
    this.onData(buffer.subarray(0, bytes));
    // Reading stops through socket.pause() (backpressure), not through this answer.
    return true;
  };

  private readonly onData = (chunk: Buffer): void => {
    const exchange = this.exchange;
    if (exchange === undefined) {
      // Bytes nobody asked for: the connection is out of step.
      this.socket.destroy();
      return;
    }
    let buffer = chunk;
    if (this.partial !== undefined) {
      buffer = Buffer.concat([this.partial, chunk]);
      this.partial = undefined;
    }
    let at = 0;
    if (this.head === undefined) {
      at = this.readHead(buffer, exchange);
      if (at === -1 || this.exchange !== exchange) return;
    }
    const end = this.framer.consume(buffer, at, exchange.wantsWireBody ? undefined : this);
    if (exchange.wantsWireBody && end > at) exchange.onResponseBody(buffer, at, end);
    if (this.exchange !== exchange) return;
    if (this.framer.done) {
      if (end < buffer.length) this.socket.destroy();
      this.complete();
    } else {
      exchange.onResponseFlush();
    }
  };

  /** Parses the response head (skipping 1xx interim responses); the offset after it, or -1 for "not yet". */
  private readHead(buffer: Buffer, exchange: UpstreamExchange): number {
    let at = 0;
    for (;;) {
      let head: ResponseHead | undefined;
      try {
        head = parseResponseHead(buffer, at, MAX_RESPONSE_HEAD_BYTES);
      } catch {
        this.fail();
        return -1;
      }
      if (head === undefined) {
        // Copied: the bytes may sit in the shared read buffer.
        this.partial = Buffer.from(buffer.subarray(at));
        return -1;
      }
      at += head.length;
      if (head.status >= 200) {
        this.head = head;
        break;
      }
      if (head.status === 101) {
        this.fail();
        return -1;
      }
    }
    const head = this.head;
    if (this.noResponseBody || head.status === 204 || head.status === 304) this.framer.none();
    else if (head.chunked) this.framer.chunked();
    else if (head.transferEncoding) this.framer.untilClose();
    else if (head.contentLength !== -1) this.framer.length(head.contentLength);
    else this.framer.untilClose();
    exchange.onResponseHead(head, this.framer.endsWithConnection);
    return at;
  }

  /** The response ended: hand the connection back if both messages ended cleanly, and tell the exchange. */
  private complete(): void {
    const exchange = this.exchange;
    const head = this.head;
    if (exchange === undefined || head === undefined) return;
    if (!this.requestEnded) {
      // Answered before the request body was sent: wait for it, the exchange ends meanwhile.
      this.exchange = undefined;
      this.socket.destroy();
      exchange.onResponseEnd();
      return;
    }
    // Its last bytes may have been read while the caller pushed back: the next exchange must be read.
    this.resume();
    this.exchange = undefined;
    this.head = undefined;
    const reusable = !head.close && !this.framer.endsWithConnection && !this.closed;
    if (reusable) this.owner.release(this);
    else this.socket.destroy();
    exchange.onResponseEnd();
  }

  private resume(): void {
    if (!this.readingPaused) return;
    this.readingPaused = false;
    this.socket.resume();
  }

  private fail(): void {
    const exchange = this.exchange;
    this.exchange = undefined;
    this.socket.destroy();
    exchange?.onUpstreamError(this.connected);
  }

  private readonly onConnect = (): void => {
    this.connected = true;
  };

  private readonly onDrain = (): void => {
    this.exchange?.onRequestDrain();
  };

  private readonly onSocketError = (): void => {
    this.socket.destroy();
  };

  private readonly onClose = (): void => {
    this.closed = true;
    this.owner.forget(this);
    const exchange = this.exchange;
    if (exchange === undefined) return;
    if (this.head !== undefined && this.framer.endsWithConnection) {
      this.requestEnded = true;
      this.complete();
      return;
    }
    this.exchange = undefined;
    exchange.onUpstreamError(this.connected);
  };
}
