import type { Duplex } from "node:stream";
import type { BodySink, Downstream, DrainWaiter } from "./downstream.ts";
import { type RawConnectionPort, RawDownstream } from "./raw-downstream.ts";
import { BodyFramer } from "./wire/body.ts";
import { HttpParseError, parseRequestHead, type RequestHead } from "./wire/head.ts";

const MAX_REQUEST_HEAD_BYTES = 16 * 1024;
/** Pipelined bytes held while a request is in flight before the connection stops reading. */
const MAX_BUFFERED_BYTES = 64 * 1024;

const STATUS_LINES: Record<number, string> = {
  400: "400 Bad Request",
  408: "408 Request Timeout",
  431: "431 Request Header Fields Too Large",
};

/** What a connection needs from the server that accepted it (raw-server.ts). */
export interface RawServerPort {
  readonly closing: boolean;
  dispatch(downstream: Downstream): void;
  /** Requests the fast path leaves to node:http: the connection is handed over with the bytes read so far. */
  wantsNodeHttp(head: RequestHead): boolean;
  handOver(socket: Duplex, unread: Buffer): void;
  forget(connection: RawConnection): void;
}

enum BodyMode {
  /** Nobody asked for the body yet: its bytes wait in the buffer. */
  Held,
  Piped,
  Discarded,
}

/**
 * One client connection on the HTTP/1.1 fast path: parses request heads with the strict wire parser, hands
 * each request to the server as a RawDownstream, streams its body on demand, and writes responses. Requests
 * are served one after the other; pipelined ones wait in the buffer. Listeners are attached once per
 * connection.
 */
export class RawConnection implements RawConnectionPort {
  private buffer: Buffer | undefined;
  private current: RawDownstream | undefined;
  private readonly framer = new BodyFramer();
  private bodyMode = BodyMode.Held;
  private bodySink: BodySink | undefined;
  private bodyFull = false;
  private requestBodyDone = true;
  private responseDone = true;
  private dispatching = false;
  private dead = false;
  private drainWaiter: DrainWaiter | undefined;
  /** When the bytes of a still incomplete head started arriving (0: none pending), for the header timeout. */
  headStartedAt = 0;
  requestStartedAt = 0;
  idleSince = Date.now();
  private lastReadAt = 0;
  /** When a closed connection's last bytes were handed to the kernel (0: not yet), for the linger. */
  private writesDoneAt = 0;

  constructor(
    readonly socket: Duplex,
    private readonly server: RawServerPort,
  ) {
    socket.on("data", this.onData);
    socket.on("drain", this.onDrain);
    socket.on("error", this.onError);
    socket.once("close", this.onClose);
  }

  get idle(): boolean {
    return this.current === undefined && this.buffer === undefined;
  }

  get receivingBody(): boolean {
    return this.current !== undefined && !this.requestBodyDone;
  }

  get responseStarted(): boolean {
    return this.current?.responseStarted ?? false;
  }

  /**
   * Since when the caller has sent nothing of a body still due (0: none due; or we stopped reading ourselves
   * because the upstream or the buffer is full, which is no fault of the caller's; or the response has
   * started, as in a duplex stream, where a quiet caller is the application's business).
   */
  get bodyStalledSince(): number {
    if (!this.receivingBody || this.dead || this.responseStarted || this.socket.isPaused()) return 0;
    return Math.max(this.lastReadAt, this.requestStartedAt);
  }

  /**
   * A connection we closed lingers this long after its last bytes went out, reading and dropping what the
   * caller still sends: closing with unread bytes would reset it, and a reset can take the answer with it.
   * True once the linger is over.
   */
  lingerOver(now: number, lingerMs: number): boolean {
    if (!this.dead || !this.socket.writableFinished) return false;
    if (this.writesDoneAt === 0) this.writesDoneAt = now;
    return now - this.writesDoneAt > lingerMs;
  }

  pipeBody(sink: BodySink): void {
    this.bodyMode = BodyMode.Piped;
    this.bodySink = sink;
    if (this.requestBodyDone) sink.end();
    else this.process();
  }

  resumeBody(): void {
    this.bodyFull = false;
    this.process();
  }

  discardBody(): void {
    if (this.bodyMode === BodyMode.Discarded || this.requestBodyDone) return;
    this.bodyMode = BodyMode.Discarded;
    this.bodySink = undefined;
    this.bodyFull = false;
    this.process();
  }

  send(chunk: Buffer | string): boolean {
    // Nothing is waited for on a connection that can no longer be written to (the caller left).
    if (this.dead || !this.socket.writable) return true;
    return typeof chunk === "string" ? this.socket.write(chunk, "latin1") : this.socket.write(chunk);
  }

  waitDrain(waiter: DrainWaiter): void {
    this.drainWaiter = waiter;
  }

  responseEnded(close: boolean): void {
    this.responseDone = true;
    if (close || this.server.closing) {
      this.dead = true;
      this.socket.end();
      // Whatever the caller still sends is read and dropped until the linger ends (raw-server.ts).
      this.socket.resume();
      return;
    }
    if (!this.requestBodyDone) {
      // The body still arriving is read and dropped, so the next request starts where it ends.
      if (this.bodyMode === BodyMode.Held) this.bodyMode = BodyMode.Discarded;
      this.process();
      return;
    }
    this.requestCompleted();
  }

