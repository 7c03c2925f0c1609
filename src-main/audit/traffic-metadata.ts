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
 */
import type { DecodedPacket } from '../decode/decoded-packet.ts';
import { IpProto } from '../decode/decoded-packet.ts';
import { isDeviceMac, isPublicIp } from '../devices/address-scope.ts';

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
}

interface DeviceState {
  internetPackets: number;
  internetBytes: number;
  services: Map<string, RemoteService>;
  clearText: Map<ClearTextProtocol, number>;
  dnsPublic: number;
  dnsLocal: number;
  dot: number;
}

export class TrafficMetadata {
  private readonly devices = new Map<string, DeviceState>();

  /** Adds one decoded LAN packet. */
  observe(pkt: DecodedPacket): void {
    if (pkt.ipVersion === 0 || pkt.srcIp === null || pkt.dstIp === null) return;
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
    }));
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
