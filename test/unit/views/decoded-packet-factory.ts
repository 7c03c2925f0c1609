/**
 * Hand-built DecodedPacket objects for the view and feature tests: the fields a decoder would
 * fill, plus raw bytes holding just enough of the frame (link header, IP version and length
 * fields, TCP payload when given) for the code that reads them.
 */
import { parseIpv4 } from '../../../src-main/devices/address-scope.ts';
import { LinkType } from '../../../src-main/capture/packet-source.ts';
import { IpProto, type DecodedPacket, type LayerName } from '../../../src-main/decode/decoded-packet.ts';

export const HOME_MAC_A = '02:00:00:00:00:0a';
export const HOME_MAC_B = '02:00:00:00:00:0b';
export const ROUTER_MAC = '02:00:00:00:00:01';

export interface PacketSpec {
  ts: number;
  srcIp?: string | null;
  dstIp?: string | null;
  srcMac?: string | null;
  dstMac?: string | null;
  /** IP protocol (default UDP); ignored for ARP. */
  proto?: number;
  srcPort?: number;
  dstPort?: number;
  tcpFlags?: number;
  icmpType?: number;
  /** IP total length (default 100). */
  ipLength?: number;
  /** Frame length on the wire; default link header + ipLength. */
  origLen?: number;
  linkType?: number;
  vlanIds?: number[];
  /** Extra layers after the transport (e.g. 'dns', 'tls'). */
  appLayers?: LayerName[];
  /** Transport payload length (default: what ipLength leaves after 20-byte TCP / 8-byte UDP headers). */
  payloadLength?: number;
  /** TCP/UDP payload bytes to place in the frame (after a 20/8-byte transport header). */
  payload?: number[];
  fragmentOffset?: number;
  arp?: boolean;
}

function linkLength(linkType: number, vlans: number): number {
  switch (linkType) {
    case LinkType.ETHERNET:
      return 14 + 4 * vlans;
    case LinkType.LINUX_SLL:
      return 16 + 4 * vlans;
    case LinkType.RAW:
      return 0;
    default:
      throw new Error(`factory does not build link type ${linkType}`);
  }
}

let nextIndex = 0;

