/**
 * Network-layer decoders: IPv4 (RFC 791), IPv6 with its extension-header chain (RFC 8200) and
 * ARP (RFC 826). The IP decoders bound the reader to the length the IP header declares, so
 * Ethernet padding after a short packet is never taken for payload, and leave it at the start of
 * the upper-layer header. They return the protocol to decode next, or NO_TRANSPORT.
 */
import type { DecodedPacket } from './decoded-packet.ts';
import { readU16, readU32, type ByteReader } from './byte-reader.ts';
import { ipv4Text, ipv6Text, macText } from './address-text.ts';

/** Returned when no transport header follows (non-first fragment, failure, no next header). */
export const NO_TRANSPORT = -1;

/** IPv6 extension headers we step over (IANA "IPv6 Extension Header Types"). */
const HOP_BY_HOP = 0;
const ROUTING = 43;
const FRAGMENT = 44;
const AUTH_HEADER = 51;
const DEST_OPTIONS = 60;
/** A chain longer than this is hostile: RFC 8200 §4.1 allows each header at most once or twice. */
const MAX_EXTENSION_HEADERS = 8;

/** Records the IP payload (everything after the IP headers within the bound) as the packet's payload. */
function setIpPayload(pkt: DecodedPacket, r: ByteReader): void {
  pkt.payloadOffset = r.pos;
  pkt.payloadLength = r.end > r.pos ? r.end - r.pos : 0;
}

/** IPv4 header (RFC 791 §3.1). */
export function decodeIpv4(pkt: DecodedPacket, r: ByteReader): number {
  r.layer = 'ipv4';
  if (!r.need(20, 'IPv4 header')) return NO_TRANSPORT;
  const b = r.bytes;
  const p = r.pos;
  const version = b[p] >> 4;
  if (version !== 4) {
    r.malformed(`IPv4 header with version ${version}`);
    return NO_TRANSPORT;
  }
  const headerLen = (b[p] & 0x0f) * 4;
  if (headerLen < 20) {
    r.malformed(`IPv4 header length ${headerLen} is below 20`);
    return NO_TRANSPORT;
  }
  const totalLen = readU16(b, p + 2);
  // Total length 0 is what segmentation offload leaves in locally captured packets: use the capture.
  if (totalLen !== 0 && totalLen < headerLen) {
    r.malformed(`IPv4 total length ${totalLen} is below the header length ${headerLen}`);
    return NO_TRANSPORT;
  }
  pkt.ipVersion = 4;
  pkt.ttl = b[p + 8];
  pkt.ipProto = b[p + 9];
  pkt.srcIpv4 = readU32(b, p + 12);
  pkt.dstIpv4 = readU32(b, p + 16);
  pkt.srcIp = ipv4Text(b, p + 12);
  pkt.dstIp = ipv4Text(b, p + 16);
  // Flags (3 bits: reserved, DF, MF) and the fragment offset in 8-byte units.
  const fragField = readU16(b, p + 6);
  pkt.fragmentOffset = (fragField & 0x1fff) * 8;
  pkt.moreFragments = (fragField & 0x2000) !== 0;
  pkt.layers.push('ipv4');
  if (totalLen !== 0) r.bound(p + totalLen);
  // Options fill the header beyond 20 bytes; we step over them.
  if (!r.need(headerLen, 'IPv4 options')) return NO_TRANSPORT;
  r.pos = p + headerLen;
  setIpPayload(pkt, r);
  return pkt.fragmentOffset === 0 ? pkt.ipProto : NO_TRANSPORT;
}

/** IPv6 fixed header (RFC 8200 §3) and the extension-header chain (§4). */
export function decodeIpv6(pkt: DecodedPacket, r: ByteReader): number {
  r.layer = 'ipv6';
  if (!r.need(40, 'IPv6 header')) return NO_TRANSPORT;
  const b = r.bytes;
  const p = r.pos;
  const version = b[p] >> 4;
  if (version !== 6) {
    r.malformed(`IPv6 header with version ${version}`);
    return NO_TRANSPORT;
  }
  const payloadLen = readU16(b, p + 4);
  let next = b[p + 6];
  pkt.ipVersion = 6;
  pkt.ttl = b[p + 7];
  pkt.srcIp = ipv6Text(b, p + 8);
  pkt.dstIp = ipv6Text(b, p + 24);
  pkt.layers.push('ipv6');
  r.pos = p + 40;
  // Payload length 0 means a jumbogram (RFC 2675) or segmentation offload: use the capture.
  if (payloadLen !== 0) r.bound(p + 40 + payloadLen);

  for (let count = 0; ; count++) {
    if (
      next !== HOP_BY_HOP &&
      next !== ROUTING &&
      next !== FRAGMENT &&
      next !== DEST_OPTIONS &&
      next !== AUTH_HEADER
    ) {
      break;
    }
    if (count === MAX_EXTENSION_HEADERS) {
      pkt.ipProto = next;
      r.malformed(`more than ${MAX_EXTENSION_HEADERS} IPv6 extension headers`);
      return NO_TRANSPORT;
    }
    const q = r.pos;
    let len: number;
    if (next === FRAGMENT) {
      // Fragment header (§4.5): next header, reserved, offset (13 bits, 8-byte units) | M flag, id.
      if (!r.need(8, 'IPv6 fragment header')) return failIpv6Chain(pkt, next);
      const field = readU16(b, q + 2);
      pkt.fragmentOffset = field & 0xfff8;
      pkt.moreFragments = (field & 1) !== 0;
      len = 8;
    } else {
      if (!r.need(2, 'IPv6 extension header')) return failIpv6Chain(pkt, next);
      // AH (RFC 4302 §2.2) counts 4-byte units minus 2; the others 8-byte units minus 1 (§4.3).
      len = next === AUTH_HEADER ? (b[q + 1] + 2) * 4 : (b[q + 1] + 1) * 8;
    }
    if (!r.need(len, 'IPv6 extension header')) return failIpv6Chain(pkt, next);
    next = b[q];
    r.pos = q + len;
  }
  pkt.ipProto = next;
  setIpPayload(pkt, r);
  return pkt.fragmentOffset === 0 ? next : NO_TRANSPORT;
}

/** Records where the extension chain stopped when one of its headers could not be read. */
function failIpv6Chain(pkt: DecodedPacket, next: number): number {
  pkt.ipProto = next;
  return NO_TRANSPORT;
}

const ARP_HTYPE_ETHERNET = 1;
const ARP_PTYPE_IPV4 = 0x0800;

/** ARP (RFC 826): the addresses are filled in for Ethernet / IPv4 ARP, the common case. */
export function decodeArp(pkt: DecodedPacket, r: ByteReader): void {
  r.layer = 'arp';
  if (!r.need(8, 'ARP header')) return;
  const b = r.bytes;
  const p = r.pos;
  const htype = readU16(b, p);
  const ptype = readU16(b, p + 2);
  const hlen = b[p + 4];
  const plen = b[p + 5];
  const op = readU16(b, p + 6);
  pkt.layers.push('arp');
  if (!r.need(8 + 2 * (hlen + plen), 'ARP addresses')) return;
  if (htype !== ARP_HTYPE_ETHERNET || ptype !== ARP_PTYPE_IPV4 || hlen !== 6 || plen !== 4) return;
  pkt.arp = {
    op,
    senderMac: macText(b, p + 8),
    senderIp: ipv4Text(b, p + 14),
    targetMac: macText(b, p + 18),
    targetIp: ipv4Text(b, p + 24),
  };
  r.pos = p + 28;
}
