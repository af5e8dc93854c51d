import type { IncomingHttpHeaders } from "node:http";
import type { Duplex } from "node:stream";
import type { HeaderModifier } from "../filters/header-modifier.ts";
import type { Rejection } from "../filters/rejection.ts";
import type { ResponseHead } from "./wire/head.ts";

/** Takes a request body's wire bytes (chunked framing included when the request is chunked). */
export interface BodySink {
  /** false: the sink is full; the source waits for `Downstream.resumeBody()`. */
  write(chunk: Buffer): boolean;
  end(): void;
}

export interface DownstreamListener {
  /** The exchange is over: the response was written whole (`finished`), or the caller went away. */
  downstreamClosed(finished: boolean): void;
}

export interface DrainWaiter {
  onDownstreamDrain(): void;
}

/**
 * The calling side of one HTTP/1.1 exchange, whichever server read it: the raw fast path (http/raw-server.ts)
 * or node:http (the gateway, and connections handed over for what the fast path leaves alone). Listeners
 * and filters work against this, so both behave the same.
 */
export interface Downstream {
  readonly method: string;
  /** The request-target as received (path and query). */
  readonly target: string;
  /** Flat [name, value, ...] as received. */
  readonly rawHeaders: readonly string[];
  readonly traceparent: string | undefined;
  /** The Host header; only HTTP/1.0 requests (served by node:http) may lack one. */
  readonly host: string | undefined;
  readonly hasBody: boolean;
  /** -1 when the body is chunked or absent. */
  readonly contentLength: number;
  /** The connection, for the caller's identity and address. */
  readonly socket: Duplex;
  /** Response bodies are written with their wire framing (chunked kept as it came) rather than de-chunked. */
  readonly wantsWireBody: boolean;
  readonly responseStarted: boolean;
  /** Lower-cased header map; built on demand (route header matches), so the fast path rarely pays for it. */
  headers(): IncomingHttpHeaders;
  /**
   * The head to send upstream: the request line and end-to-end headers as received, `modifier` applied,
   * `extra` ([name, value, ...]) appended.
   */
  forwardedHead(modifier: HeaderModifier | undefined, extra: readonly string[]): string;

  /** Streams the request body to `sink`. */
  pipeBody(sink: BodySink): void;
  resumeBody(): void;
  /** Reads and drops the body, so the connection stays usable after a reply that did not need it. */
  discardBody(): void;

  /**
   * Starts relaying an upstream response: its status and end-to-end headers (framing fields kept), `modifier`
   * applied, `extra` ([name, value, ...]) appended. `untilClose` says the upstream body has no framing (it
   * ended with its connection), `close` that the caller's connection ends after this response.
   */
  respond(
    head: ResponseHead,
    modifier: HeaderModifier | undefined,
    extra: readonly string[],
    untilClose: boolean,
    close: boolean,
  ): void;
  /** Writes response body bytes (valid only during the call: copied if kept); false: wait for `waitDrain`. */
  writeBody(buffer: Buffer, start: number, end: number): boolean;
  /** Sends whatever of the response is still held back (the head waits for the first body bytes). */
  flush(): void;
  endResponse(): void;
  waitDrain(waiter: DrainWaiter): void;
  /** Answers from the proxy itself (denied, rate limited, no upstream...). */
  reply(rejection: Rejection, close: boolean): void;
  /** Cuts the connection (a response that broke after it started). */
  destroy(): void;
  /** Called once when the exchange is over. */
  onClose(listener: DownstreamListener): void;
}
