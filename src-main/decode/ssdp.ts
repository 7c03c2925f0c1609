/**
 * SSDP decoder (UPnP Device Architecture 2.0 §1: HTTP-over-UDP on port 1900): the start line
 * and the SERVER, USN, LOCATION and ST / NT headers, matched case-insensitively.
 */
import type { SsdpHint } from './decoded-packet.ts';
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

const span: HeaderSpan = { colon: 0, valueStart: 0, valueEnd: 0 };

/** Decodes the SSDP message at `r.pos` up to `r.end`; null (with a failure) when it is not one. */
export function decodeSsdp(r: ByteReader): SsdpHint | null {
  const b = r.bytes;
  const start = r.pos;
  const end = r.end;
  const firstEnd = findLineEnd(b, start, end);
  const firstContent = trimCr(b, start, firstEnd);
  let startLine: string;
  if (startsWith(b, start, firstContent, 'HTTP/')) {
    startLine = byteText(b, start, firstContent);
  } else {
    // Request line: METHOD SP request-target SP HTTP/1.1; the method is an upper-case token.
    const sp = indexOfByte(b, 0x20, start, firstContent);
    if (sp <= start || !isMethodToken(b, start, sp)) {
      r.malformed('SSDP message without a request or status line', start);
      return null;
    }
    startLine = byteText(b, start, sp);
  }
  const hint: SsdpHint = { startLine, server: null, usn: null, location: null, target: null };

  let pos = firstEnd + 1;
  for (let lines = 0; lines < MAX_HEADER_LINES && pos < end; lines++) {
    const lineEnd = findLineEnd(b, pos, end);
    const contentEnd = trimCr(b, pos, lineEnd);
    if (contentEnd === pos) break; // empty line: end of headers
    if (splitHeader(b, pos, contentEnd, span)) storeHeader(b, pos, hint);
    pos = lineEnd + 1;
  }
  r.pos = end;
  return hint;
}

function storeHeader(b: Uint8Array, lineStart: number, hint: SsdpHint): void {
  const nameLen = span.colon - lineStart;
  if (nameLen === 2) {
    if (nameIs(b, lineStart, 2, 'st') || nameIs(b, lineStart, 2, 'nt')) {
      hint.target ??= byteText(b, span.valueStart, span.valueEnd);
    }
  } else if (nameIs(b, lineStart, nameLen, 'server')) {
    hint.server ??= byteText(b, span.valueStart, span.valueEnd);
  } else if (nameIs(b, lineStart, nameLen, 'usn')) {
    hint.usn ??= byteText(b, span.valueStart, span.valueEnd);
  } else if (nameIs(b, lineStart, nameLen, 'location')) {
    hint.location ??= byteText(b, span.valueStart, span.valueEnd);
  }
}

/** Upper-case letters and '-' ("M-SEARCH", "NOTIFY"). */
function isMethodToken(b: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = b[i];
    if (!((c >= 0x41 && c <= 0x5a) || c === 0x2d)) return false;
  }
  return true;
}
