import { COLON, CR, FIELD_VALUE, HTAB, LF, SP, TARGET, TOKEN } from "./chars.ts";

/**
 * HTTP/1.1 message heads (RFC 9112), parsed strictly: this proxy forwards what it parses to another
 * server, so anything two parsers could read differently (smuggling material) is refused rather than
 * guessed at — bare LF, obs-fold, whitespace before a colon, control characters, duplicate or malformed
 * Content-Length, Content-Length with Transfer-Encoding, a Transfer-Encoding that does not end in chunked.
 */

export class HttpParseError extends Error {
  constructor(
    /** What a server answers: 400, or 431 for a head over the size limit. */
    readonly status: 400 | 431,
    message: string,
  ) {
    super(message);
  }
}

interface MessageHead {
  /** Bytes the head takes, the empty line included. */
  length: number;
  /** Flat [name, value, ...] as received, like Node's rawHeaders. */
  rawHeaders: string[];
  /** 1 for HTTP/1.1, 0 for HTTP/1.0. */
  minorVersion: number;
  /** -1 when absent. */
  contentLength: number;
  /** Transfer-Encoding present (then it ends in chunked for a request). */
  transferEncoding: boolean;
  chunked: boolean;
  /** The connection ends after this message (Connection: close, or HTTP/1.0 without keep-alive). */
  close: boolean;
  upgrade: boolean;
  expectContinue: boolean;
  traceparent: string | undefined;
  host: string | undefined;
}

export interface RequestHead extends MessageHead {
  method: string;
  target: string;
}

export interface ResponseHead extends MessageHead {
  status: number;
  reason: string;
}

/** How many empty lines may precede a request line (RFC 9112 §2.2 robustness: some clients send a CRLF after a body). */
const MAX_LEADING_EMPTY_LINES = 4;
const HTTP_VERSION_PREFIX = Buffer.from("HTTP/1.", "latin1");

/**
 * Parses the request head at `start`; undefined while it is incomplete. Throws HttpParseError for a
 * malformed head, or 431 once more than `maxBytes` arrived without the head ending.
 */
export function parseRequestHead(buffer: Buffer, start: number, maxBytes: number): RequestHead | undefined {
  let at = start;
  for (
    let skipped = 0;
    skipped < MAX_LEADING_EMPTY_LINES && buffer[at] === CR && buffer[at + 1] === LF;
    skipped++
  )
    at += 2;
  const lineEnd = lineEndAt(buffer, at, start, maxBytes);
  if (lineEnd === -1) return undefined;

  let cursor = at;
  while (cursor < lineEnd && TOKEN[buffer[cursor] as number] === 1) cursor++;
  if (cursor === at || buffer[cursor] !== SP) throw new HttpParseError(400, "invalid method");
  const method = buffer.toString("latin1", at, cursor);
  const targetStart = ++cursor;
  while (cursor < lineEnd && TARGET[buffer[cursor] as number] === 1) cursor++;
  if (cursor === targetStart || buffer[cursor] !== SP)
    throw new HttpParseError(400, "invalid request target");
  const target = buffer.toString("latin1", targetStart, cursor);
  const minorVersion = versionAt(buffer, cursor + 1);
  if (minorVersion === -1 || cursor + 9 !== lineEnd) throw new HttpParseError(400, "invalid HTTP version");

  const head = newHead(minorVersion) as RequestHead;
  head.method = method;
  head.target = target;
  if (!parseFields(buffer, lineEnd + 2, start, maxBytes, head)) return undefined;
  if (head.transferEncoding && !head.chunked)
    throw new HttpParseError(400, "Transfer-Encoding must end in chunked");
  if (minorVersion === 1 && head.host === undefined) throw new HttpParseError(400, "missing Host");
  return head;
}

/** Parses a response head at `start`; undefined while incomplete. Throws HttpParseError when malformed. */
export function parseResponseHead(buffer: Buffer, start: number, maxBytes: number): ResponseHead | undefined {
  const lineEnd = lineEndAt(buffer, start, start, maxBytes);
  if (lineEnd === -1) return undefined;
  const minorVersion = versionAt(buffer, start);
  const digits = start + 9;
  if (minorVersion === -1 || buffer[start + 8] !== SP || lineEnd < digits + 3)
    throw new HttpParseError(400, "invalid status line");
  let status = 0;
  for (let i = digits; i < digits + 3; i++) {
    const digit = (buffer[i] as number) - 0x30;
    if (digit < 0 || digit > 9) throw new HttpParseError(400, "invalid status code");
    status = status * 10 + digit;
  }
  if (status < 100) throw new HttpParseError(400, "invalid status code");
  let reason = "";
  if (lineEnd > digits + 3) {
    if (buffer[digits + 3] !== SP) throw new HttpParseError(400, "invalid status line");
    for (let i = digits + 4; i < lineEnd; i++) {
      if (FIELD_VALUE[buffer[i] as number] !== 1) throw new HttpParseError(400, "invalid reason phrase");
    }
    reason = buffer.toString("latin1", digits + 4, lineEnd);
  }
  const head = newHead(minorVersion) as ResponseHead;
  head.status = status;
  head.reason = reason;
  if (!parseFields(buffer, lineEnd + 2, start, maxBytes, head)) return undefined;
  return head;
}

function newHead(minorVersion: number): MessageHead {
  return {
    length: 0,
    rawHeaders: [],
    minorVersion,
    contentLength: -1,
    transferEncoding: false,
    chunked: false,
    close: minorVersion === 0,
    upgrade: false,
    expectContinue: false,
    traceparent: undefined,
    host: undefined,
  };
}

