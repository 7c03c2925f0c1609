/**
 * Line and header scanning for the HTTP-like text protocols we read (SSDP over UDP, HTTP
 * requests): RFC 9112 §2.1 message format, header names case-insensitive (RFC 9110 §5.1).
 * Everything works on byte offsets; strings are made only for the values we keep.
 */

const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const HTAB = 0x09;
const COLON = 0x3a;

/** At most this many header lines are looked at in one message. */
export const MAX_HEADER_LINES = 64;

/** Offset of the next LF in `b[pos, end)`, or `end` when the message stops without one. */
export function findLineEnd(b: Uint8Array, pos: number, end: number): number {
  for (let i = pos; i < end; i++) if (b[i] === LF) return i;
  return end;
}

/** End of the line's content: before a CR that precedes `lineEnd`. */
export function trimCr(b: Uint8Array, start: number, lineEnd: number): number {
  return lineEnd > start && b[lineEnd - 1] === CR ? lineEnd - 1 : lineEnd;
}

/** Offset of the first `byte` in `b[pos, end)`, or -1. */
export function indexOfByte(b: Uint8Array, byte: number, pos: number, end: number): number {
  for (let i = pos; i < end; i++) if (b[i] === byte) return i;
  return -1;
}

/** True when `b[start, start+name.length)` equals `name` (lower-case ASCII) ignoring case. */
export function nameIs(b: Uint8Array, start: number, len: number, name: string): boolean {
  if (len !== name.length) return false;
  for (let i = 0; i < len; i++) {
    let c = b[start + i];
    if (c >= 0x41 && c <= 0x5a) c += 0x20;
    if (c !== name.charCodeAt(i)) return false;
  }
  return true;
}

/** True when `b[start, ...)` starts with `token` (exact ASCII) within `end`. */
export function startsWith(b: Uint8Array, start: number, end: number, token: string): boolean {
  if (end - start < token.length) return false;
  for (let i = 0; i < token.length; i++) if (b[start + i] !== token.charCodeAt(i)) return false;
  return true;
}

/** Header line split into name [lineStart, colon) and trimmed value [valueStart, valueEnd). */
export interface HeaderSpan {
  colon: number;
  valueStart: number;
  valueEnd: number;
}

/**
 * Splits the header line `b[lineStart, contentEnd)` into `span`; returns false when the line
 * has no colon (not a header). `span` is caller-owned and reused.
 */
export function splitHeader(b: Uint8Array, lineStart: number, contentEnd: number, span: HeaderSpan): boolean {
  const colon = indexOfByte(b, COLON, lineStart, contentEnd);
  if (colon < 0) return false;
  let vs = colon + 1;
  let ve = contentEnd;
  while (vs < ve && (b[vs] === SP || b[vs] === HTAB)) vs++;
  while (ve > vs && (b[ve - 1] === SP || b[ve - 1] === HTAB)) ve--;
  span.colon = colon;
  span.valueStart = vs;
  span.valueEnd = ve;
  return true;
}