  destroy(): void {
    this.dead = true;
    this.socket.destroy();
  }

  /** Refuses what cannot be served (malformed, too slow, too large) and closes. */
  refuse(status: 400 | 408 | 431): void {
    if (this.dead) return;
    this.dead = true;
    const current = this.current;
    if (current?.responseStarted) {
      this.socket.destroy();
    } else {
      this.socket.end(`HTTP/1.1 ${STATUS_LINES[status]}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      this.socket.resume();
    }
    current?.connectionLost();
  }

  /** Closes the connection if no request is under way (the proxy is draining). */
  closeIfIdle(): void {
    if (this.idle && !this.dead) {
      this.dead = true;
      this.socket.end();
    }
  }

  private readonly onData = (chunk: Buffer): void => {
    if (this.dead) return;
    this.lastReadAt = Date.now();
    this.buffer = this.buffer === undefined ? chunk : Buffer.concat([this.buffer, chunk]);
    this.process();
  };

  /** Moves through the buffered bytes: body bytes to whoever wants them, then the next request head. */
  private process(): void {
    if (this.dispatching) return;
    this.dispatching = true;
    try {
      while (!this.dead) {
        if (this.current !== undefined) {
          if (this.requestBodyDone || !this.readBody()) break;
        } else if (!this.readHead()) {
          break;
        }
      }
    } finally {
      this.dispatching = false;
    }
    this.updateReading();
  }

  /** Passes buffered body bytes on; true when the body ended and the loop should go on. */
  private readBody(): boolean {
    const buffer = this.buffer;
    if (buffer === undefined || this.bodyMode === BodyMode.Held || this.bodyFull) return false;
    let end: number;
    try {
      end = this.framer.consume(buffer, 0, undefined);
    } catch (error) {
      this.refuse((error as HttpParseError).status ?? 400);
      return false;
    }
    this.buffer = end < buffer.length ? buffer.subarray(end) : undefined;
    if (this.bodyMode === BodyMode.Piped && end > 0) {
      const sink = this.bodySink as BodySink;
      if (!sink.write(end === buffer.length ? buffer : buffer.subarray(0, end))) this.bodyFull = true;
    }
    if (!this.framer.done) return false;
    this.requestBodyDone = true;
    if (this.bodyMode === BodyMode.Piped) (this.bodySink as BodySink).end();
    if (this.responseDone) this.requestCompleted();
    return true;
  }

  /** Parses and dispatches the next request; true when the loop should go on. */
  private readHead(): boolean {
    const buffer = this.buffer;
    if (buffer === undefined) return false;
    let head: RequestHead | undefined;
    try {
      head = parseRequestHead(buffer, 0, MAX_REQUEST_HEAD_BYTES);
    } catch (error) {
      this.refuse(error instanceof HttpParseError ? error.status : 400);
      return false;
    }
    if (head === undefined) {
      if (this.headStartedAt === 0) this.headStartedAt = Date.now();
      return false;
    }
    this.headStartedAt = 0;
    if (this.server.wantsNodeHttp(head)) {
      this.handOver(buffer);
      return false;
    }
    this.buffer = head.length < buffer.length ? buffer.subarray(head.length) : undefined;
    if (head.chunked) this.framer.chunked();
    else if (head.contentLength > 0) this.framer.length(head.contentLength);
    else this.framer.none();
    this.requestBodyDone = this.framer.done;
    this.responseDone = false;
    this.bodyMode = BodyMode.Held;
    this.bodySink = undefined;
    this.bodyFull = false;
    this.requestStartedAt = Date.now();
    const downstream = new RawDownstream(this, head);
    this.current = downstream;
    this.server.dispatch(downstream);
    return true;
  }

  private requestCompleted(): void {
    this.current = undefined;
    this.bodySink = undefined;
    this.idleSince = Date.now();
    this.process();
  }

  private updateReading(): void {
    if (this.dead) return;
    const hold = this.bodyFull || (this.buffer !== undefined && this.buffer.length > MAX_BUFFERED_BYTES);
    if (hold) this.socket.pause();
    else if (this.socket.isPaused()) {
      // The stall clock restarts: the time we were not reading is not the caller's.
      this.lastReadAt = Date.now();
      this.socket.resume();
    }
  }

  private handOver(unread: Buffer): void {
    this.dead = true;
    this.buffer = undefined;
    const { socket } = this;
    socket.off("data", this.onData);
    socket.off("drain", this.onDrain);
    socket.off("error", this.onError);
    socket.off("close", this.onClose);
    this.server.forget(this);
    this.server.handOver(socket, unread);
  }

  private readonly onDrain = (): void => {
    const waiter = this.drainWaiter;
    this.drainWaiter = undefined;
    waiter?.onDownstreamDrain();
  };

  private readonly onError = (): void => {
    this.socket.destroy();
  };

  private readonly onClose = (): void => {
    this.dead = true;
    this.buffer = undefined;
    this.server.forget(this);
    this.current?.connectionLost();
  };
}
