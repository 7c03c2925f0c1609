/**
 * Which packets of a home capture cross the home router, and in which direction. Both outside
 * observers (the ISP behind the router and the VPN carrier) see exactly these packets.
 *
 * * IPv4: a packet crosses when one end is a home (RFC 1918 private) address and the other is
 *   globally routable; the router translates it (NAPT). Public-to-public IPv4 (a home with a
 *   public subnet) crosses untranslated when the router's MAC tells the direction.
 * * IPv6: home routers route IPv6 without translation (RFC 7084 — there is no NAT66 in a home
 *   CPE), so a packet crosses when both ends are global unicast, not in the same /64, and the
 *   direction can be told: the destination MAC is the router's (up), the source MAC is the
 *   router's (down), or one end lies in a /64 already known to be the home's.
 * * Everything else stays in the home: ARP, link-local, unique-local, multicast, broadcast,
 *   device-to-device, DHCP, DNS to a local resolver.
 *
 * The router's MAC is learnt from the IPv4 traffic it translates (the destination MAC of a
 * private→public packet) and from IPv6 Router Advertisements (RFC 4861 §4.2: sent from the
 * router's link-local address, so the frame's source MAC is the router's). Home /64 prefixes are
 * learnt from IPv6 packets whose direction the MAC told. Both sets are small and bounded.
 */
import type { DecodedPacket } from '../decode/decoded-packet.ts';
import { IpProto } from '../decode/decoded-packet.ts';
import { IpScope, ipv4ScopeOf, ipv6Scope } from '../devices/address-scope.ts';

export const Crossing = {
  /** Stays inside the home (or cannot be placed). */
  LOCAL: 0,
  /** Home → internet with the home's own address (IPv6, public IPv4 subnet). */
  UP: 1,
  /** Internet → home with the home's own address. */
  DOWN: 2,
  /** Home (private IPv4) → internet, translated by the router. */
  UP_NAT: 3,
  /** Internet → home (private IPv4), translated by the router. */
  DOWN_NAT: 4,
} as const;
export type Crossing = (typeof Crossing)[keyof typeof Crossing];

/** ICMPv6 Router Advertisement (RFC 4861 §4.2). */
const ICMPV6_ROUTER_ADVERTISEMENT = 134;
const MAX_GATEWAY_MACS = 8;
const MAX_HOME_PREFIXES = 64;
const MAX_PREFIX_CACHE = 4096;

export interface RouterCrossingOptions {
  /** MACs of the home router's LAN interface(s), when known (e.g. from the device inventory). */
  gatewayMacs?: readonly string[];
  /** IPv6 addresses (or prefixes written as addresses) whose /64 is the home's. */
  homePrefixes?: readonly string[];
}

/** Counters of the classifier. */
export interface CrossingStats {
  /** Global-to-global IPv6 (or public-to-public IPv4) packets whose direction could not be told; treated as local. */
  unresolved: number;
  gatewayMacs: number;
  homePrefixes: number;
}

export class RouterCrossing {
  private readonly gatewayMacs = new Set<string>();
  private readonly homePrefixes = new Set<string>();
  private readonly prefixCache = new Map<string, string>();
  private readonly groups = new Int32Array(8);
  readonly stats: CrossingStats = { unresolved: 0, gatewayMacs: 0, homePrefixes: 0 };
  /** After {@link classify} of an IPv4 packet: its addresses as unsigned 32-bit numbers (else -1). */
  srcIpv4 = -1;
  dstIpv4 = -1;

  constructor(options: RouterCrossingOptions = {}) {
    for (const mac of options.gatewayMacs ?? []) this.learnGateway(mac.toLowerCase());
    for (const addr of options.homePrefixes ?? []) this.learnHomePrefix(addr);
  }

  /** Where `pkt` goes relative to the router. */
  classify(pkt: DecodedPacket): Crossing {
    const src = pkt.srcIp;
    const dst = pkt.dstIp;
    if (src === null || dst === null) return Crossing.LOCAL;
    if (pkt.ipVersion === 4) return this.classifyV4(pkt);
    if (pkt.ipVersion === 6) return this.classifyV6(pkt, src, dst);
    return Crossing.LOCAL;
  }

  private classifyV4(pkt: DecodedPacket): Crossing {
    const s = pkt.srcIpv4;
    const d = pkt.dstIpv4;
    this.srcIpv4 = s;
    this.dstIpv4 = d;
    if (s < 0 || d < 0) return Crossing.LOCAL;
    const srcScope = ipv4ScopeOf(s);
    const dstScope = ipv4ScopeOf(d);
    if (srcScope === IpScope.PRIVATE && dstScope === IpScope.PUBLIC) {
      if (pkt.dstMac !== null) this.learnGateway(pkt.dstMac);
      return Crossing.UP_NAT;
    }
    if (srcScope === IpScope.PUBLIC && dstScope === IpScope.PRIVATE) {
      if (pkt.srcMac !== null) this.learnGateway(pkt.srcMac);
      return Crossing.DOWN_NAT;
    }
    if (srcScope === IpScope.PUBLIC && dstScope === IpScope.PUBLIC) return this.byGatewayMac(pkt, null, null);
    return Crossing.LOCAL;
  }

