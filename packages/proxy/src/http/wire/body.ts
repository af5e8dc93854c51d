import { COLON, CR, FIELD_VALUE, HEX, LF, SEMICOLON, TOKEN } from "./chars.ts";
import { HttpParseError } from "./head.ts";

/** Receives the payload of a body, de-chunked: ranges of the buffer being consumed. */
export interface PayloadSink {
  payload(buffer: Buffer, start: number, end: number): void;
}

enum Framing {
  None,
  Length,
  Chunked,
  UntilClose,
}

enum Chunk {
  Size,
  Extension,
  SizeLf,
  Data,
  DataCr,
  DataLf,
  TrailerLineStart,
  TrailerName,
  TrailerLine,
  TrailerLf,
  EndLf,
}

/** A chunk size line or trailer section longer than this is refused (llhttp's own limits are similar). */
const MAX_CHUNK_LINE_BYTES = 4096;
const MAX_TRAILER_BYTES = 16 * 1024;
/** Sizes beyond 2^53 cannot be counted exactly. */
const MAX_CHUNK_SIZE_DIGITS = 13;
const TOKEN_TEXT = "[!#$%&'*+\\-.^_`|~0-9A-Za-z]+";
const QUOTED_STRING = '"(?:[\\t \\x21\\x23-\\x5b\\x5d-\\x7e\\x80-\\xff]|\\\\[\\t \\x21-\\x7e\\x80-\\xff])*"';
/** RFC 9112 §7.1.1 chunk-ext without BWS, as llhttp reads it: `;name` or `;name=token` or `;name="quoted"`. */
const CHUNK_EXTENSIONS = new RegExp(`^(?:;${TOKEN_TEXT}(?:=(?:${TOKEN_TEXT}|${QUOTED_STRING}))?)+$`);
/** Framing fields in trailers: a recipient that merged them would frame the message again. */
const FORBIDDEN_TRAILERS = new Set(["content-length", "transfer-encoding"]);

/**
 * Finds where a message body ends (RFC 9112 §6.3) while the bytes stream past, so they can be forwarded as
 * they are, chunked framing included. Chunked framing is checked byte by byte: a bad size, missing CRLF or
 * bad trailer throws, so a body the next hop could read differently never reaches it whole.
 */
export class BodyFramer {
  private framing = Framing.None;
  private remaining = 0;
  private chunkState = Chunk.Size;
  private digits = 0;
  private lineBytes = 0;
  private trailerBytes = 0;
  /** The current chunk's extensions (latin1), checked whole when its line ends. */
  private extension = "";
  /** The current trailer field's name, lowercased. */
  private trailerName = "";
  done = true;

  /** No body at all (GET without length, HEAD responses, 204, 304). */
  none(): void {
    this.framing = Framing.None;
    this.done = true;
  }

  length(bytes: number): void {
    this.framing = Framing.Length;
    this.remaining = bytes;
    this.done = bytes === 0;
  }

  chunked(): void {
    this.framing = Framing.Chunked;
    this.chunkState = Chunk.Size;
    this.remaining = 0;
    this.digits = 0;
    this.lineBytes = 0;
    this.trailerBytes = 0;
    this.done = false;
  }

  /** A response without length or chunking: it ends when the connection does. */
  untilClose(): void {
    this.framing = Framing.UntilClose;
    this.done = false;
  }

  get endsWithConnection(): boolean {
    return this.framing === Framing.UntilClose;
  }

  /** The end of the body in `buffer[start, buffer.length)`: `done` turns true when it ends before that. */
  consume(buffer: Buffer, start: number, sink: PayloadSink | undefined): number {
    const end = buffer.length;
    if (this.framing === Framing.Length) {
      const take = Math.min(this.remaining, end - start);
      this.remaining -= take;
      if (this.remaining === 0) this.done = true;
      if (sink && take > 0) sink.payload(buffer, start, start + take);
      return start + take;
    }
    if (this.framing === Framing.UntilClose) {
      if (sink && end > start) sink.payload(buffer, start, end);
      return end;
    }
    if (this.framing === Framing.None) return start;
    return this.consumeChunked(buffer, start, end, sink);
  }

