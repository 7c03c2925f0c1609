/**
 * The decode dispatcher: RawPacket → DecodedPacket, link → network → transport → application
 * hints. It never throws: each layer decoder reads through one shared, bounds-checked
 * {@link ByteReader} that records the first failure instead of throwing, and a final safety net
 * turns any unexpected exception into a malformed error. Every layer read before a failure stays
 * in the result.
 *
 * Per packet it allocates the DecodedPacket and its `layers` array; untagged frames share one
 * frozen empty `vlanIds` list, address strings come from bounded caches, and hint objects are
 * made only for the few packets that carry one.
 */
import type { RawPacket } from '../capture/packet-source.ts';
import { IpProto, type AppHints, type DecodedPacket } from './decoded-packet.ts';
import { ByteReader, readU16 } from './byte-reader.ts';
import { decodeLink, EtherType, NO_NETWORK, NO_VLANS } from './link-layer.ts';
import { decodeArp, decodeIpv4, decodeIpv6, NO_TRANSPORT } from './network-layer.ts';
import { decodeTransport } from './transport-layer.ts';
import { decodeDns } from './dns.ts';
import { decodeDhcp } from './dhcp.ts';
import { decodeSsdp } from './ssdp.ts';
import { mayBeClientHello, readClientHelloSni } from './tls-client-hello.ts';
import { decodeHttpRequest, mayBeHttpRequest } from './http-request.ts';

/** Well-known ports that select an application decoder. LLMNR (RFC 4795) uses the DNS format and reads as 'dns'. */
export const AppPort = {
  DNS: 53,
  DHCP_SERVER: 67,
  DHCP_CLIENT: 68,
  SSDP: 1900,
  MDNS: 5353,
  LLMNR: 5355,
} as const;

const reader = new ByteReader();

/** A DecodedPacket with nothing decoded yet; every field is set here so all packets share one shape. */
function emptyPacket(raw: RawPacket): DecodedPacket {
  return {
    raw,
    layers: [],
    error: null,
    srcMac: null,
    dstMac: null,
    etherType: 0,
    vlanIds: NO_VLANS,
    ipVersion: 0,
    srcIp: null,
    dstIp: null,
    srcIpv4: -1,
    dstIpv4: -1,
    ipProto: -1,
    ttl: 0,
    fragmentOffset: 0,
    moreFragments: false,
    srcPort: -1,
    dstPort: -1,
    tcpFlags: 0,
    icmpType: -1,
    icmpCode: -1,
    payloadOffset: 0,
    payloadLength: 0,
    arp: null,
    hints: null,
  };
}

/**
 * Decodes one packet. Never throws; `error` holds the first problem (truncated or malformed)
 * and `layers` every layer read before it.
 *
 * `vlanIds` of an untagged packet is a shared frozen empty array: treat it as read-only.
 */
export function decodePacket(raw: RawPacket): DecodedPacket {
  const pkt = emptyPacket(raw);
  const r = reader;
  try {
    decodeLayers(pkt, r.reset(raw.bytes, 0));
    if (r.failKind !== null) {
      pkt.error = { kind: r.failKind, layer: r.failLayer, offset: r.failOffset, message: r.failMessage };
    }
  } catch (e) {
    // Safety net: a decoder bug must cost one packet, never the session.
    pkt.error = {
      kind: 'malformed',
      layer: r.layer,
      offset: r.pos,
      message: `internal decoder error: ${e instanceof Error ? e.message : String(e)}`,
    };
  }
  return pkt;
}

function decodeLayers(pkt: DecodedPacket, r: ByteReader): void {
  const network = decodeLink(pkt, r);
  if (network === NO_NETWORK) return;
  let proto: number;
  if (network === EtherType.IPV4) proto = decodeIpv4(pkt, r);
  else if (network === EtherType.IPV6) proto = decodeIpv6(pkt, r);
  else {
    decodeArp(pkt, r);
    return;
  }
  if (proto === NO_TRANSPORT) return;
  if (!decodeTransport(pkt, r, proto)) return;
  if (proto === IpProto.UDP) decodeUdpApp(pkt, r);
  else decodeTcpApp(pkt, r);
}

/** UDP application hints, chosen by port. The reader is at the payload, bounded to it. */
function decodeUdpApp(pkt: DecodedPacket, r: ByteReader): void {
  const s = pkt.srcPort;
  const d = pkt.dstPort;
  if (s === AppPort.DNS || d === AppPort.DNS || s === AppPort.LLMNR || d === AppPort.LLMNR) {
    r.layer = 'dns';
    const dns = decodeDns(r);
    if (dns !== null) attach(pkt, 'dns').dns = dns;
  } else if (s === AppPort.MDNS || d === AppPort.MDNS) {
    r.layer = 'mdns';
    const dns = decodeDns(r);
    if (dns !== null) attach(pkt, 'mdns').dns = dns;
  } else if (
    s === AppPort.DHCP_SERVER ||
    d === AppPort.DHCP_SERVER ||
    s === AppPort.DHCP_CLIENT ||
    d === AppPort.DHCP_CLIENT
  ) {
    r.layer = 'dhcp';
    const dhcp = decodeDhcp(r);
    if (dhcp !== null) attach(pkt, 'dhcp').dhcp = dhcp;
  } else if (s === AppPort.SSDP || d === AppPort.SSDP) {
    r.layer = 'ssdp';
    const ssdp = decodeSsdp(r);
    if (ssdp !== null) attach(pkt, 'ssdp').ssdp = ssdp;
  }
}

/**
 * TCP application hints: a ClientHello or an HTTP request is recognised by its first bytes on
 * any port (most payloads fail the first-byte test at once); DNS over TCP by port 53.
 */
function decodeTcpApp(pkt: DecodedPacket, r: ByteReader): void {
  const b = r.bytes;
  const p = r.pos;
  if (mayBeClientHello(b, p, r.end)) {
    r.layer = 'tls';
    pkt.layers.push('tls');
    const sni = readClientHelloSni(r);
    if (sni !== null) (pkt.hints ??= {}).sni = sni;
  } else if (pkt.srcPort === AppPort.DNS || pkt.dstPort === AppPort.DNS) {
    // RFC 1035 §4.2.2: a two-byte length precedes the message.
    r.layer = 'dns';
    if (r.remaining() < 2) return; // a sliver of a stream, not a message start
    const len = readU16(b, p);
    if (p + 2 + len > r.declaredEnd) return; // the message continues in later segments
    r.pos = p + 2;
    r.bound(p + 2 + len);
    const dns = decodeDns(r);
    if (dns !== null) attach(pkt, 'dns').dns = dns;
  } else if (mayBeHttpRequest(b, p)) {
    r.layer = 'http';
    const http = decodeHttpRequest(r);
    if (http !== null) attach(pkt, 'http').http = http;
  }
}

/** Appends the application layer and returns the packet's hints object, made on first use. */
function attach(pkt: DecodedPacket, layer: 'dns' | 'mdns' | 'dhcp' | 'ssdp' | 'http'): AppHints {
  pkt.layers.push(layer);
  return (pkt.hints ??= {});
}