  private classifyV6(pkt: DecodedPacket, src: string, dst: string): Crossing {
    if (
      pkt.ipProto === IpProto.ICMPV6 &&
      pkt.icmpType === ICMPV6_ROUTER_ADVERTISEMENT &&
      pkt.srcMac !== null
    ) {
      this.learnGateway(pkt.srcMac);
    }
    if (ipv6Scope(src) !== IpScope.PUBLIC || ipv6Scope(dst) !== IpScope.PUBLIC) return Crossing.LOCAL;
    const srcPrefix = this.prefix64(src);
    const dstPrefix = this.prefix64(dst);
    if (srcPrefix === dstPrefix) return Crossing.LOCAL; // on-link (RFC 4861 §3, same /64)
    return this.byGatewayMac(pkt, srcPrefix, dstPrefix);
  }

  /** Direction of an untranslated crossing from the router's MAC, else from known home prefixes. */
  private byGatewayMac(pkt: DecodedPacket, srcPrefix: string | null, dstPrefix: string | null): Crossing {
    if (pkt.dstMac !== null && this.gatewayMacs.has(pkt.dstMac)) {
      if (srcPrefix !== null) this.learnPrefixKey(srcPrefix);
      return Crossing.UP;
    }
    if (pkt.srcMac !== null && this.gatewayMacs.has(pkt.srcMac)) {
      if (dstPrefix !== null) this.learnPrefixKey(dstPrefix);
      return Crossing.DOWN;
    }
    if (srcPrefix !== null && this.homePrefixes.has(srcPrefix)) return Crossing.UP;
    if (dstPrefix !== null && this.homePrefixes.has(dstPrefix)) return Crossing.DOWN;
    this.stats.unresolved++;
    return Crossing.LOCAL;
  }

  private learnGateway(mac: string): void {
    if (this.gatewayMacs.size >= MAX_GATEWAY_MACS || this.gatewayMacs.has(mac)) return;
    if (mac === 'ff:ff:ff:ff:ff:ff') return;
    this.gatewayMacs.add(mac);
    this.stats.gatewayMacs = this.gatewayMacs.size;
  }

  private learnHomePrefix(address: string): void {
    this.learnPrefixKey(this.prefix64(address));
  }

  private learnPrefixKey(prefix: string): void {
    if (this.homePrefixes.size >= MAX_HOME_PREFIXES || this.homePrefixes.has(prefix)) return;
    this.homePrefixes.add(prefix);
    this.stats.homePrefixes = this.homePrefixes.size;
  }

  /** Canonical text of the first four groups (the /64) of IPv6 text, cached per address string. */
  private prefix64(text: string): string {
    let prefix = this.prefixCache.get(text);
    if (prefix !== undefined) return prefix;
    prefix = ipv6Prefix64(text, this.groups);
    if (this.prefixCache.size >= MAX_PREFIX_CACHE) this.prefixCache.clear();
    this.prefixCache.set(text, prefix);
    return prefix;
  }
}

/**
 * The /64 prefix of IPv6 text as "g0:g1:g2:g3" (lower-case hex, no leading zeros). Expands "::"
 * (RFC 4291 §2.2); an embedded dotted IPv4 tail counts as two groups. `scratch` holds 8 groups.
 * Malformed text gives whatever groups were read (the decoder writes well-formed text).
 */
export function ipv6Prefix64(text: string, scratch: Int32Array = new Int32Array(8)): string {
  scratch.fill(0);
  let count = 0;
  let gapAt = -1;
  let value = 0;
  let digits = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 58 /* : */) {
      if (digits > 0 && count < 8) scratch[count++] = value;
      digits = 0;
      value = 0;
      if (i + 1 < text.length && text.charCodeAt(i + 1) === 58) {
        if (gapAt < 0) gapAt = count;
        i++;
      }
    } else if (c === 46 /* . */) {
      digits = 0;
      count = Math.min(8, count + 2);
      break;
    } else {
      const lower = c | 0x20;
      const v = c >= 48 && c <= 57 ? c - 48 : lower >= 97 && lower <= 102 ? lower - 87 : 0;
      value = ((value << 4) | v) & 0xffff;
      digits++;
    }
  }
  if (digits > 0 && count < 8) scratch[count++] = value;
  if (gapAt >= 0) {
    const tailLength = count - gapAt;
    for (let k = tailLength - 1; k >= 0; k--) scratch[8 - tailLength + k] = scratch[gapAt + k];
    for (let k = gapAt; k < 8 - tailLength; k++) scratch[k] = 0;
  }
  return `${scratch[0].toString(16)}:${scratch[1].toString(16)}:${scratch[2].toString(16)}:${scratch[3].toString(16)}`;
}
