/**
 * TLS ClientHello server_name (SNI) reader: TLS record (RFC 8446 §5.1), handshake header and
 * ClientHello body (§4.1.2), extension list, and the server_name extension (RFC 6066 §3).
 *
 * A ClientHello often spans two TCP segments. When the segment ends before the SNI, there is
 * nothing to report and no failure either (the rest is in the next segment) — unless the capture
 * itself cut the packet (snap length), which is truncation. A field that runs past a length
 * declared in the ClientHello is malformed.
 */
import type { ByteReader } from './byte-reader.ts';
import { readU16 } from './byte-reader.ts';
import { byteText } from './address-text.ts';

const CONTENT_HANDSHAKE = 0x16;
const HANDSHAKE_CLIENT_HELLO = 1;
const EXT_SERVER_NAME = 0;
const NAME_TYPE_HOST = 0;

/** Cheap test on the first bytes of a TCP payload: a handshake record holding a ClientHello. */
export function mayBeClientHello(b: Uint8Array, pos: number, end: number): boolean {
  return (
    end - pos >= 6 &&
    b[pos] === CONTENT_HANDSHAKE &&
    b[pos + 1] === 3 &&
    b[pos + 5] === HANDSHAKE_CLIENT_HELLO
  );
}

/** Limits for the ClientHello being read (module state: no per-call object). */
let structEnd = 0;
let structIsDeclared = false;

/**
 * True when `n` bytes at `pos` can be read. Otherwise records a failure where one is due (see the
 * module comment) and returns false.
 */
function avail(r: ByteReader, pos: number, n: number, what: string): boolean {
  if (pos + n <= structEnd && pos + n <= r.end) return true;
  if (pos + n > structEnd) {
    // The handshake message (or an inner vector) declared less than it holds: malformed. The
    // record ending first just means the handshake continues in the next record.
    if (structIsDeclared) r.malformed(`TLS ${what} runs past its declared length`, pos);
    return false;
  }
  if (r.declaredEnd > r.bytes.length) r.fail('truncated', `TLS ${what} cut short by the capture`, pos);
  return false;
}

/** Returns the SNI host name of the ClientHello at `r.pos`, or null (see module comment). */
export function readClientHelloSni(r: ByteReader): string | null {
  const b = r.bytes;
  const start = r.pos;
  if (!mayBeClientHello(b, start, r.end)) return null;
  const recEnd = start + 5 + readU16(b, start + 3);
  // Handshake header: type (1) and a 24-bit length.
  if (!(start + 9 <= r.end)) {
    if (r.declaredEnd > b.length) r.fail('truncated', 'TLS handshake header cut short by the capture', start);
    return null;
  }
  const hsEnd = start + 9 + ((b[start + 6] << 16) | (b[start + 7] << 8) | b[start + 8]);
  structIsDeclared = hsEnd <= recEnd;
  structEnd = structIsDeclared ? hsEnd : recEnd;

  // client_version (2) + random (32), then session_id <0..32>.
  let p = start + 9 + 34;
  if (!avail(r, p, 1, 'session id')) return null;
  p += 1 + b[p];
  if (!avail(r, p, 2, 'cipher suites')) return null;
  p += 2 + readU16(b, p);
  if (!avail(r, p, 1, 'compression methods')) return null;
  p += 1 + b[p];
  if (!avail(r, p, 2, 'extensions')) return null;
  const extEnd = p + 2 + readU16(b, p);
  p += 2;
  if (extEnd > structEnd && structIsDeclared) {
    r.malformed('TLS extensions run past the ClientHello', p - 2);
    return null;
  }
  while (p + 4 <= extEnd) {
    if (!avail(r, p, 4, 'extension header')) return null;
    const type = readU16(b, p);
    const len = readU16(b, p + 2);
    p += 4;
    if (p + len > extEnd) {
      r.malformed('TLS extension runs past the extension list', p - 4);
      return null;
    }
    if (type === EXT_SERVER_NAME) return readServerName(r, p, p + len);
    p += len;
  }
  return null;
}

/** server_name extension body: ServerNameList <1..2^16-1> of (type, HostName <1..2^16-1>). */
function readServerName(r: ByteReader, p: number, end: number): string | null {
  const b = r.bytes;
  if (!avail(r, p, 2, 'server name list')) return null;
  const listEnd = p + 2 + readU16(b, p);
  if (listEnd > end) {
    r.malformed('TLS server name list runs past its extension', p);
    return null;
  }
  p += 2;
  while (p + 3 <= listEnd) {
    if (!avail(r, p, 3, 'server name')) return null;
    const type = b[p];
    const len = readU16(b, p + 1);
    p += 3;
    if (p + len > listEnd) {
      r.malformed('TLS server name runs past its list', p - 3);
      return null;
    }
    if (!avail(r, p, len, 'server name')) return null;
    if (type === NAME_TYPE_HOST) return byteText(b, p, p + len);
    p += len;
  }
  return null;
}
