import { type IncomingHttpHeaders, STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import type { HeaderModifier } from "../filters/header-modifier.ts";
import type { Rejection } from "../filters/rejection.ts";
import type { BodySink, Downstream, DownstreamListener, DrainWaiter } from "./downstream.ts";
import { forwardedText, type RequestHead, type ResponseHead } from "./wire/head.ts";
import { headerLines, serializeHead } from "./wire/serialize.ts";

/** What a request needs from the connection it arrived on (raw-connection.ts). */
export interface RawConnectionPort {
  readonly socket: Duplex;
  /** The request body has not all arrived yet. */
  readonly receivingBody: boolean;
  pipeBody(sink: BodySink): void;
  resumeBody(): void;
  discardBody(): void;
  /** Writes response bytes; false: wait for `waitDrain`. */
  send(chunk: Buffer | string): boolean;
  waitDrain(waiter: DrainWaiter): void;
  /** The response is written whole; `close` ends the connection after it. */
  responseEnded(close: boolean): void;
  destroy(): void;
}

/**
 * A response head waits for the first body bytes to share its write if they are no bigger than this; they
 * join it as latin1 text, which is byte for byte.
 */
const MAX_COALESCED_BODY_BYTES = 16 * 1024;
const CRLF = Buffer.from("\r\n", "latin1");
const LAST_CHUNK = Buffer.from("0\r\n\r\n", "latin1");

/** One request read by the fast path (raw-connection.ts), as a Downstream. */
export class RawDownstream implements Downstream {
  readonly method: string;
  readonly target: string;
  readonly traceparent: string | undefined;
  readonly host: string | undefined;
  readonly hasBody: boolean;
  readonly contentLength: number;
  readonly wantsWireBody = true;
  responseStarted = false;
  /** The response head, held back until body bytes can go out with it. */
  private pendingHead: string | undefined;
  private chunkResponse = false;
  private closeAfter: boolean;
  private over = false;
  private listener: DownstreamListener | undefined;
  private headerMap: IncomingHttpHeaders | undefined;

  constructor(
    private readonly connection: RawConnectionPort,
    private readonly head: RequestHead,
  ) {
    this.method = head.method;
    this.target = head.target;
    this.traceparent = head.traceparent;
    this.host = head.host;
    this.hasBody = head.chunked || head.contentLength > 0;
    this.contentLength = head.chunked ? -1 : head.contentLength;
    this.closeAfter = head.close;
  }

  get rawHeaders(): readonly string[] {
    return this.head.rawHeaders;
  }

  get socket(): Duplex {
    return this.connection.socket;
  }

  headers(): IncomingHttpHeaders {
    if (this.headerMap) return this.headerMap;
    const map: Record<string, string> = {};
    const raw = this.head.rawHeaders;
    for (let i = 0; i < raw.length; i += 2) {
      const name = (raw[i] as string).toLowerCase();
      const value = raw[i + 1] as string;
      const existing = map[name];
      map[name] = existing === undefined ? value : `${existing}, ${value}`;
    }
    this.headerMap = map;
    return map;
  }

  forwardedHead(modifier: HeaderModifier | undefined, extra: readonly string[]): string {
    const { head } = this;
    if (modifier === undefined) return forwardedText(head, undefined, headerLines(extra));
    return serializeHead(`${head.method} ${head.target} HTTP/1.1`, head.rawHeaders, modifier, extra);
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

  respond(
    head: ResponseHead,
    modifier: HeaderModifier | undefined,
    extra: readonly string[],
    untilClose: boolean,
    close: boolean,
  ): void {
    if (this.over || this.responseStarted) return;
    this.responseStarted = true;
    if (close) this.closeAfter = true;
    // The upstream body ends with its connection; the caller's connection stays, so it gets chunked framing.
    this.chunkResponse = untilClose;
    const added = [...extra];
    if (this.closeAfter) added.push("Connection", "close");
    if (untilClose) added.push("Transfer-Encoding", "chunked");
    if (modifier === undefined && head.minorVersion === 1) {
      this.pendingHead = forwardedText(head, undefined, headerLines(added));
      return;
    }
    // Rewritten headers, or a start line to rewrite (an HTTP/1.0 upstream).
    const startLine = `HTTP/1.1 ${head.status} ${head.reason || (STATUS_CODES[head.status] ?? "")}`;
    this.pendingHead = serializeHead(startLine, head.rawHeaders, modifier, added);
  }

  writeBody(buffer: Buffer, start: number, end: number): boolean {
    if (this.over || end <= start) return true;
    if (this.chunkResponse) {
      this.flush();
      const size = Buffer.from(`${(end - start).toString(16)}\r\n`, "latin1");
      return this.connection.send(Buffer.concat([size, buffer.subarray(start, end), CRLF]));
    }
    const head = this.pendingHead;
    if (head !== undefined && end - start <= MAX_COALESCED_BODY_BYTES) {
      this.pendingHead = undefined;
      return this.connection.send(head + buffer.toString("latin1", start, end));
    }
    this.flush();
    // A copy: the bytes may sit in a read buffer that the next upstream read overwrites.
    return this.connection.send(Buffer.from(buffer.subarray(start, end)));
  }

  flush(): void {
    if (this.pendingHead === undefined || this.over) return;
    this.connection.send(this.pendingHead);
    this.pendingHead = undefined;
  }

  endResponse(): void {
    if (this.over) return;
    this.flush();
    if (this.chunkResponse) this.connection.send(LAST_CHUNK);
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
    // An answer given before the body is all here closes the connection rather than reading the rest: a
    // trickling body would otherwise keep the connection (and the caller's slot) until the request timeout.
    if (close || this.connection.receivingBody) this.closeAfter = true;
    const body = Buffer.from(rejection.body);
    let head = `HTTP/1.1 ${rejection.status} ${STATUS_CODES[rejection.status] ?? ""}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${body.length}\r\n`;
    head += headerLines(rejection.headers ?? []);
    if (this.closeAfter) head += "Connection: close\r\n";
    this.connection.send(Buffer.concat([Buffer.from(`${head}\r\n`, "latin1"), body]));
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