/** The index of the CR that ends the line at `at`, or -1 if the line is not complete yet. */
function lineEndAt(buffer: Buffer, at: number, headStart: number, maxBytes: number): number {
  const lf = buffer.indexOf(LF, at);
  if (lf === -1 || lf - headStart >= maxBytes) {
    if (buffer.length - headStart >= maxBytes) throw new HttpParseError(431, "head too large");
    return -1;
  }
  if (lf === at || buffer[lf - 1] !== CR) throw new HttpParseError(400, "bare LF");
  return lf - 1;
}

/** "HTTP/1.0" or "HTTP/1.1" at `at`: the minor version, or -1. */
function versionAt(buffer: Buffer, at: number): number {
  for (let i = 0; i < HTTP_VERSION_PREFIX.length; i++) {
    if (buffer[at + i] !== HTTP_VERSION_PREFIX[i]) return -1;
  }
  const minor = buffer[at + 7];
  return minor === 0x31 ? 1 : minor === 0x30 ? 0 : -1;
}

/** Reads field lines from `at` to the empty line into `head`; false while the head is incomplete. */
function parseFields(
  buffer: Buffer,
  at: number,
  headStart: number,
  maxBytes: number,
  head: MessageHead,
): boolean {
  const raw = head.rawHeaders;
  for (;;) {
    const first = buffer[at];
    if (first === CR || first === undefined) {
      if (at + 1 >= buffer.length) {
        if (buffer.length - headStart >= maxBytes) throw new HttpParseError(431, "head too large");
        return false;
      }
      if (buffer[at + 1] !== LF) throw new HttpParseError(400, "bare CR");
      head.length = at + 2 - headStart;
      return finish(head);
    }
    if (first === LF) throw new HttpParseError(400, "bare LF");
    if (first === SP || first === HTAB) throw new HttpParseError(400, "obs-fold");
    const lineEnd = lineEndAt(buffer, at, headStart, maxBytes);
    if (lineEnd === -1) return false;
    let colon = at;
    while (colon < lineEnd && TOKEN[buffer[colon] as number] === 1) colon++;
    if (colon === at || buffer[colon] !== COLON) throw new HttpParseError(400, "invalid header name");
    let valueStart = colon + 1;
    while (valueStart < lineEnd && (buffer[valueStart] === SP || buffer[valueStart] === HTAB)) valueStart++;
    let valueEnd = lineEnd;
    while (valueEnd > valueStart && (buffer[valueEnd - 1] === SP || buffer[valueEnd - 1] === HTAB))
      valueEnd--;
    for (let i = valueStart; i < valueEnd; i++) {
      if (FIELD_VALUE[buffer[i] as number] !== 1) throw new HttpParseError(400, "invalid header value");
    }
    const name = buffer.toString("latin1", at, colon);
    const value = buffer.toString("latin1", valueStart, valueEnd);
    raw.push(name, value);
    noteField(head, name, value);
    at = lineEnd + 2;
  }
}

/** The fields that decide framing and routing; names are compared by length first so most are never lowercased. */
function noteField(head: MessageHead, name: string, value: string): void {
  switch (name.length) {
    case 4:
      if (name.toLowerCase() === "host") {
        if (head.host !== undefined) throw new HttpParseError(400, "duplicate Host");
        head.host = value;
      }
      return;
    case 6:
      if (name.toLowerCase() === "expect" && value.toLowerCase() === "100-continue")
        head.expectContinue = true;
      return;
    case 7:
      if (name.toLowerCase() === "upgrade") head.upgrade = true;
      return;
    case 10:
      if (name.toLowerCase() === "connection") noteConnection(head, value);
      return;
    case 11:
      if (name.toLowerCase() === "traceparent") head.traceparent = value;
      return;
    case 14:
      if (name.toLowerCase() === "content-length") {
        if (head.contentLength !== -1) throw new HttpParseError(400, "duplicate Content-Length");
        head.contentLength = contentLengthOf(value);
      }
      return;
    case 17:
      if (name.toLowerCase() === "transfer-encoding") noteTransferEncoding(head, value);
      return;
  }
}

/** 1*DIGIT, at most 15 of them so the number stays exact. */
function contentLengthOf(value: string): number {
  if (value.length === 0 || value.length > 15) throw new HttpParseError(400, "invalid Content-Length");
  let length = 0;
  for (let i = 0; i < value.length; i++) {
    const digit = value.charCodeAt(i) - 0x30;
    if (digit < 0 || digit > 9) throw new HttpParseError(400, "invalid Content-Length");
    length = length * 10 + digit;
  }
  return length;
}

/** Codings accumulate over repeated fields; chunked must be the last and appear once. */
function noteTransferEncoding(head: MessageHead, value: string): void {
  for (const part of value.split(",")) {
    const coding = part.trim().toLowerCase();
    if (coding === "") continue;
    if (head.chunked) throw new HttpParseError(400, "chunked is not the final transfer coding");
    head.transferEncoding = true;
    head.chunked = coding === "chunked";
  }
}

function noteConnection(head: MessageHead, value: string): void {
  for (const part of value.split(",")) {
    const option = part.trim().toLowerCase();
    if (option === "close") head.close = true;
    else if (option === "keep-alive" && head.minorVersion === 0) head.close = false;
  }
}

function finish(head: MessageHead): boolean {
  if (head.transferEncoding && head.contentLength !== -1)
    throw new HttpParseError(400, "Content-Length with Transfer-Encoding");
  return true;
}