  private consumeChunked(buffer: Buffer, start: number, end: number, sink: PayloadSink | undefined): number {
    let at = start;
    while (at < end) {
      if (this.chunkState === Chunk.Data) {
        const take = Math.min(this.remaining, end - at);
        if (sink) sink.payload(buffer, at, at + take);
        at += take;
        this.remaining -= take;
        if (this.remaining === 0) this.chunkState = Chunk.DataCr;
        continue;
      }
      const byte = buffer[at++] as number;
      switch (this.chunkState) {
        case Chunk.Size: {
          const value = HEX[byte] as number;
          if (value !== -1) {
            if (++this.digits > MAX_CHUNK_SIZE_DIGITS) throw new HttpParseError(400, "chunk size too large");
            this.remaining = this.remaining * 16 + value;
          } else if (this.digits === 0) {
            throw new HttpParseError(400, "invalid chunk size");
          } else if (byte === CR) {
            this.chunkState = Chunk.SizeLf;
          } else if (byte === SEMICOLON) {
            // No whitespace after the size, as llhttp: parsers that allow it disagree on what follows.
            this.chunkState = Chunk.Extension;
            this.extension = ";";
          } else {
            throw new HttpParseError(400, "invalid chunk size");
          }
          this.countLine();
          break;
        }
        case Chunk.Extension:
          if (byte === CR) {
            if (!CHUNK_EXTENSIONS.test(this.extension))
              throw new HttpParseError(400, "invalid chunk extension");
            this.chunkState = Chunk.SizeLf;
          } else if (FIELD_VALUE[byte] !== 1) throw new HttpParseError(400, "invalid chunk extension");
          else this.extension += String.fromCharCode(byte);
          this.countLine();
          break;
        case Chunk.SizeLf:
          if (byte !== LF) throw new HttpParseError(400, "chunk size line without LF");
          this.digits = 0;
          this.lineBytes = 0;
          this.chunkState = this.remaining === 0 ? Chunk.TrailerLineStart : Chunk.Data;
          break;
        case Chunk.DataCr:
          if (byte !== CR) throw new HttpParseError(400, "chunk data without CRLF");
          this.chunkState = Chunk.DataLf;
          break;
        case Chunk.DataLf:
          if (byte !== LF) throw new HttpParseError(400, "chunk data without CRLF");
          this.chunkState = Chunk.Size;
          break;
        case Chunk.TrailerLineStart:
          if (byte === CR) {
            this.chunkState = Chunk.EndLf;
            break;
          }
          if (TOKEN[byte] !== 1) throw new HttpParseError(400, "invalid trailer");
          this.chunkState = Chunk.TrailerName;
          this.trailerName = String.fromCharCode(byte).toLowerCase();
          this.countTrailer();
          break;
        case Chunk.TrailerName:
          if (byte === COLON) {
            if (FORBIDDEN_TRAILERS.has(this.trailerName))
              throw new HttpParseError(400, `${this.trailerName} is not allowed in trailers`);
            this.chunkState = Chunk.TrailerLine;
          } else if (TOKEN[byte] !== 1) throw new HttpParseError(400, "invalid trailer");
          else if (this.trailerName.length <= 17) this.trailerName += String.fromCharCode(byte).toLowerCase();
          this.countTrailer();
          break;
        case Chunk.TrailerLine:
          if (byte === CR) this.chunkState = Chunk.TrailerLf;
          else if (FIELD_VALUE[byte] !== 1) throw new HttpParseError(400, "invalid trailer");
          this.countTrailer();
          break;
        case Chunk.TrailerLf:
          if (byte !== LF) throw new HttpParseError(400, "trailer without LF");
          this.chunkState = Chunk.TrailerLineStart;
          break;
        case Chunk.EndLf:
          if (byte !== LF) throw new HttpParseError(400, "chunked body without final CRLF");
          this.done = true;
          return at;
      }
    }
    return at;
  }

  private countLine(): void {
    if (++this.lineBytes > MAX_CHUNK_LINE_BYTES) throw new HttpParseError(400, "chunk line too long");
  }

  private countTrailer(): void {
    if (++this.trailerBytes > MAX_TRAILER_BYTES) throw new HttpParseError(400, "trailers too large");
  }
}
