/**
 * Link-layer decoders: Ethernet II / 802.3, 802.1Q and 802.1ad tags, Linux cooked capture
 * (SLL, SLL2), raw IP and BSD loopback. Each returns the EtherType of the network layer that
 * follows (with the reader positioned at it), or NO_NETWORK when there is none to decode.
 */
import { LinkType } from '../capture/packet-source.ts';
import type { DecodedPacket, LayerName } from './decoded-packet.ts';
import { readU16, readU32, readU32le, type ByteReader } from './byte-reader.ts';
import { macText } from './address-text.ts';

export const EtherType = { IPV4: 0x0800, ARP: 0x0806, IPV6: 0x86dd } as const;

/** Returned when no network layer follows (802.3/LLC frame, unknown EtherType, or a failure). */
export const NO_NETWORK = -1;

/** 802.1Q customer tag, 802.1ad service tag, and the pre-standard QinQ outer tag. */
const TPID_8021Q = 0x8100;
const TPID_8021AD = 0x88a8;
const TPID_QINQ_OLD = 0x9100;
/** More stacked tags than this is not a real frame. */
const MAX_VLAN_TAGS = 8;

/** Shared empty VLAN list for untagged frames (frozen: the decoder allocates a list only when tagged). */
export const NO_VLANS: number[] = Object.freeze([] as number[]) as number[];

/** The layer an error at the start of the frame is charged to, per link type. */
export function linkLayerName(linkType: number): LayerName {
  switch (linkType) {
    case LinkType.LINUX_SLL:
      return 'sll';
    case LinkType.LINUX_SLL2:
      return 'sll2';
    case LinkType.NULL:
    case LinkType.LOOP:
      return 'loopback';
    case LinkType.RAW:
    case LinkType.RAW_OPENBSD:
    case LinkType.RAW_BSDOS:
    case LinkType.IPV4:
      return 'ipv4';
    case LinkType.IPV6:
      return 'ipv6';
    default:
      return 'eth';
  }
}

/** Decodes the link layer of `pkt` per its link type. */
export function decodeLink(pkt: DecodedPacket, r: ByteReader): number {
  r.layer = linkLayerName(pkt.raw.linkType);
  switch (pkt.raw.linkType) {
    case LinkType.ETHERNET:
      return decodeEthernet(pkt, r);
    case LinkType.LINUX_SLL:
      return decodeSll(pkt, r);
    case LinkType.LINUX_SLL2:
      return decodeSll2(pkt, r);
    case LinkType.RAW:
    case LinkType.RAW_OPENBSD:
    case LinkType.RAW_BSDOS:
      return rawIpType(pkt, r);
    case LinkType.IPV4:
      pkt.etherType = EtherType.IPV4;
      return EtherType.IPV4;
    case LinkType.IPV6:
      pkt.etherType = EtherType.IPV6;
      return EtherType.IPV6;
    case LinkType.NULL:
      return decodeLoopback(pkt, r, true);
    case LinkType.LOOP:
      return decodeLoopback(pkt, r, false);
    default:
      r.malformed(`unsupported link type ${pkt.raw.linkType}`, 0);
      return NO_NETWORK;
  }
}

/**
 * Ethernet II (IEEE 802.3 clause 3.2.6): destination, source, then a type/length field. A value
 * of 1500 or less is an 802.3 length and an LLC header follows — marked as eth, no network layer.
 */
function decodeEthernet(pkt: DecodedPacket, r: ByteReader): number {
  if (!r.need(14, 'Ethernet header')) return NO_NETWORK;
  const b = r.bytes;
  const p = r.pos;
  pkt.dstMac = macText(b, p);
  pkt.srcMac = macText(b, p + 6);
  pkt.layers.push('eth');
  r.pos = p + 14;
  const type = readU16(b, p + 12);
  if (type < 0x0600) return NO_NETWORK; // 802.3 length field (values 1501..1535 are undefined)
  return afterEtherType(pkt, r, type);
}

