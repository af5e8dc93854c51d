/** Byte classes of RFC 9110 §5.1 / §5.5 as lookup tables, so the parsers test a byte with one load. */

function table(accepts: (byte: number) => boolean): Uint8Array {
  const result = new Uint8Array(256);
  for (let byte = 0; byte < 256; byte++) result[byte] = accepts(byte) ? 1 : 0;
  return result;
}

const TCHAR_SYMBOLS = "!#$%&'*+-.^_`|~";

/** tchar: what a method, a field name or a chunk extension name may contain. */
export const TOKEN = table(
  (byte) =>
    (byte >= 0x30 && byte <= 0x39) ||
    (byte >= 0x41 && byte <= 0x5a) ||
    (byte >= 0x61 && byte <= 0x7a) ||
    TCHAR_SYMBOLS.includes(String.fromCharCode(byte)),
);

/** field-vchar, SP and HTAB (obs-text included): a field value without CR, LF, NUL or other controls. */
export const FIELD_VALUE = table((byte) => byte === 0x09 || (byte >= 0x20 && byte !== 0x7f));

/** A request-target in origin, absolute, authority or asterisk form: visible ASCII only. */
export const TARGET = table((byte) => byte > 0x20 && byte < 0x7f);

/** Values of hexadecimal digits, -1 for any other byte. */
export const HEX = (() => {
  const result = new Int8Array(256).fill(-1);
  for (let digit = 0; digit < 10; digit++) result[0x30 + digit] = digit;
  for (let digit = 0; digit < 6; digit++) {
    result[0x41 + digit] = 10 + digit;
    result[0x61 + digit] = 10 + digit;
  }
  return result;
})();

export const CR = 0x0d;
export const LF = 0x0a;
export const SP = 0x20;
export const HTAB = 0x09;
export const COLON = 0x3a;
export const SEMICOLON = 0x3b;
