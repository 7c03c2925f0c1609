/**
 * What an ISP sees of each device without a VPN, beyond sizes and timing: the services it talks
 * to (remote ports), traffic in clear text, and DNS lookups that leave the home unencrypted.
 * Collected per home device (by MAC) from the decoded LAN packets, bounded per device.
 *
 * Clear text is recognised by protocol, not by content: an HTTP request the decoder parsed, or
 * traffic to the well-known port of a protocol that has no encryption by default (HTTP 80,
 * MQTT 1883, Telnet 23, FTP 21, CoAP 5683). DNS: queries to port 53 of a public resolver, and
 * queries to a local resolver (normally the router, which forwards them to the ISP's resolver
 * without encryption unless set up otherwise). DNS over TLS (853) is noted as encrypted.
 *
 * Sites (devices/sites.ts): each internet address is named by the DNS answers the home receives
 * (the name asked for) and by TLS server names (which win, being per connection), and a device's
 * internet traffic is counted per site of its remote address — packets before any name was seen
 * for the address, or to addresses never named, count as unnamed. Bounded: at most
 * MAX_NAMED_ADDRESSES addresses are remembered, MAX_SITES sites per device (the rest as "other").
 */
import type { DecodedPacket } from '../decode/decoded-packet.ts';
import { IpProto } from '../decode/decoded-packet.ts';
import { isDeviceMac, isPublicIp } from '../devices/address-scope.ts';
import { siteOf } from '../devices/sites.ts';

export type ClearTextProtocol = 'http' | 'mqtt' | 'telnet' | 'ftp' | 'coap';

/** Well-known ports of protocols that carry no encryption by default. */
const CLEAR_TEXT_PORTS: ReadonlyMap<string, ClearTextProtocol> = new Map([
  ['tcp/80', 'http'],
  ['tcp/8080', 'http'],
  ['tcp/1883', 'mqtt'],
  ['tcp/23', 'telnet'],
  ['tcp/21', 'ftp'],
  ['udp/5683', 'coap'],
]);

const DNS_PORT = 53;
const DOT_PORT = 853;
/** Remote services (protocol/port) kept per device. */
const MAX_SERVICES = 32;
/** Internet addresses whose site is remembered, for the whole home. */
const MAX_NAMED_ADDRESSES = 50_000;
/** Sites kept per device; traffic to any further one counts under OTHER_SITES. */
const MAX_SITES = 40;
/** The key of a device's traffic to sites beyond MAX_SITES. */
export const OTHER_SITES = '(other sites)';
const DNS_A = 1;
const DNS_AAAA = 28;

/** A device's internet traffic to one site (null: to addresses no DNS answer or TLS server name named). */
export interface SiteTraffic {
  site: string | null;
  packets: number;
  bytes: number;
}

export interface RemoteService {
  /** "tcp/443", "udp/123". */
  service: string;
  packets: number;
  bytes: number;
}

export interface DeviceTrafficMetadata {
  mac: string;
  /** Packets to or from public addresses. */
  internetPackets: number;
  internetBytes: number;
  /** Remote services by packets, most first (at most MAX_SERVICES kinds). */
  services: RemoteService[];
  /** Clear-text packets to or from the internet, by protocol. */
  clearText: Partial<Record<ClearTextProtocol, number>>;
  /** DNS queries to a public resolver in clear text, to a local resolver, and over TLS. */
  dnsQueriesPublic: number;
  dnsQueriesLocal: number;
  dnsOverTls: number;
  /** Its internet traffic per site, most bytes first. */
  sites: SiteTraffic[];
}

interface DeviceState {
  internetPackets: number;
  internetBytes: number;
  services: Map<string, RemoteService>;
  clearText: Map<ClearTextProtocol, number>;
  dnsPublic: number;
  dnsLocal: number;
  dot: number;
  /** Per site ('' for unnamed addresses). */
  sites: Map<string, { packets: number; bytes: number }>;
}

export class TrafficMetadata {
  private readonly devices = new Map<string, DeviceState>();
  /** Internet address → site, from DNS answers and TLS server names. */
  private readonly addressSites = new Map<string, string>();

