/**
 * Hand-built frames for the decoder tests: small builders for each header, so that a test says
 * which field it is about and everything else is a plain valid default.
 */
import type { RawPacket } from '../../../src-main/capture/packet-source.ts';

export type Bytes = number[];

export function concat(...parts: (Bytes | Uint8Array)[]): Bytes {
  const out: Bytes = [];
  for (const p of parts) for (const b of p) out.push(b);
  return out;
}

export const u16 = (v: number): Bytes => [(v >> 8) & 0xff, v & 0xff];
export const u32 = (v: number): Bytes => [(v >>> 24) & 0xff, (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff];
export const ascii = (s: string): Bytes => [...Buffer.from(s, 'utf8')];

export function mac(text: string): Bytes {
  return text.split(':').map((h) => parseInt(h, 16));
}

export function ip4(text: string): Bytes {
  return text.split('.').map(Number);
}

/** Full 16-byte form of an IPv6 address written with "::" at most once. */
export function ip6(text: string): Bytes {
  const [head, tail] = text.includes('::') ? text.split('::') : [text, null];
  const groups = (s: string): number[] => (s === '' ? [] : s.split(':').map((g) => parseInt(g, 16)));
  const h = groups(head);
  const t = tail === null ? [] : groups(tail);
  const all = [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
  return all.flatMap((g) => u16(g));
}

export const MAC_A = 'aa:bb:cc:00:00:01';
export const MAC_B = '11:22:33:44:55:66';

export function eth(type: number, payload: Bytes, dst = MAC_B, src = MAC_A): Bytes {
  return concat(mac(dst), mac(src), u16(type), payload);
}

export function vlanTag(tpid: number, vid: number): Bytes {
  return concat(u16(tpid), u16(vid));
}

export interface Ipv4Options {
  src?: string;
  dst?: string;
  proto?: number;
  ttl?: number;
  /** Flags and fragment offset word (3 flag bits, 13-bit offset in 8-byte units). */
  fragWord?: number;
  options?: Bytes;
  /** Overrides the total length field. */
  totalLength?: number;
}

export function ipv4(payload: Bytes, o: Ipv4Options = {}): Bytes {
  const options = o.options ?? [];
  const ihl = 5 + options.length / 4;
  const total = o.totalLength ?? 20 + options.length + payload.length;
  return concat(
    [0x40 | ihl, 0],
    u16(total),
    u16(0x1234),
    u16(o.fragWord ?? 0x4000),
    [o.ttl ?? 64, o.proto ?? 17],
    u16(0),
    ip4(o.src ?? '192.168.4.2'),
    ip4(o.dst ?? '8.8.8.8'),
    options,
    payload,
  );
}

export interface Ipv6Options {
  src?: string;
  dst?: string;
  next?: number;
  hopLimit?: number;
  payloadLength?: number;
}

export function ipv6(payload: Bytes, o: Ipv6Options = {}): Bytes {
  return concat(
    [0x60, 0, 0, 0],
    u16(o.payloadLength ?? payload.length),
    [o.next ?? 17, o.hopLimit ?? 255],
    ip6(o.src ?? 'fe80::1'),
    ip6(o.dst ?? 'ff02::fb'),
    payload,
  );
}

/** An 8-byte-unit extension header (hop-by-hop, routing, destination options) with padding. */
export function extHeader(next: number, body: Bytes = [1, 4, 0, 0, 0, 0]): Bytes {
  // body: the bytes after next header and length; total must be a multiple of 8.
  const len = 2 + body.length;
  return concat([next, len / 8 - 1], body);
}

export function tcp(payload: Bytes, sport = 50000, dport = 443, flags = 0x18, options: Bytes = []): Bytes {
  const offset = 5 + options.length / 4;
  return concat(
    u16(sport),
    u16(dport),
    u32(1),
    u32(2),
    [offset << 4, flags],
    u16(65535),
    u16(0),
    u16(0),
    options,
    payload,
  );
}

export function udp(payload: Bytes, sport = 40000, dport = 53, length?: number): Bytes {
  return concat(u16(sport), u16(dport), u16(length ?? 8 + payload.length), u16(0), payload);
}

export function raw(bytes: Bytes | Uint8Array, linkType = 1, origLen?: number): RawPacket {
  const b = Uint8Array.from(bytes);
  return { ts: 0, caplen: b.length, origLen: origLen ?? b.length, linkType, bytes: b, index: 0 };
}

/** DNS name in wire form without compression. */
export function dnsName(name: string): Bytes {
  if (name === '') return [0];
  return concat(...name.split('.').map((l) => concat([l.length], ascii(l))), [0]);
}
