/**
 * HTTP/1.1 message heads (RFC 9112), parsed strictly: this proxy forwards what it parses to another
 * server, so anything two parsers could read differently (smuggling material) is refused rather than
 * guessed at — bare LF or CR, obs-fold, whitespace before a colon, control characters, duplicate or
 * malformed Content-Length, Content-Length with Transfer-Encoding, a Transfer-Encoding that does not end in
 * chunked.
 *
 * A head is decoded to one latin1 string (byte for byte) and read with regular expressions: V8 runs those as
 * native code, where a Buffer call per field costs more than the whole parse. The text is kept, so
 * forwarding is string slicing (`forwardedText`).
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

export class MessageHead {
  /** Bytes the head takes, the empty line included. */
  length = 0;
  /** Flat [name, value, ...] as received, like Node's rawHeaders. */
  readonly rawHeaders: string[] = [];
  /** -1 when absent. */
  contentLength = -1;
  /** Transfer-Encoding present (then it ends in chunked for a request). */
  transferEncoding = false;
  chunked = false;
  /** The connection ends after this message (Connection: close, or HTTP/1.0 without keep-alive). */
  close: boolean;
  upgrade = false;
  expectContinue = false;
  traceparent: string | undefined = undefined;
  host: string | undefined = undefined;
  /** Start and end offsets in `text` of the field lines that are not forwarded (hop-by-hop, traceparent). */
  dropped: number[] | undefined = undefined;

  constructor(
    /** The head as received (latin1), start line to the empty line. */
    readonly text: string,
    /** 1 for HTTP/1.1, 0 for HTTP/1.0. */
    readonly minorVersion: number,
  ) {
    this.close = minorVersion === 0;
  }
}

export class RequestHead extends MessageHead {
  method = "";
  target = "";
}

export class ResponseHead extends MessageHead {
  status = 0;
  reason = "";
}

/** How many empty lines may precede a request line (RFC 9112 §2.2 robustness: some clients send a CRLF after a body). */
const MAX_LEADING_EMPTY_LINES = 4;
const CR = 0x0d;
const LF = 0x0a;
const END_OF_HEAD = Buffer.from("\r\n\r\n", "latin1");

const TOKEN = "[!#$%&'*+\\-.^_`|~0-9A-Za-z]+";
const REQUEST_LINE = new RegExp(`(${TOKEN}) ([\\x21-\\x7e]+) HTTP/1\\.([01])\\r\\n`, "y");
const STATUS_LINE = /HTTP\/1\.([01]) (\d{3})(?: ([^\r]*))?\r\n/y;
/** A field line: token name, colon, optional whitespace, value (controls were refused already), CRLF. */
const FIELD_LINE = new RegExp(`(${TOKEN}):[ \\t]*([^\\r]*?)([ \\t]*)\\r\\n`, "y");

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
  const text = headText(buffer, at, start, maxBytes);
  if (text === undefined) return undefined;
  REQUEST_LINE.lastIndex = 0;
  const line = REQUEST_LINE.exec(text);
  if (line === null) throw new HttpParseError(400, "invalid request line");
  const head = new RequestHead(text, line[3] === "1" ? 1 : 0);
  head.method = line[1] as string;
  head.target = line[2] as string;
  readFields(head, REQUEST_LINE.lastIndex);
  head.length = at - start + text.length;
  if (head.transferEncoding && !head.chunked)
    throw new HttpParseError(400, "Transfer-Encoding must end in chunked");
  if (head.minorVersion === 1 && head.host === undefined) throw new HttpParseError(400, "missing Host");
  return head;
}

/** Parses a response head at `start`; undefined while incomplete. Throws HttpParseError when malformed. */
export function parseResponseHead(buffer: Buffer, start: number, maxBytes: number): ResponseHead | undefined {
  const text = headText(buffer, start, start, maxBytes);
  if (text === undefined) return undefined;
  STATUS_LINE.lastIndex = 0;
  const line = STATUS_LINE.exec(text);
  if (line === null) throw new HttpParseError(400, "invalid status line");
  const status = Number(line[2]);
  if (status < 100) throw new HttpParseError(400, "invalid status code");
  const head = new ResponseHead(text, line[1] === "1" ? 1 : 0);
  head.status = status;
  head.reason = line[3] ?? "";
  readFields(head, STATUS_LINE.lastIndex);
  head.length = text.length;
  return head;
}

/**
 * The head from `at` to its empty line as latin1 text, or undefined while it has not all arrived. What has
 * arrived is checked already, so a bare LF is refused at once rather than waited on.
 */
function headText(buffer: Buffer, at: number, headStart: number, maxBytes: number): string | undefined {
  const end = buffer.indexOf(END_OF_HEAD, at);
  if (end === -1 || end + 4 - headStart > maxBytes) {
    if (buffer.length - headStart >= maxBytes) throw new HttpParseError(431, "head too large");
    // A CR at the very end may yet be followed by its LF.
    const last = buffer[buffer.length - 1] === CR ? buffer.length - 1 : buffer.length;
    if (hasForbiddenCharacter(buffer.toString("latin1", at, last)))
      throw new HttpParseError(400, "invalid character");
    return undefined;
  }
  const text = buffer.toString("latin1", at, end + 4);
  if (hasForbiddenCharacter(text)) throw new HttpParseError(400, "invalid character");
  return text;
}

