/**
 * Frame and IP-packet lengths as another link would see them. The LAN capture may be Ethernet
 * (possibly VLAN-tagged), Linux cooked capture or raw IP; the observers outside the home see an
 * untagged Ethernet frame (ISP hand-off) carrying the same IP packet.
 */
import type { DecodedPacket } from '../decode/decoded-packet.ts';
import { LinkType } from '../capture/packet-source.ts';

/** Ethernet II header: destination, source, EtherType (IEEE 802.3 clause 3.2). */
export const ETHERNET_HEADER_LENGTH = 14;
/** One 802.1Q / 802.1ad tag. */
const VLAN_TAG_LENGTH = 4;
/** IPv6 fixed header (RFC 8200 §3); the payload length field excludes it. */
const IPV6_HEADER_LENGTH = 40;

/**
 * Bytes before the IP header in the captured frame for this packet's link type, or -1 for a link
 * type we do not know.
 */
export function linkHeaderLength(pkt: DecodedPacket): number {
  switch (pkt.raw.linkType) {
    case LinkType.ETHERNET:
      return ETHERNET_HEADER_LENGTH + VLAN_TAG_LENGTH * pkt.vlanIds.length;
    case LinkType.LINUX_SLL:
      return 16 + VLAN_TAG_LENGTH * pkt.vlanIds.length;
    case LinkType.LINUX_SLL2:
      return 20 + VLAN_TAG_LENGTH * pkt.vlanIds.length;
    case LinkType.NULL:
    case LinkType.LOOP:
      return 4;
    case LinkType.RAW:
    case LinkType.RAW_OPENBSD:
    case LinkType.RAW_BSDOS:
    case LinkType.IPV4:
    case LinkType.IPV6:
      return 0;
    default:
      return -1;
  }
}

/**
 * Length of the IP packet (IPv4 total length, RFC 791 §3.1; IPv6 40 + payload length, RFC 8200
 * §3), read from the header when it was captured, else the frame's original length less the link
 * header. Ethernet padding of short frames is thus excluded. 0 for a packet without IP.
 */
export function ipPacketLength(pkt: DecodedPacket): number {
  if (pkt.ipVersion === 0) return 0;
  const raw = pkt.raw;
  const off = linkHeaderLength(pkt);
  if (off < 0) return raw.origLen;
  const b = raw.bytes;
  if (pkt.ipVersion === 4 && off + 4 <= b.length && b[off] >> 4 === 4) {
    const total = (b[off + 2] << 8) | b[off + 3];
    if (total >= 20) return total;
  } else if (pkt.ipVersion === 6 && off + 6 <= b.length && b[off] >> 4 === 6) {
    const payload = (b[off + 4] << 8) | b[off + 5];
    // A payload length of 0 announces a jumbogram (RFC 2675); fall back to the frame length.
    if (payload > 0) return IPV6_HEADER_LENGTH + payload;
  }
  return Math.max(0, raw.origLen - off);
}

/**
 * The frame length of this packet on the home router's WAN (Ethernet) side: for an Ethernet
 * capture the frame as captured less its VLAN tags (Ethernet framing is the same on both sides);
 * for other link types the IP packet plus a 14-byte Ethernet header.
 */
export function wanFrameLength(pkt: DecodedPacket): number {
  if (pkt.raw.linkType === LinkType.ETHERNET) {
    return pkt.raw.origLen - VLAN_TAG_LENGTH * pkt.vlanIds.length;
  }
  return ipPacketLength(pkt) + ETHERNET_HEADER_LENGTH;
}
