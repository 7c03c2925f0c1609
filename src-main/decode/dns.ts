/**
 * DNS / mDNS / LLMNR message decoder (RFC 1035 §4.1; mDNS RFC 6762 and LLMNR RFC 4795 share the
 * format). Reads the question names and the answer, authority and additional records, following
 * name compression pointers (RFC 1035 §4.1.4) with limits against loops and oversized names.
 */
import type { DnsHint, DnsRecord } from './decoded-packet.ts';
import { readU16, type ByteReader } from './byte-reader.ts';
import { formatIpv6, ipv4Text } from './address-text.ts';

/** RFC 1035 §2.3.4: a name is at most 255 octets on the wire (we count its text form). */
const MAX_NAME_LENGTH = 255;
/** At most this many labels in one name (255 octets hold at most 127 labels). */
const MAX_LABELS = 128;
/** At most this many compression pointers followed while reading one name. */
const MAX_POINTER_HOPS = 32;
/** At most this many questions and records read from one message. */
const MAX_QUESTIONS = 64;
const MAX_RECORDS = 256;

export const DnsType = { A: 1, CNAME: 5, PTR: 12, TXT: 16, AAAA: 28, SRV: 33 } as const;

/** End offset of the last name read at its original position (module state: no per-call object). */
let nameEnd = 0;

/**
 * Reads the name at `pos` within the message `b[msgStart, msgEnd)`. Returns its dotted text
 * ("" for the root) and sets `nameEnd` to the offset after the name in place, or returns null
 * after recording a failure in `r`.
 */
export function readDnsName(r: ByteReader, msgStart: number, msgEnd: number, pos: number): string | null {
  const b = r.bytes;
  let name = '';
  let labels = 0;
  let octets = 1; // the root label
  let hops = 0;
  let endInPlace = -1;
  const captured = b.length < msgEnd ? b.length : msgEnd;
  for (;;) {
    if (pos >= captured) return nameFailure(r, pos, msgEnd, 'DNS name');
    const len = b[pos];
    if (len === 0) {
      if (endInPlace < 0) endInPlace = pos + 1;
      break;
    }
    const kind = len & 0xc0;
    if (kind === 0xc0) {
      // Compression pointer: 14-bit offset from the start of the message.
      if (pos + 2 > captured) return nameFailure(r, pos, msgEnd, 'DNS compression pointer');
      if (endInPlace < 0) endInPlace = pos + 2;
      if (++hops > MAX_POINTER_HOPS) {
        r.malformed('DNS compression pointer loop', pos);
        return null;
      }
      const target = msgStart + (((len & 0x3f) << 8) | b[pos + 1]);
      if (target >= msgEnd) {
        r.malformed('DNS compression pointer past the message', pos);
        return null;
      }
      pos = target;
      continue;
    }
    if (kind !== 0) {
      // 0x40 (extended label, RFC 6891 §5 — obsolete) and 0x80 (reserved).
      r.malformed(`DNS label type 0x${kind.toString(16)}`, pos);
      return null;
    }
    if (pos + 1 + len > captured) return nameFailure(r, pos, msgEnd, 'DNS label');
    octets += 1 + len;
    if (++labels > MAX_LABELS || octets > MAX_NAME_LENGTH) {
      r.malformed('DNS name longer than 255 octets', pos);
      return null;
    }
    if (name.length > 0) name += '.';
    name += labelText(b, pos + 1, pos + 1 + len);
    pos += 1 + len;
  }
  nameEnd = endInPlace;
  return name;
}

/** A name that ran out of bytes: truncated when the capture cut the message, malformed otherwise. */
function nameFailure(r: ByteReader, pos: number, msgEnd: number, what: string): null {
  if (msgEnd > r.bytes.length) r.fail('truncated', `${what} cut short by the capture`, pos);
  else r.malformed(`${what} runs past the message`, pos);
  return null;
}

const utf8 = new TextDecoder('utf-8');

/** Label bytes as text: ASCII directly, otherwise UTF-8 (mDNS names are UTF-8, RFC 6762 §16). */
function labelText(b: Uint8Array, start: number, end: number): string {
  for (let i = start; i < end; i++) {
    if (b[i] >= 0x80) return utf8.decode(b.subarray(start, end));
  }
  let s = '';
  for (let i = start; i < end; i++) s += String.fromCharCode(b[i]);
  return s;
}