/**
 * A control character other than HTAB, DEL, a CR not followed by LF or an LF not preceded by CR. A loop over
 * char codes: faster here than the equivalent regular expression, whose lookbehind is slow.
 */
function hasForbiddenCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if ((code >= 0x20 && code !== 0x7f) || code === 0x09) continue;
    if (code !== CR || text.charCodeAt(i + 1) !== LF) return true;
    i++;
  }
  return false;
}

/** Reads field lines from `at` up to the empty line. */
function readFields(head: MessageHead, at: number): void {
  const { text, rawHeaders } = head;
  const end = text.length - 2;
  while (at < end) {
    FIELD_LINE.lastIndex = at;
    const field = FIELD_LINE.exec(text);
    if (field === null) throw new HttpParseError(400, "invalid header line");
    const name = field[1] as string;
    const value = field[2] as string;
    rawHeaders.push(name, value);
    const next = FIELD_LINE.lastIndex;
    if (noteField(head, name, value, (field[3] as string).includes("\t"))) {
      head.dropped ??= [];
      head.dropped.push(at, next);
    }
    at = next;
  }
  if (head.transferEncoding && head.contentLength !== -1)
    throw new HttpParseError(400, "Content-Length with Transfer-Encoding");
}

/**
 * Notes the fields that decide framing and routing; names are compared by length first so most are never
 * lowercased. True for a field that is not forwarded as it is (hop-by-hop, RFC 9110 §7.6.1, or traceparent,
 * which each hop writes anew).
 */
function noteField(head: MessageHead, name: string, value: string, trailingTab: boolean): boolean {
  switch (name.length) {
    case 2:
      return name.toLowerCase() === "te";
    case 4:
      if (name.toLowerCase() === "host") {
        if (head.host !== undefined) throw new HttpParseError(400, "duplicate Host");
        head.host = value;
      }
      return false;
    case 6:
      if (name.toLowerCase() === "expect" && value.toLowerCase() === "100-continue")
        head.expectContinue = true;
      return false;
    case 7: {
      const lower = name.toLowerCase();
      if (lower === "upgrade") head.upgrade = true;
      return lower === "upgrade" || lower === "trailer";
    }
    case 10: {
      const lower = name.toLowerCase();
      if (lower === "connection") noteConnection(head, value);
      return lower === "connection" || lower === "keep-alive";
    }
    case 11:
      if (name.toLowerCase() !== "traceparent") return false;
      head.traceparent = value;
      return true;
    case 14:
      if (name.toLowerCase() === "content-length") {
        // llhttp refuses a trailing HTAB here (a space it trims): the next hop may read either way.
        if (trailingTab) throw new HttpParseError(400, "invalid Content-Length");
        if (head.contentLength !== -1) throw new HttpParseError(400, "duplicate Content-Length");
        head.contentLength = contentLengthOf(value);
      }
      return false;
    case 16:
      return name.toLowerCase() === "proxy-connection";
    case 17:
      if (name.toLowerCase() === "transfer-encoding") {
        if (trailingTab) throw new HttpParseError(400, "invalid Transfer-Encoding");
        noteTransferEncoding(head, value);
      }
      return false;
    default:
      return false;
  }
}

const DIGITS = /^\d{1,15}$/;

/** 1*DIGIT, at most 15 of them so the number stays exact. */
function contentLengthOf(value: string): number {
  if (!DIGITS.test(value)) throw new HttpParseError(400, "invalid Content-Length");
  return Number(value);
}

/**
 * Codings accumulate over repeated fields; chunked must be the last and appear once. An empty element
 * ("chunked," or an empty field) is refused: llhttp refuses some of these and other parsers skip them.
 */
function noteTransferEncoding(head: MessageHead, value: string): void {
  for (const part of value.split(",")) {
    const coding = part.trim().toLowerCase();
    if (coding === "") throw new HttpParseError(400, "invalid Transfer-Encoding");
    if (head.chunked) throw new HttpParseError(400, "chunked is not the final transfer coding");
    head.transferEncoding = true;
    head.chunked = coding === "chunked";
  }
}

function noteConnection(head: MessageHead, value: string): void {
  const options = value.toLowerCase();
  if (options === "keep-alive") {
    if (head.minorVersion === 0) head.close = false;
    return;
  }
  for (const part of options.split(",")) {
    const option = part.trim();
    if (option === "close") head.close = true;
    else if (option === "keep-alive" && head.minorVersion === 0) head.close = false;
  }
}

/**
 * The head to forward, as text: as received without its hop-by-hop fields and traceparent (its start line
 * replaced by `startLine` when given), then `extra` ("Name: value\r\n" lines) and the empty line.
 */
export function forwardedText(head: MessageHead, startLine: string | undefined, extra: string): string {
  const { text, dropped } = head;
  let at = 0;
  let result = "";
  if (startLine !== undefined) {
    at = text.indexOf("\r\n") + 2;
    result = `${startLine}\r\n`;
  }
  if (dropped !== undefined) {
    for (let i = 0; i < dropped.length; i += 2) {
      result += text.slice(at, dropped[i]);
      at = dropped[i + 1] as number;
    }
  }
  return `${result}${text.slice(at, text.length - 2)}${extra}\r\n`;
}