export function makePacket(spec: PacketSpec): DecodedPacket {
  const linkType = spec.linkType ?? LinkType.ETHERNET;
  const vlanIds = spec.vlanIds ?? [];
  const link = linkLength(linkType, vlanIds.length);
  const arp = spec.arp === true;
  const srcIp = arp ? null : (spec.srcIp ?? null);
  const ipVersion: 0 | 4 | 6 = srcIp === null ? 0 : srcIp.includes(':') ? 6 : 4;
  const ipLength = arp ? 28 : (spec.ipLength ?? 100);
  const proto = ipVersion === 0 ? -1 : (spec.proto ?? IpProto.UDP);
  const transportHeader = proto === IpProto.TCP ? 20 : proto === IpProto.UDP ? 8 : 0;
  const ipHeader = ipVersion === 6 ? 40 : 20;
  const payloadOffset = link + ipHeader + transportHeader;
  const payload = spec.payload ?? [];
  const caplen = Math.max(link + ipLength, payloadOffset + payload.length);
  const bytes = new Uint8Array(caplen);
  if (ipVersion === 4) {
    bytes[link] = 0x45;
    bytes[link + 2] = ipLength >> 8;
    bytes[link + 3] = ipLength & 0xff;
  } else if (ipVersion === 6) {
    bytes[link] = 0x60;
    bytes[link + 4] = (ipLength - 40) >> 8;
    bytes[link + 5] = (ipLength - 40) & 0xff;
  }
  bytes.set(payload, payloadOffset);
  const layers: LayerName[] = [];
  if (linkType === LinkType.ETHERNET) layers.push('eth');
  if (linkType === LinkType.LINUX_SLL) layers.push('sll');
  for (let i = 0; i < vlanIds.length; i++) layers.push('vlan');
  if (arp) layers.push('arp');
  if (ipVersion === 4) layers.push('ipv4');
  if (ipVersion === 6) layers.push('ipv6');
  if (proto === IpProto.TCP) layers.push('tcp');
  if (proto === IpProto.UDP) layers.push('udp');
  if (proto === IpProto.ICMP) layers.push('icmp');
  if (proto === IpProto.ICMPV6) layers.push('icmpv6');
  layers.push(...(spec.appLayers ?? []));
  const hasPorts = (proto === IpProto.TCP || proto === IpProto.UDP) && (spec.fragmentOffset ?? 0) === 0;
  const withMacs = linkType === LinkType.ETHERNET;
  return {
    raw: {
      ts: spec.ts,
      caplen,
      origLen: spec.origLen ?? link + ipLength,
      linkType,
      bytes,
      index: nextIndex++,
    },
    layers,
    error: null,
    srcMac: withMacs ? (spec.srcMac ?? HOME_MAC_A) : null,
    dstMac: withMacs ? (spec.dstMac ?? ROUTER_MAC) : null,
    etherType: arp ? 0x0806 : ipVersion === 4 ? 0x0800 : ipVersion === 6 ? 0x86dd : 0,
    vlanIds,
    ipVersion,
    srcIp,
    dstIp: arp ? null : (spec.dstIp ?? null),
    srcIpv4: ipVersion === 4 && srcIp !== null ? parseIpv4(srcIp) : -1,
    dstIpv4: ipVersion === 4 && !arp && spec.dstIp != null ? parseIpv4(spec.dstIp) : -1,
    ipProto: proto,
    ttl: 64,
    fragmentOffset: spec.fragmentOffset ?? 0,
    moreFragments: false,
    srcPort: hasPorts ? (spec.srcPort ?? 40000) : -1,
    dstPort: hasPorts ? (spec.dstPort ?? 443) : -1,
    tcpFlags: proto === IpProto.TCP ? (spec.tcpFlags ?? 0x10) : 0,
    icmpType: spec.icmpType ?? -1,
    icmpCode: spec.icmpType === undefined ? -1 : 0,
    payloadOffset: hasPorts ? payloadOffset : 0,
    payloadLength: hasPorts ? (spec.payloadLength ?? Math.max(0, ipLength - ipHeader - transportHeader)) : 0,
    arp: arp
      ? {
          op: 1,
          senderMac: spec.srcMac ?? HOME_MAC_A,
          senderIp: '192.168.1.10',
          targetMac: '00:00:00:00:00:00',
          targetIp: '192.168.1.1',
        }
      : null,
    hints: null,
  };
}

/** Home device → internet (default UDP 40000 → 443 to 93.184.216.34). */
export function upPacket(ts: number, spec: Partial<PacketSpec> = {}): DecodedPacket {
  return makePacket({
    srcIp: '192.168.1.10',
    dstIp: '93.184.216.34',
    srcMac: HOME_MAC_A,
    dstMac: ROUTER_MAC,
    ...spec,
    ts,
  });
}

/** Internet → home device (the reply direction of {@link upPacket}). */
export function downPacket(ts: number, spec: Partial<PacketSpec> = {}): DecodedPacket {
  return makePacket({
    srcIp: '93.184.216.34',
    dstIp: '192.168.1.10',
    srcMac: ROUTER_MAC,
    dstMac: HOME_MAC_A,
    srcPort: 443,
    dstPort: 40000,
    ...spec,
    ts,
  });
}

/** A home device that exchanges one packet each way with a server through the router. */
export interface ExchangeDevice {
  mac: string;
  ip: string;
  /** IP lengths it sends and receives, and the server's port. */
  up: number;
  down: number;
  port: number;
}

/** One exchange of `d` at `ts`: its packet up (IP length `up` + `jitter`) and the answer 50 ms later. */
export function exchange(ts: number, d: ExchangeDevice, jitter = 0): [DecodedPacket, DecodedPacket] {
  return [
    upPacket(ts, {
      srcMac: d.mac,
      dstMac: ROUTER_MAC,
      srcIp: d.ip,
      dstPort: d.port,
      ipLength: d.up + jitter,
    }),
    downPacket(ts + 0.05, {
      srcMac: ROUTER_MAC,
      dstMac: d.mac,
      dstIp: d.ip,
      srcPort: d.port,
      ipLength: d.down + jitter,
    }),
  ];
}