/** Reads any VLAN tags that start at `r.pos` after `type`, then records the network EtherType. */
function afterEtherType(pkt: DecodedPacket, r: ByteReader, type: number): number {
  let tags = 0;
  while (type === TPID_8021Q || type === TPID_8021AD || type === TPID_QINQ_OLD) {
    r.layer = 'vlan';
    if (tags === MAX_VLAN_TAGS) {
      r.malformed(`more than ${MAX_VLAN_TAGS} VLAN tags`);
      return NO_NETWORK;
    }
    // Tag control information (12-bit VLAN ID in the low bits), then the next type (802.1Q §9.6).
    if (!r.need(4, 'VLAN tag')) return NO_NETWORK;
    const b = r.bytes;
    const p = r.pos;
    if (tags === 0) pkt.vlanIds = [];
    pkt.vlanIds.push(readU16(b, p) & 0x0fff);
    pkt.layers.push('vlan');
    type = readU16(b, p + 2);
    r.pos = p + 4;
    tags++;
  }
  if (type < 0x0600) return NO_NETWORK; // tagged 802.3 frame with LLC
  pkt.etherType = type;
  return type === EtherType.IPV4 || type === EtherType.IPV6 || type === EtherType.ARP ? type : NO_NETWORK;
}

/** ARPHRD_ETHER: the SLL address is a MAC. */
const ARPHRD_ETHER = 1;

/**
 * Linux cooked capture v1 (https://www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL.html): packet
 * type, ARPHRD type, address length, 8 address bytes, protocol. Only the source address is known.
 */
function decodeSll(pkt: DecodedPacket, r: ByteReader): number {
  if (!r.need(16, 'SLL header')) return NO_NETWORK;
  const b = r.bytes;
  const p = r.pos;
  const hatype = readU16(b, p + 2);
  const addrLen = readU16(b, p + 4);
  if (hatype === ARPHRD_ETHER && addrLen === 6) pkt.srcMac = macText(b, p + 6);
  pkt.layers.push('sll');
  r.pos = p + 16;
  return afterEtherType(pkt, r, readU16(b, p + 14));
}

/**
 * Linux cooked capture v2 (https://www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL2.html): protocol,
 * reserved, interface index, ARPHRD type, packet type, address length, 8 address bytes.
 */
function decodeSll2(pkt: DecodedPacket, r: ByteReader): number {
  if (!r.need(20, 'SLL2 header')) return NO_NETWORK;
  const b = r.bytes;
  const p = r.pos;
  const hatype = readU16(b, p + 8);
  const addrLen = b[p + 11];
  if (hatype === ARPHRD_ETHER && addrLen === 6) pkt.srcMac = macText(b, p + 12);
  pkt.layers.push('sll2');
  r.pos = p + 20;
  return afterEtherType(pkt, r, readU16(b, p));
}

/** Raw IP: the version nibble of the first byte says which IP. */
function rawIpType(pkt: DecodedPacket, r: ByteReader): number {
  if (!r.need(1, 'raw IP header')) return NO_NETWORK;
  const version = r.bytes[r.pos] >> 4;
  if (version === 4) {
    pkt.etherType = EtherType.IPV4;
    return EtherType.IPV4;
  }
  if (version === 6) {
    pkt.etherType = EtherType.IPV6;
    return EtherType.IPV6;
  }
  r.malformed(`raw IP packet with IP version ${version}`);
  return NO_NETWORK;
}

/** Address families seen in loopback headers: AF_INET is 2 everywhere; AF_INET6 differs per OS. */
const AF_INET = 2;
const AF_INET6_LINUX = 10;
const AF_INET6_NETBSD_OPENBSD = 24;
const AF_INET6_FREEBSD = 28;
const AF_INET6_DARWIN = 30;

/**
 * BSD loopback (NULL: 4-byte family in the capturing host's byte order, which we cannot know, so
 * both orders are accepted) and OpenBSD LOOP (network byte order).
 */
function decodeLoopback(pkt: DecodedPacket, r: ByteReader, hostOrder: boolean): number {
  if (!r.need(4, 'loopback header')) return NO_NETWORK;
  const b = r.bytes;
  const p = r.pos;
  let family = readU32(b, p);
  // Families are small: a value with high bits set was written little-endian.
  if (hostOrder && family > 0xffff) family = readU32le(b, p);
  pkt.layers.push('loopback');
  r.pos = p + 4;
  if (family === AF_INET) {
    pkt.etherType = EtherType.IPV4;
    return EtherType.IPV4;
  }
  if (
    family === AF_INET6_LINUX ||
    family === AF_INET6_NETBSD_OPENBSD ||
    family === AF_INET6_FREEBSD ||
    family === AF_INET6_DARWIN
  ) {
    pkt.etherType = EtherType.IPV6;
    return EtherType.IPV6;
  }
  return NO_NETWORK;
}
