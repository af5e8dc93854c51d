import { BodyFramer } from "../../../packages/proxy/src/http/wire/body.ts";
import { HttpParseError, parseRequestHead } from "../../../packages/proxy/src/http/wire/head.ts";

/** One request as a parser framed it: what a server would act on. */
export interface FramedRequest {
  method: string;
  target: string;
  /** Flat [name, value, ...] as received. */
  headers: string[];
  /** The de-chunked payload, latin1. */
  body: string;
}

/**
 * How a parser read a byte stream: the requests it framed, then whether it refused the rest ("error"), waits
 * for more bytes ("incomplete"), stops reading because the connection ends or another parser takes over
 * ("closed"), or read every byte ("clean").
 */
export interface Framing {
  requests: FramedRequest[];
  end: "error" | "incomplete" | "closed" | "clean";
  reason?: string;
}

// The proxy's head limit (raw-connection.ts) and node:http's default, so sizes never explain a difference.
const MAX_HEAD_BYTES = 16 * 1024;

/** The proxy's own HTTP/1.1 wire parser, driven the way raw-connection.ts drives it. */
export function frameWithProxy(bytes: Buffer): Framing {
  const requests: FramedRequest[] = [];
  let at = 0;
  while (at < bytes.length) {
    let head: ReturnType<typeof parseRequestHead>;
    try {
      head = parseRequestHead(bytes, at, MAX_HEAD_BYTES);
    } catch (error) {
      if (error instanceof HttpParseError) return { requests, end: "error", reason: error.message };
      throw error;
    }
    if (head === undefined) return { requests, end: "incomplete" };
    const request: FramedRequest = {
      method: head.method,
      target: head.target,
      headers: head.rawHeaders,
      body: "",
    };
    // raw-server.ts hands these heads over to node:http, i.e. to llhttp itself: nothing left to compare.
    if (head.upgrade || head.expectContinue || head.minorVersion === 0 || head.method === "CONNECT")
      return { requests, end: "closed", reason: "handed to node:http" };
    at += head.length;
    const framer = new BodyFramer();
    if (head.chunked) framer.chunked();
    else if (head.contentLength > 0) framer.length(head.contentLength);
    else framer.none();
    let body = "";
    try {
      at = framer.consume(bytes, at, {
        payload: (buffer, start, end) => {
          body += buffer.toString("latin1", start, end);
        },
      });
    } catch (error) {
      if (error instanceof HttpParseError) return { requests, end: "error", reason: error.message };
      throw error;
    }
    if (!framer.done) return { requests, end: "incomplete" };
    request.body = body;
    requests.push(request);
    if (head.close) return { requests, end: "closed" };
  }
  return { requests, end: "clean" };
}

interface HttpParserBinding {
  HTTPParser: {
    new (): LlhttpParser;
    REQUEST: number;
    kOnMessageBegin: number;
    kOnHeaders: number;
    kOnHeadersComplete: number;
    kOnBody: number;
    kOnMessageComplete: number;
    kOnExecute: number;
  };
  /** Indexed by llhttp's method number (`methods` lists only what node:http advertises). */
  allMethods: string[];
}

interface LlhttpParser {
  [callback: number]: unknown;
  initialize(type: number, resource: object, maxHeaderSize: number, lenient: number): void;
  execute(data: Buffer): number | (Error & { code?: string });
  close(): void;
}

/**
 * Node's own parser (llhttp, strict as node:http runs it by default). The internal binding is the only way to
 * drive llhttp without a socket; node:http's server uses exactly this object.
 */
function llhttpBinding(): HttpParserBinding {
  const withBinding = process as unknown as { binding(name: string): HttpParserBinding };
  const emitWarning = process.emitWarning;
  // process.binding is deprecated (DEP0111) but still the way to this parser; keep its warning out of the log.
  process.emitWarning = () => {};
  try {
    return withBinding.binding("http_parser");
  } finally {
    process.emitWarning = emitWarning;
  }
}

const binding = llhttpBinding();

export function frameWithLlhttp(bytes: Buffer): Framing {
  const { HTTPParser, allMethods } = binding;
  const parser = new HTTPParser();
  const requests: FramedRequest[] = [];
  let pendingHeaders: string[] = [];
  let pendingUrl = "";
  let current: FramedRequest | undefined;
  let stop: Framing["end"] | undefined;
  let stopReason: string | undefined;
  let inMessage = false;
  parser[HTTPParser.kOnMessageBegin] = () => {
    inMessage = true;
  };
  // As node:http's parserOnHeaders: llhttp flushes a long head (and trailers) through kOnHeaders.
  parser[HTTPParser.kOnHeaders] = (headers: string[], url: string) => {
    pendingHeaders.push(...headers);
    pendingUrl += url;
  };
  parser[HTTPParser.kOnHeadersComplete] = (
    _major: number,
    minor: number,
    headers: string[] | undefined,
    method: number,
    url: string,
    _status: unknown,
    _message: unknown,
    upgrade: boolean,
    keepAlive: boolean,
  ) => {
    const allHeaders = headers ?? pendingHeaders;
    const target = url || pendingUrl;
    pendingHeaders = [];
    pendingUrl = "";
    const name = allMethods[method] ?? "";
    current = { method: name, target, headers: allHeaders, body: "" };
    if (upgrade || minor === 0 || name === "CONNECT" || hasExpectContinue(allHeaders)) {
      stop = "closed";
      stopReason = "handed to node:http";
    } else if (!keepAlive) stop = "closed";
    return 0;
  };
  parser[HTTPParser.kOnBody] = (chunk: Buffer) => {
    if (current) current.body += chunk.toString("latin1");
  };
  parser[HTTPParser.kOnMessageComplete] = () => {
    if (current && stopReason === undefined) requests.push(current);
    current = undefined;
    inMessage = false;
    // Trailers: the proxy forwards them inside the body it frames, so they are not compared here.
    pendingHeaders = [];
    pendingUrl = "";
  };
  parser[HTTPParser.kOnExecute] = () => {};
  parser.initialize(HTTPParser.REQUEST, {}, MAX_HEAD_BYTES, 0);
  try {
    const result = parser.execute(bytes);
    if (stop !== undefined && (stopReason !== undefined || current === undefined))
      return { requests, end: stop, reason: stopReason };
    if (result instanceof Error) return { requests, end: "error", reason: result.code };
    return { requests, end: inMessage ? "incomplete" : "clean" };
  } finally {
    parser.close();
  }
}

function hasExpectContinue(headers: string[]): boolean {
  for (let i = 0; i < headers.length; i += 2)
    if (headers[i]?.toLowerCase() === "expect" && headers[i + 1]?.toLowerCase() === "100-continue")
      return true;
  return false;
}