  /** Adds one decoded LAN packet. */
  observe(pkt: DecodedPacket): void {
    if (pkt.ipVersion === 0 || pkt.srcIp === null || pkt.dstIp === null) return;
    this.learnSites(pkt);
    const tcp = pkt.ipProto === IpProto.TCP;
    const udp = pkt.ipProto === IpProto.UDP;
    const srcPublic = isPublicIp(pkt.srcIp);
    const dstPublic = isPublicIp(pkt.dstIp);
    // A query to a local resolver stays inside the home; only the sender matters.
    if (!srcPublic && !dstPublic) {
      if ((tcp || udp) && pkt.dstPort === DNS_PORT && isQuery(pkt) && pkt.srcMac !== null) {
        const d = this.stateOf(pkt.srcMac);
        if (d !== null) d.dnsLocal++;
      }
      return;
    }
    if (srcPublic === dstPublic) return; // transit between two public addresses: not a home device
    const mac = srcPublic ? pkt.dstMac : pkt.srcMac;
    if (mac === null) return;
    const d = this.stateOf(mac);
    if (d === null) return;
    const size = pkt.raw.origLen;
    d.internetPackets++;
    d.internetBytes += size;
    this.countSite(d, srcPublic ? pkt.srcIp : pkt.dstIp, size);
    if (!tcp && !udp) return;
    const remotePort = srcPublic ? pkt.srcPort : pkt.dstPort;
    const service = `${tcp ? 'tcp' : 'udp'}/${remotePort}`;
    let s = d.services.get(service);
    if (s === undefined && d.services.size < MAX_SERVICES) {
      s = { service, packets: 0, bytes: 0 };
      d.services.set(service, s);
    }
    if (s !== undefined) {
      s.packets++;
      s.bytes += size;
    }
    const clear = pkt.hints?.http !== undefined ? 'http' : CLEAR_TEXT_PORTS.get(service);
    if (clear !== undefined) d.clearText.set(clear, (d.clearText.get(clear) ?? 0) + 1);
    if (!srcPublic) {
      if (remotePort === DNS_PORT && isQuery(pkt)) d.dnsPublic++;
      else if (remotePort === DOT_PORT) d.dot++;
    }
  }

  /** Per-device metadata, devices in order of first packet. */
  devicesMetadata(): DeviceTrafficMetadata[] {
    return [...this.devices].map(([mac, d]) => ({
      mac,
      internetPackets: d.internetPackets,
      internetBytes: d.internetBytes,
      services: [...d.services.values()].sort((a, b) => b.packets - a.packets),
      clearText: Object.fromEntries(d.clearText),
      dnsQueriesPublic: d.dnsPublic,
      dnsQueriesLocal: d.dnsLocal,
      dnsOverTls: d.dot,
      sites: [...d.sites]
        .map(([site, t]) => ({ site: site === '' ? null : site, packets: t.packets, bytes: t.bytes }))
        .sort((a, b) => b.bytes - a.bytes),
    }));
  }

  /** Names internet addresses from DNS answers (the name asked for) and TLS server names. */
  private learnSites(pkt: DecodedPacket): void {
    const hints = pkt.hints;
    if (hints === null) return;
    const dns = hints.dns;
    if (dns !== undefined && dns.response && pkt.srcPort === DNS_PORT && dns.questions.length > 0) {
      const site = siteOf(dns.questions[0]);
      if (site !== null)
        for (const a of dns.answers)
          if ((a.type === DNS_A || a.type === DNS_AAAA) && isPublicIp(a.data)) this.nameAddress(a.data, site);
    }
    if (hints.sni !== undefined && pkt.dstIp !== null && isPublicIp(pkt.dstIp)) {
      const site = siteOf(hints.sni);
      if (site !== null) this.nameAddress(pkt.dstIp, site);
    }
  }

  private nameAddress(address: string, site: string): void {
    if (this.addressSites.size < MAX_NAMED_ADDRESSES || this.addressSites.has(address))
      this.addressSites.set(address, site);
  }

  private countSite(d: DeviceState, remote: string, size: number): void {
    let key = this.addressSites.get(remote) ?? '';
    if (!d.sites.has(key) && d.sites.size >= MAX_SITES) key = OTHER_SITES;
    let t = d.sites.get(key);
    if (t === undefined) {
      t = { packets: 0, bytes: 0 };
      d.sites.set(key, t);
    }
    t.packets++;
    t.bytes += size;
  }

  private stateOf(mac: string): DeviceState | null {
    let d = this.devices.get(mac);
    if (d === undefined) {
      if (!isDeviceMac(mac)) return null;
      d = {
        internetPackets: 0,
        internetBytes: 0,
        services: new Map(),
        clearText: new Map(),
        dnsPublic: 0,
        dnsLocal: 0,
        dot: 0,
        sites: new Map(),
      };
      this.devices.set(mac, d);
    }
    return d;
  }
}

/** A DNS query (decoded hint, or any packet to port 53 when the decoder gave no hint). */
function isQuery(pkt: DecodedPacket): boolean {
  const dns = pkt.hints?.dns;
  return dns === undefined ? pkt.dstPort === DNS_PORT : !dns.response;
}

/**
 * Who a set of devices talks to: their internet traffic per site summed over them, with each
 * device's part, most bytes first (at most `limit` sites; a device's "other sites" are no one site
 * and are left out).
 */
export function homeSites(
  devices: readonly DeviceTrafficMetadata[],
  limit: number,
): (SiteTraffic & { devices: { mac: string; bytes: number }[] })[] {
  const sum = new Map<string | null, SiteTraffic & { devices: { mac: string; bytes: number }[] }>();
  for (const d of devices)
    for (const s of d.sites) {
      if (s.site === OTHER_SITES) continue;
      let t = sum.get(s.site);
      if (t === undefined) {
        t = { site: s.site, packets: 0, bytes: 0, devices: [] };
        sum.set(s.site, t);
      }
      t.packets += s.packets;
      t.bytes += s.bytes;
      t.devices.push({ mac: d.mac, bytes: s.bytes });
    }
  const out = [...sum.values()].sort((a, b) => b.bytes - a.bytes).slice(0, limit);
  for (const t of out) t.devices.sort((a, b) => b.bytes - a.bytes);
  return out;
}
