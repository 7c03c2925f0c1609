/**
 * Hand-built DecodedPackets for the device tests: every field filled with a neutral value, then
 * overridden by what a test cares about.
 */
import { parseIpv4 } from '../../../src-main/devices/address-scope.ts';
import type {
  AppHints,
  DecodedPacket,
  DhcpHint,
  DnsRecord,
  LayerName,
} from '../../../src-main/decode/decoded-packet.ts';

export interface PacketSpec {
  ts?: number;
  len?: number;
  srcMac?: string | null;
  dstMac?: string | null;
  srcIp?: string | null;
  dstIp?: string | null;
  proto?: number;
  /** TTL / hop limit (64 by default). */
  ttl?: number;
  srcPort?: number;
  dstPort?: number;
  layers?: LayerName[];
  arp?: DecodedPacket['arp'];
  hints?: AppHints | null;
}

let index = 0;

/** A decoded packet with the given fields; IP version follows the source / destination address text. */
export function packet(spec: PacketSpec = {}): DecodedPacket {
  const srcIp = spec.srcIp ?? null;
  const dstIp = spec.dstIp ?? null;
  const sample = srcIp ?? dstIp;
  const ipVersion = sample === null ? 0 : sample.includes(':') ? 6 : 4;
  const len = spec.len ?? 100;
  return {
    raw: {
      ts: spec.ts ?? 1000,
      caplen: len,
      origLen: len,
      linkType: 1,
      bytes: new Uint8Array(0),
      index: index++,
    },
    layers: spec.layers ?? ['eth'],
    error: null,
    srcMac: spec.srcMac === undefined ? 'aa:aa:aa:00:00:01' : spec.srcMac,
    dstMac: spec.dstMac === undefined ? 'aa:aa:aa:00:00:02' : spec.dstMac,
    etherType: spec.arp ? 0x0806 : ipVersion === 6 ? 0x86dd : ipVersion === 4 ? 0x0800 : 0,
    vlanIds: [],
    ipVersion,
    srcIp,
    dstIp,
    srcIpv4: ipVersion === 4 && srcIp !== null ? parseIpv4(srcIp) : -1,
    dstIpv4: ipVersion === 4 && dstIp !== null ? parseIpv4(dstIp) : -1,
    ipProto: spec.proto ?? (ipVersion === 0 ? -1 : 17),
    ttl: spec.ttl ?? 64,
    fragmentOffset: 0,
    moreFragments: false,
    srcPort: spec.srcPort ?? -1,
    dstPort: spec.dstPort ?? -1,
    tcpFlags: 0,
    icmpType: -1,
    icmpCode: -1,
    payloadOffset: 0,
    payloadLength: 0,
    arp: spec.arp ?? null,
    hints: spec.hints ?? null,
  };
}

/** A DHCP hint with every option absent unless given. */
export function dhcpHint(fields: Partial<DhcpHint> & { messageType: number; clientMac: string }): DhcpHint {
  return {
    yourIp: null,
    hostname: null,
    vendorClass: null,
    paramList: null,
    requestedIp: null,
    router: null,
    subnetMask: null,
    ...fields,
  };
}

/** An mDNS response the device at `srcMac` / `srcIp` sends to the multicast group. */
export function mdnsResponse(srcMac: string, srcIp: string, answers: DnsRecord[], ts = 1000): DecodedPacket {
  return packet({
    ts,
    srcMac,
    dstMac: '01:00:5e:00:00:fb',
    srcIp,
    dstIp: '224.0.0.251',
    srcPort: 5353,
    dstPort: 5353,
    layers: ['eth', 'ipv4', 'udp', 'mdns'],
    hints: { dns: { id: 0, response: true, questions: [], answers } },
  });
}

/** A unicast DNS query from a device to a resolver. */
export function dnsQuery(srcMac: string, dstMac: string, names: string[], ts = 1000): DecodedPacket {
  return packet({
    ts,
    srcMac,
    dstMac,
    srcIp: '192.168.1.20',
    dstIp: '192.168.1.1',
    srcPort: 40000,
    dstPort: 53,
    layers: ['eth', 'ipv4', 'udp', 'dns'],
    hints: { dns: { id: 1, response: false, questions: names, answers: [] } },
  });
}