/**
 * Decodes the DNS message at `r.pos` up to `r.end`. Returns the hint (possibly with fewer records
 * than announced when a record fails; the failure is recorded in `r`) or null when not even the
 * 12-byte header is there.
 */
export function decodeDns(r: ByteReader): DnsHint | null {
  if (!r.need(12, 'DNS header')) return null;
  const b = r.bytes;
  const msgStart = r.pos;
  const msgEnd = r.declaredEnd; // Infinity when no header declared the message length
  const id = readU16(b, msgStart);
  const response = (b[msgStart + 2] & 0x80) !== 0;
  const qdCount = readU16(b, msgStart + 4);
  const rrCount = readU16(b, msgStart + 6) + readU16(b, msgStart + 8) + readU16(b, msgStart + 10);
  const hint: DnsHint = { id, response, questions: [], answers: [] };
  r.pos = msgStart + 12;

  if (qdCount > MAX_QUESTIONS) {
    r.malformed(`DNS question count ${qdCount} exceeds ${MAX_QUESTIONS}`, msgStart + 4);
    return hint;
  }
  if (rrCount > MAX_RECORDS) {
    r.malformed(`DNS record count ${rrCount} exceeds ${MAX_RECORDS}`, msgStart + 6);
    return hint;
  }
  for (let i = 0; i < qdCount; i++) {
    const name = readDnsName(r, msgStart, msgEnd, r.pos);
    if (name === null) return hint;
    r.pos = nameEnd;
    if (!r.skip(4, 'DNS question')) return hint; // QTYPE, QCLASS
    hint.questions.push(name);
  }
  for (let i = 0; i < rrCount; i++) {
    const record = readRecord(r, msgStart, msgEnd);
    if (record === null) return hint;
    hint.answers.push(record);
  }
  return hint;
}

/** One resource record (RFC 1035 §4.1.3): name, type, class, TTL, RDLENGTH, RDATA. */
function readRecord(r: ByteReader, msgStart: number, msgEnd: number): DnsRecord | null {
  const name = readDnsName(r, msgStart, msgEnd, r.pos);
  if (name === null) return null;
  r.pos = nameEnd;
  if (!r.need(10, 'DNS record header')) return null;
  const b = r.bytes;
  const type = readU16(b, r.pos);
  const rdLength = readU16(b, r.pos + 8);
  r.pos += 10;
  const rdStart = r.pos;
  const rdEnd = rdStart + rdLength;
  if (!r.need(rdLength, 'DNS record data')) return null;
  const data = recordData(r, type, rdStart, rdEnd, msgStart, msgEnd);
  if (data === null) return null;
  r.pos = rdEnd;
  return { name, type, data };
}

/** Text form of RDATA for the types we name; "" for others. */
function recordData(
  r: ByteReader,
  type: number,
  start: number,
  end: number,
  msgStart: number,
  msgEnd: number,
): string | null {
  const b = r.bytes;
  const len = end - start;
  switch (type) {
    case DnsType.A:
      if (len !== 4) return badRdata(r, 'A', start);
      return ipv4Text(b, start);
    case DnsType.AAAA:
      if (len !== 16) return badRdata(r, 'AAAA', start);
      return formatIpv6(b, start);
    case DnsType.PTR:
    case DnsType.CNAME: {
      const target = readDnsName(r, msgStart, msgEnd, start);
      if (target === null) return null;
      if (nameEnd > end) return badRdata(r, 'name', start);
      return target;
    }
    case DnsType.SRV: {
      // Priority, weight, port, target (RFC 2782).
      if (len < 7) return badRdata(r, 'SRV', start);
      const port = readU16(b, start + 4);
      const target = readDnsName(r, msgStart, msgEnd, start + 6);
      if (target === null) return null;
      if (nameEnd > end) return badRdata(r, 'SRV', start);
      return `${target}:${port}`;
    }
    case DnsType.TXT: {
      // One or more <length><bytes> strings (RFC 1035 §3.3.14), joined with ';'.
      let text = '';
      let p = start;
      while (p < end) {
        const n = b[p];
        if (p + 1 + n > end) return badRdata(r, 'TXT', p);
        if (p > start) text += ';';
        text += labelText(b, p + 1, p + 1 + n);
        p += 1 + n;
      }
      return text;
    }
    default:
      return '';
  }
}

function badRdata(r: ByteReader, what: string, offset: number): null {
  r.malformed(`DNS ${what} record data has an impossible length`, offset);
  return null;
}
