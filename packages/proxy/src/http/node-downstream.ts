import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import type { HeaderModifier } from "../filters/header-modifier.ts";
import type { Rejection } from "../filters/rejection.ts";
import type { BodySink, Downstream, DownstreamListener, DrainWaiter } from "./downstream.ts";
import { endToEndHeaders } from "./headers.ts";
import { reply } from "./reply.ts";
import type { ResponseHead } from "./wire/head.ts";
import { serializeHead } from "./wire/serialize.ts";

const ignore = () => {};
const LAST_CHUNK = Buffer.from("0\r\n\r\n", "latin1");
const CRLF = Buffer.from("\r\n", "latin1");

/**
 * A node:http exchange as a Downstream: the gateway's public listener and connections the fast path handed
 * over. Node de-chunks request bodies, so a chunked one is chunked again on its way upstream, and it chunks
 * response bodies itself, so it is given them de-chunked.
 */
export class NodeDownstream implements Downstream {
  readonly method: string;
  readonly target: string;
  readonly rawHeaders: readonly string[];
  readonly traceparent: string | undefined;
  readonly host: string | undefined;
  readonly hasBody: boolean;
  readonly contentLength: number;
  readonly wantsWireBody = false;
  private readonly chunked: boolean;

  constructor(
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
  ) {
    this.method = req.method ?? "GET";
    this.target = req.url ?? "/";
    this.rawHeaders = req.rawHeaders;
    const traceparent = req.headers.traceparent;
    this.traceparent = typeof traceparent === "string" ? traceparent : undefined;
    this.host = req.headers.host;
    const length = req.headers["content-length"];
    this.chunked = req.headers["transfer-encoding"] !== undefined;
    this.contentLength = length === undefined || this.chunked ? -1 : Number(length);
    this.hasBody = this.chunked || this.contentLength > 0;
    req.on("error", ignore);
  }

  get socket(): Duplex {
    return this.req.socket;
  }

  get responseStarted(): boolean {
    return this.res.headersSent;
  }

  headers(): IncomingHttpHeaders {
    return this.req.headers;
  }

  forwardedHead(modifier: HeaderModifier | undefined, extra: readonly string[]): string {
    return serializeHead(`${this.method} ${this.target} HTTP/1.1`, this.rawHeaders, modifier, extra);
  }

  pipeBody(sink: BodySink): void {
    const { req, chunked } = this;
    req.on("data", (chunk: Buffer) => {
      if (chunk.length === 0) return;
      const ready = chunked
        ? sink.write(Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`, "latin1"), chunk, CRLF]))
        : sink.write(chunk);
      if (!ready) req.pause();
    });
    req.once("end", () => {
      if (chunked) sink.write(LAST_CHUNK);
      sink.end();
    });
  }

  resumeBody(): void {
    this.req.resume();
  }

  discardBody(): void {
    this.req.resume();
  }

  respond(
    head: ResponseHead,
    modifier: HeaderModifier | undefined,
    extra: readonly string[],
    _untilClose: boolean,
    close: boolean,
  ): void {
    const forwarded = endToEndHeaders(head.rawHeaders);
    const headers = modifier ? modifier.apply(forwarded) : forwarded;
    headers.push(...extra);
    if (close) headers.push("Connection", "close");
    this.res.writeHead(head.status, head.reason, headers);
  }

  writeBody(buffer: Buffer, start: number, end: number): boolean {
    // A copy: the bytes may sit in a read buffer that the next upstream read overwrites.
    return this.res.write(Buffer.from(buffer.subarray(start, end)));
  }

  flush(): void {}

  endResponse(): void {
    this.res.end();
  }

  waitDrain(waiter: DrainWaiter): void {
    this.res.once("drain", () => waiter.onDownstreamDrain());
  }

  reply(rejection: Rejection, close: boolean): void {
    // As on the fast path: an answer given before the body is all here closes rather than reads the rest.
    const closing = close || !this.req.complete;
    reply(
      this.res,
      closing ? { ...rejection, headers: [...(rejection.headers ?? []), "Connection", "close"] } : rejection,
    );
  }

  destroy(): void {
    this.res.destroy();
  }

  onClose(listener: DownstreamListener): void {
    const { res } = this;
    res.once("close", () => listener.downstreamClosed(res.writableFinished));
  }
}
