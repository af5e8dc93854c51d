import { type IncomingHttpHeaders, STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import type { Rejection } from "../filters/rejection.ts";
import type { BodySink, Downstream, DownstreamListener, DrainWaiter } from "./downstream.ts";
import type { RequestHead } from "./wire/head.ts";
import { serializeResponseHead } from "./wire/serialize.ts";

/** What a request needs from the connection it arrived on (raw-connection.ts). */
export interface RawConnectionPort {
  readonly socket: Duplex;
  pipeBody(sink: BodySink): void;
  resumeBody(): void;
  discardBody(): void;
  /** Writes response bytes: a head string, optionally followed by body bytes in the same write. */
  write(head: string | undefined, body: Buffer | undefined): boolean;
  waitDrain(waiter: DrainWaiter): void;
  /** The response is written whole; `close` ends the connection after it. */
  responseEnded(close: boolean): void;
  destroy(): void;
}

/** A response head waits this long for body bytes to share its write; bigger bodies go on their own. */
const MAX_COALESCED_BODY_BYTES = 16 * 1024;
const LAST_CHUNK = Buffer.from("0\r\n\r\n", "latin1");

/** One request read by the fast path (raw-connection.ts), as a Downstream. */
export class RawDownstream implements Downstream {
  readonly method: string;
  readonly target: string;
  readonly rawHeaders: readonly string[];
  readonly traceparent: string | undefined;
  readonly host: string | undefined;
  readonly hasBody: boolean;
  readonly contentLength: number;
  readonly wantsWireBody = true;
  responseStarted = false;
  private pendingHead: string | undefined;
  private chunkResponse = false;
  private closeAfter = false;
  private over = false;
  private listener: DownstreamListener | undefined;
  private headerMap: IncomingHttpHeaders | undefined;

  constructor(
    private readonly connection: RawConnectionPort,
    head: RequestHead,
  ) {
    this.method = head.method;
    this.target = head.target;
    this.rawHeaders = head.rawHeaders;
    this.traceparent = head.traceparent;
    this.host = head.host;
    this.hasBody = head.chunked || head.contentLength > 0;
    this.contentLength = head.chunked ? -1 : head.contentLength;
    this.closeAfter = head.close;
  }

  get socket(): Duplex {
    return this.connection.socket;
  }

  headers(): IncomingHttpHeaders {
    if (this.headerMap) return this.headerMap;
    const map: Record<string, string> = {};
    const raw = this.rawHeaders;
    for (let i = 0; i < raw.length; i += 2) {
      const name = (raw[i] as string).toLowerCase();
      const value = raw[i + 1] as string;
      const existing = map[name];
      map[name] = existing === undefined ? value : `${existing}, ${value}`;
    }
    this.headerMap = map;
    return map;
  }

  pipeBody(sink: BodySink): void {
    this.connection.pipeBody(sink);
  }

  resumeBody(): void {
    this.connection.resumeBody();
  }

  discardBody(): void {
    this.connection.discardBody();
  }

  respond(status: number, reason: string, headers: string[], untilClose: boolean, close: boolean): void {
    if (this.over || this.responseStarted) return;
    this.responseStarted = true;
    if (close) this.closeAfter = true;
    if (this.closeAfter) headers.push("Connection", "close");
    if (untilClose) {
      // The upstream body ends with its connection; the caller's connection stays, so it gets chunked framing.
      this.chunkResponse = true;
      headers.push("Transfer-Encoding", "chunked");
    }
    this.pendingHead = serializeResponseHead(status, reason || (STATUS_CODES[status] ?? ""), headers);
  }

  writeBody(buffer: Buffer, start: number, end: number): boolean {
    if (this.over || end <= start) return true;
    const head = this.pendingHead;
    this.pendingHead = undefined;
    if (this.chunkResponse) {
      return this.connection.write(
        `${head ?? ""}${(end - start).toString(16)}\r\n`,
        Buffer.concat([buffer.subarray(start, end), CRLF]),
      );
    }
    if (head !== undefined && end - start > MAX_COALESCED_BODY_BYTES) {
      this.connection.write(head, undefined);
      return this.connection.write(undefined, buffer.subarray(start, end));
    }
    return this.connection.write(head, buffer.subarray(start, end));
  }

  flush(): void {
    if (this.pendingHead === undefined || this.over) return;
    this.connection.write(this.pendingHead, undefined);
    this.pendingHead = undefined;
  }

  endResponse(): void {
    if (this.over) return;
    const head = this.pendingHead;
    this.pendingHead = undefined;
    if (this.chunkResponse) this.connection.write(head, LAST_CHUNK);
    else if (head !== undefined) this.connection.write(head, undefined);
    this.finish(true);
  }

  waitDrain(waiter: DrainWaiter): void {
    this.connection.waitDrain(waiter);
  }

  reply(rejection: Rejection, close: boolean): void {
    if (this.over) return;
    if (this.responseStarted) {
      this.destroy();
      return;
    }
    this.responseStarted = true;
    if (close) this.closeAfter = true;
    const body = Buffer.from(rejection.body);
    let head = `HTTP/1.1 ${rejection.status} ${STATUS_CODES[rejection.status] ?? ""}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${body.length}\r\n`;
    const extra = rejection.headers ?? [];
    for (let i = 0; i + 1 < extra.length; i += 2) head += `${extra[i]}: ${extra[i + 1]}\r\n`;
    if (this.closeAfter) head += "Connection: close\r\n";
    this.connection.write(`${head}\r\n`, body);
    this.finish(true);
  }

  destroy(): void {
    if (this.over) return;
    this.connection.destroy();
  }

  onClose(listener: DownstreamListener): void {
    this.listener = listener;
  }

  /** The connection went away before the response ended. */
  connectionLost(): void {
    if (this.over) return;
    this.over = true;
    this.listener?.downstreamClosed(false);
  }

  private finish(finished: boolean): void {
    this.over = true;
    this.connection.responseEnded(this.closeAfter);
    this.listener?.downstreamClosed(finished);
  }
}

const CRLF = Buffer.from("\r\n", "latin1");
