/**
 * Transport-layer decoders: TCP (RFC 9293 §3.1), UDP (RFC 768), ICMP (RFC 792) and ICMPv6
 * (RFC 4443 §2.1). Each fills ports / flags / type and code and the payload bounds, and leaves
 * the reader at the start of the payload. They return true when a payload follows that an
 * application decoder may look at.
 */
import { IpProto, type DecodedPacket } from './decoded-packet.ts';
import { readU16, type ByteReader } from './byte-reader.ts';

/** Decodes the transport header for IP protocol `proto`; unknown protocols are left alone. */
export function decodeTransport(pkt: DecodedPacket, r: ByteReader, proto: number): boolean {
  switch (proto) {
    case IpProto.TCP:
      return decodeTcp(pkt, r);
    case IpProto.UDP:
      return decodeUdp(pkt, r);
    case IpProto.ICMP:
      return decodeIcmp(pkt, r, 'icmp', 8);
    case IpProto.ICMPV6:
      return decodeIcmp(pkt, r, 'icmpv6', 4);
    default:
      return false;
  }
}

function setPayload(pkt: DecodedPacket, r: ByteReader): void {
  pkt.payloadOffset = r.pos;
  pkt.payloadLength = r.end > r.pos ? r.end - r.pos : 0;
}

/** TCP header: ports, data offset (32-bit words), flags; options are stepped over. */
function decodeTcp(pkt: DecodedPacket, r: ByteReader): boolean {
  r.layer = 'tcp';
  if (!r.need(20, 'TCP header')) return false;
  const b = r.bytes;
  const p = r.pos;
  const headerLen = (b[p + 12] >> 4) * 4;
  if (headerLen < 20) {
    r.malformed(`TCP data offset ${headerLen} is below 20`, p + 12);
    return false;
  }
  pkt.srcPort = readU16(b, p);
  pkt.dstPort = readU16(b, p + 2);
  // All eight flag bits as on the wire: CWR ECE URG ACK PSH RST SYN FIN (TcpFlag names the low six).
  pkt.tcpFlags = b[p + 13];
  pkt.layers.push('tcp');
  if (!r.need(headerLen, 'TCP options')) return false;
  r.pos = p + headerLen;
  setPayload(pkt, r);
  return pkt.payloadLength > 0;
}

/** UDP header: ports and a length that covers header and data; 0 is allowed only for jumbograms. */
function decodeUdp(pkt: DecodedPacket, r: ByteReader): boolean {
  r.layer = 'udp';
  if (!r.need(8, 'UDP header')) return false;
  const b = r.bytes;
  const p = r.pos;
  const length = readU16(b, p + 4);
  pkt.srcPort = readU16(b, p);
  pkt.dstPort = readU16(b, p + 2);
  pkt.layers.push('udp');
  if (length !== 0) {
    if (length < 8) {
      r.malformed(`UDP length ${length} is below 8`, p + 4);
      return false;
    }
    // A first fragment (more-fragments set) carries only the start of the datagram.
    if (p + length > r.declaredEnd && !pkt.moreFragments) {
      r.malformed(`UDP length ${length} exceeds the IP payload`, p + 4);
      return false;
    }
    r.bound(p + length);
  }
  r.pos = p + 8;
  setPayload(pkt, r);
  return pkt.payloadLength > 0;
}

/** ICMP / ICMPv6: type and code; the message body is left as payload (never decoded further). */
function decodeIcmp(pkt: DecodedPacket, r: ByteReader, layer: 'icmp' | 'icmpv6', headerLen: number): boolean {
  r.layer = layer;
  if (!r.need(4, 'ICMP header')) return false;
  const b = r.bytes;
  const p = r.pos;
  pkt.icmpType = b[p];
  pkt.icmpCode = b[p + 1];
  pkt.layers.push(layer);
  if (!r.need(headerLen, 'ICMP header')) return false;
  r.pos = p + headerLen;
  setPayload(pkt, r);
  return false;
}
