/**
 * HTTP/1.x request decoder (RFC 9112 §3): recognised by a method token at the very start of a
 * TCP payload, on any port. Reads the method, the request target, and the Host and User-Agent
 * headers that lie within the segment. Responses and continuation segments are ignored.
 */
import type { HttpHint } from './decoded-packet.ts';
import type { ByteReader } from './byte-reader.ts';
import { byteText } from './address-text.ts';
import {
  findLineEnd,
  indexOfByte,
  MAX_HEADER_LINES,
  nameIs,
  splitHeader,
  startsWith,
  trimCr,
  type HeaderSpan,
} from './text-protocol.ts';

/** RFC 9110 §9 methods plus PATCH (RFC 5789), each with its trailing space. */
const METHODS = ['GET ', 'POST ', 'PUT ', 'HEAD ', 'DELETE ', 'OPTIONS ', 'PATCH ', 'CONNECT ', 'TRACE '];

const span: HeaderSpan = { colon: 0, valueStart: 0, valueEnd: 0 };

/** Cheap first-byte test: could this payload start with a method we know? */
export function mayBeHttpRequest(b: Uint8Array, pos: number): boolean {
  const c = b[pos];
  // G P H D O C T
  return c === 0x47 || c === 0x50 || c === 0x48 || c === 0x44 || c === 0x4f || c === 0x43 || c === 0x54;
}

/**
 * Decodes an HTTP request at `r.pos` up to `r.end`, or returns null (no failure) when the
 * payload does not start with a request line ("METHOD SP target SP HTTP/").
 */
export function decodeHttpRequest(r: ByteReader): HttpHint | null {
  const b = r.bytes;
  const start = r.pos;
  const end = r.end;
  let methodLen = 0;
  for (const m of METHODS) {
    if (startsWith(b, start, end, m)) {
      methodLen = m.length - 1;
      break;
    }
  }
  if (methodLen === 0) return null;
  const firstEnd = findLineEnd(b, start, end);
  const firstContent = trimCr(b, start, firstEnd);
  const targetStart = start + methodLen + 1;
  const targetEnd = indexOfByte(b, 0x20, targetStart, firstContent);
  if (targetEnd < 0 || !startsWith(b, targetEnd + 1, firstContent, 'HTTP/')) return null;

  const hint: HttpHint = {
    method: byteText(b, start, start + methodLen),
    path: byteText(b, targetStart, targetEnd),
    host: null,
    userAgent: null,
  };
  let pos = firstEnd + 1;
  for (let lines = 0; lines < MAX_HEADER_LINES && pos < end; lines++) {
    const lineEnd = findLineEnd(b, pos, end);
    const contentEnd = trimCr(b, pos, lineEnd);
    if (contentEnd === pos) break; // end of headers
    if (splitHeader(b, pos, contentEnd, span)) {
      const nameLen = span.colon - pos;
      if (nameIs(b, pos, nameLen, 'host')) hint.host ??= byteText(b, span.valueStart, span.valueEnd);
      else if (nameIs(b, pos, nameLen, 'user-agent')) {
        hint.userAgent ??= byteText(b, span.valueStart, span.valueEnd);
      }
    }
    pos = lineEnd + 1;
  }
  r.pos = end;
  return hint;
}
