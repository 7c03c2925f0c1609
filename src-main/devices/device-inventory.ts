/**
 * The inventory of LAN devices, keyed by MAC: who is in the home, what they call themselves, which
 * addresses they use, how much they send and receive, whom they talk to, and which MAC is the
 * gateway to the internet.
 *
 * `observe()` is on the packet path: a couple of Map lookups per packet (skipped entirely when the
 * packet's MACs, addresses and peers repeat the previous ones, which they mostly do), no allocation
 * except on the first sight of a device, address, name or peer. Everything is bounded: the number
 * of devices, and per device its names, addresses and peers, plus a global cap on those entries;
 * whatever does not fit is counted in `overflow`.
 */
import type { DecodedPacket, DhcpHint, DnsHint, SsdpHint } from '../decode/decoded-packet.ts';
import {
  IpScope,
  ipScope,
  ipv4ScopeOf,
  isCanonicalMac,
  isGroupMac,
  isHostAddressScope,
  isLocallyAdministeredMac,
  normalizeMac,
} from './address-scope.ts';
import {
  DNS_SD_SERVICES,
  chooseDisplayName,
  isReverseName,
  isServiceTypeName,
  srvTarget,
} from './device-names.ts';
import type {
  AddressSource,
  DeviceAddress,
  DeviceLabel,
  DeviceName,
  DeviceRecord,
  InventoryOverflow,
  InventorySnapshot,
  LocalPeer,
  NameSource,
  RemotePeer,
} from './device-record.ts';
import { NAME_SOURCES } from './device-record.ts';
import { LABEL_NONE, type GroundTruth } from './ground-truth.ts';
import { LOCALLY_ADMINISTERED_VENDOR, ouiVendor } from './oui.ts';

/** Caps; the defaults keep a hostile capture (random MACs, names, addresses) to a few tens of MB. */
export interface InventoryLimits {
  /** Devices tracked; packets of further new MACs are counted, not tracked. */
  maxDevices: number;
  /** Addresses per device (least recently seen evicted). */
  maxAddressesPerDevice: number;
  /** Distinct names per source per device (DNS queries and SNI: `maxQueryNamesPerDevice`). */
  maxNamesPerSource: number;
  /** Distinct DNS query names and, separately, TLS SNI names tracked per device. */
  maxQueryNamesPerDevice: number;
  /** Distinct remote IPs tracked per device. */
  maxRemotePeersPerDevice: number;
  /** Distinct LAN peers tracked per device. */
  maxLocalPeersPerDevice: number;
  /** Names, addresses and peers across all devices. */
  maxEntries: number;
  /** How many DNS / SNI names, local peers and remote peers a snapshot lists per device. */
  topN: number;
}

export const DEFAULT_INVENTORY_LIMITS: Readonly<InventoryLimits> = {
  maxDevices: 4096,
  maxAddressesPerDevice: 16,
  maxNamesPerSource: 8,
  maxQueryNamesPerDevice: 64,
  maxRemotePeersPerDevice: 512,
  maxLocalPeersPerDevice: 64,
  maxEntries: 262_144,
  topN: 10,
};

export interface InventoryOptions {
  groundTruth?: GroundTruth | null;
  limits?: Partial<InventoryLimits>;
}

/** Longest name kept (a DNS name is at most 255 octets, RFC 1035 §2.3.4). */
const MAX_NAME_LENGTH = 255;
/** Distinct public addresses remembered behind one MAC; enough to tell a router from a host. */
const MAX_PUBLIC_BEHIND = 32;
/** A MAC with more public addresses behind it than this is forwarding, not using them itself. */
const MAX_OWN_PUBLIC_ADDRESSES = 4;
/** Gateway evidence weights (see `gatewayMac`). */
const ROUTER_IP_WEIGHT = 16;
const DHCP_SERVER_WEIGHT = 8;
/** Two public addresses behind one MAC already mean forwarding: a home host rarely holds even one. */
const GATEWAY_MIN_SCORE = 2;
/**
 * Routed packets: sent by a MAC from a public address with a TTL / hop limit other than the
 * initial values of common stacks (32, 60, 64, 128, 255) — they crossed routers on the way, so
 * that MAC forwards (a host with its own public address sends at the initial value). A few of
 * them make one public address enough.
 */
const INITIAL_TTL = new Uint8Array(256);
for (const ttl of [32, 60, 64, 128, 255]) INITIAL_TTL[ttl] = 1;
const ROUTED_MIN_PACKETS = 3;
const ROUTED_WEIGHT = 1;

/** DHCP message types (RFC 2132 §9.6). */
const DHCP_OFFER = 2;
const DHCP_ACK = 5;
const MDNS_PORT = 5353;

/** Multicast DNS (RFC 6762): a name it asks is the local network's, not a service's. */
export function isMdns(pkt: Pick<DecodedPacket, 'srcPort' | 'dstPort' | 'layers'>): boolean {
  return pkt.srcPort === MDNS_PORT || pkt.dstPort === MDNS_PORT || pkt.layers.includes('mdns');
}

const SOURCE_INDEX = new Map<NameSource, number>(NAME_SOURCES.map((s, i) => [s, i]));
const DNS_QUERY = SOURCE_INDEX.get('dns-query')!;
const TLS_SNI = SOURCE_INDEX.get('tls-sni')!;

/** An address of a device and when it was seen. */
class AddressState {
  constructor(
    readonly address: string,
    readonly source: AddressSource,
    public firstSeen: number,
    public lastSeen: number,
  ) {}
}

/** Packets and bytes exchanged with one peer. */
class PeerState {
  packets = 0;
  bytes = 0;
  constructor(readonly key: string) {}
}

/** A name of a device and how often it appeared. */
class NameState {
  count = 0;
  constructor(
    public firstSeen: number,
    public lastSeen: number,
  ) {}
}

/** The mutable per-device state behind a DeviceRecord. */
class DeviceState {
  firstSeen: number;
  lastSeen: number;
  packetsSent = 0;
  packetsReceived = 0;
  bytesSent = 0;
  bytesReceived = 0;
  /** Own non-public addresses, and a cache of the last one seen. */
  addresses: Map<string, AddressState> | null = null;
  lastAddress: AddressState | null = null;
  /** Public addresses seen as this MAC's source or destination: a host's own, or the internet behind a router. */
  publicBehind: Map<string, AddressState> | null = null;
  lastPublic: AddressState | null = null;
  remotePeers: Map<string, PeerState> | null = null;
  lastRemote: PeerState | null = null;
  remotePeersTruncated = false;
  localPeers: Map<DeviceState, PeerState> | null = null;
  lastLocalDevice: DeviceState | null = null;
  lastLocal: PeerState | null = null;
  /** Names by NAME_SOURCES index, created on first use. */
  names: (Map<string, NameState> | undefined)[] | null = null;
  /** DHCP OFFER / ACK packets this MAC sent (it is a DHCP server). */
  dhcpServerPackets = 0;
  /** Packets this MAC sent from a public address with a TTL below any initial value (forwarded). */
  routedPackets = 0;
  /** Vendor, looked up once when first needed (undefined: not yet). */
  vendor: string | null | undefined = undefined;

  constructor(
    readonly mac: string,
    ts: number,
  ) {
    this.firstSeen = ts;
    this.lastSeen = ts;
  }

  touch(ts: number): void {
    if (ts > this.lastSeen) this.lastSeen = ts;
    else if (ts < this.firstSeen) this.firstSeen = ts;
  }
}

function byPacketsDescending(a: { packets: number }, b: { packets: number }): number {
  return b.packets - a.packets;
}

function byLastSeenDescending(a: DeviceAddress, b: DeviceAddress): number {
  return b.lastSeen - a.lastSeen;
}

function clipName(name: string): string {
  return name.length > MAX_NAME_LENGTH ? name.slice(0, MAX_NAME_LENGTH) : name;
}

/** Devices on the LAN, learned from decoded packets. */
export class DeviceInventory {
  private readonly limits: InventoryLimits;
  private groundTruth: GroundTruth | null;
  private readonly byMac = new Map<string, DeviceState>();
  /**
   * A two-entry cache of the last MACs looked up (null state: not a device). Two, because a
   * conversation alternates its source and destination MACs.
   */
  private recentMacA: string | null = null;
  private recentA: DeviceState | null = null;
  private recentMacB: string | null = null;
  private recentB: DeviceState | null = null;
  /** Router addresses from DHCP option 3, with the number of packets that named them. */
  private readonly routerIps = new Map<string, number>();
  /** Names people gave devices. */
  private readonly userNames = new Map<string, string>();
  private entries = 0;
  private packets = 0;
  private readonly overflowCounts: InventoryOverflow = { untrackedMacPackets: 0, droppedEntries: 0 };

  constructor(options: InventoryOptions = {}) {
    this.limits = { ...DEFAULT_INVENTORY_LIMITS, ...options.limits };
    this.groundTruth = options.groundTruth ?? null;
  }

  /** Attaches (or removes) ground-truth labels shown on each record. */
  setGroundTruth(groundTruth: GroundTruth | null): void {
    this.groundTruth = groundTruth;
  }

  /** Sets or clears (null) the name a person gave the device; it wins over every learned name. */
  setUserName(mac: string, name: string | null): void {
    const key = normalizeMac(mac);
    if (key === null) throw new Error(`"${mac}" is not a MAC address`);
    if (name === null || name.trim() === '') this.userNames.delete(key);
    else this.userNames.set(key, clipName(name.trim()));
  }

  /** Counts of what did not fit. */
  get overflow(): Readonly<InventoryOverflow> {
    return this.overflowCounts;
  }

  /** Devices tracked (the gateway included). */
  get size(): number {
    return this.byMac.size;
  }

  // -------------------------------------------------------------------------------------------
  // Packet path

  /** Learns from one decoded packet. */
  observe(pkt: DecodedPacket): void {
    this.packets++;
    const ts = pkt.raw.ts;
    const bytes = pkt.raw.origLen;

    const srcMac = pkt.srcMac;
    const dstMac = pkt.dstMac;
    const src = srcMac === null ? null : this.cachedDevice(srcMac, ts);
    const dst = dstMac === null ? null : this.cachedDevice(dstMac, ts);

    const srcIp = pkt.srcIp;
    const dstIp = pkt.dstIp;
    // IPv4 scopes from the decoded numbers (arithmetic only); text for IPv6.
    const srcScope =
      srcIp === null ? IpScope.INVALID : pkt.srcIpv4 >= 0 ? ipv4ScopeOf(pkt.srcIpv4) : ipScope(srcIp);
    const dstScope =
      dstIp === null ? IpScope.INVALID : pkt.dstIpv4 >= 0 ? ipv4ScopeOf(pkt.dstIpv4) : ipScope(dstIp);

    if (src !== null) {
      src.packetsSent++;
      src.bytesSent += bytes;
      src.touch(ts);
      if (srcIp !== null) {
        if (srcScope === IpScope.PUBLIC) {
          this.notePublicBehind(src, srcIp, ts);
          if (pkt.ttl > 0 && INITIAL_TTL[pkt.ttl] === 0) src.routedPackets++;
        } else if (isHostAddressScope(srcScope)) this.noteAddress(src, srcIp, 'ip-source', ts);
      }
      if (dstScope === IpScope.PUBLIC) this.noteRemotePeer(src, dstIp!, bytes);
    }
    if (dst !== null) {
      dst.packetsReceived++;
      dst.bytesReceived += bytes;
      dst.touch(ts);
      if (dstScope === IpScope.PUBLIC) this.notePublicBehind(dst, dstIp!, ts);
      if (srcScope === IpScope.PUBLIC) this.noteRemotePeer(dst, srcIp!, bytes);
    }
    if (
      src !== null &&
      dst !== null &&
      src !== dst &&
      srcScope !== IpScope.PUBLIC &&
      dstScope !== IpScope.PUBLIC
    ) {
      this.noteLocalPeer(src, dst, bytes);
      this.noteLocalPeer(dst, src, bytes);
    }

    const arp = pkt.arp;
    if (arp !== null) this.observeArp(arp.senderMac, arp.senderIp, src, ts);

    const hints = pkt.hints;
    if (hints !== null) {
      if (hints.dhcp !== undefined) this.observeDhcp(hints.dhcp, src, ts);
      if (src !== null) {
        if (hints.dns !== undefined) this.observeDns(pkt, hints.dns, src, ts);
        if (hints.ssdp !== undefined) this.observeSsdp(hints.ssdp, src, ts);
        if (hints.sni !== undefined) this.noteName(src, TLS_SNI, hints.sni, ts);
      }
    }
  }

  /** `deviceFor` behind the two-entry cache of recent MACs. */
  private cachedDevice(mac: string, ts: number): DeviceState | null {
    if (mac === this.recentMacA) return this.recentA;
    if (mac === this.recentMacB) return this.recentB;
    const device = this.deviceFor(mac, ts);
    // Not cached when the table is full, so every such packet is counted in the overflow.
    if (device !== null || isGroupMac(mac)) {
      this.recentMacB = this.recentMacA;
      this.recentB = this.recentA;
      this.recentMacA = mac;
      this.recentA = device;
    }
    return device;
  }

  /** The state for a MAC, created on first sight; null for group / invalid MACs or when full. */
  private deviceFor(mac: string, ts: number): DeviceState | null {
    const known = this.byMac.get(mac);
    if (known !== undefined) return known;
    if (isGroupMac(mac) || !isCanonicalMac(mac) || mac === '00:00:00:00:00:00') return null;
    if (this.byMac.size >= this.limits.maxDevices) {
      this.overflowCounts.untrackedMacPackets++;
      return null;
    }
    const state = new DeviceState(mac, ts);
    this.byMac.set(mac, state);
    return state;
  }

  /** Takes one entry from the global budget, or counts the drop. */
  private reserveEntry(): boolean {
    if (this.entries >= this.limits.maxEntries) {
      this.overflowCounts.droppedEntries++;
      return false;
    }
    this.entries++;
    return true;
  }

  /** Records a non-public address the device used or was given; evicts the stalest when full. */
  private noteAddress(device: DeviceState, address: string, source: AddressSource, ts: number): void {
    const last = device.lastAddress;
    if (last !== null && last.address === address) {
      if (ts > last.lastSeen) last.lastSeen = ts;
      return;
    }
    let map = device.addresses;
    if (map === null) map = device.addresses = new Map();
    let state = map.get(address);
    if (state === undefined) {
      if (map.size >= this.limits.maxAddressesPerDevice) {
        this.evictStalestAddress(map);
      } else if (!this.reserveEntry()) {
        return;
      }
      state = new AddressState(address, source, ts, ts);
      map.set(address, state);
    } else {
      if (ts > state.lastSeen) state.lastSeen = ts;
      if (ts < state.firstSeen) state.firstSeen = ts;
    }
    device.lastAddress = state;
  }

  private evictStalestAddress(map: Map<string, AddressState>): void {
    let stalest: AddressState | null = null;
    for (const a of map.values()) if (stalest === null || a.lastSeen < stalest.lastSeen) stalest = a;
    if (stalest !== null) map.delete(stalest.address);
    this.overflowCounts.droppedEntries++;
  }

  /** Records a public address seen at this MAC (gateway evidence, or a host's own global address). */
  private notePublicBehind(device: DeviceState, address: string, ts: number): void {
    const last = device.lastPublic;
    if (last !== null && last.address === address) {
      last.lastSeen = ts > last.lastSeen ? ts : last.lastSeen;
      return;
    }
    let map = device.publicBehind;
    if (map === null) map = device.publicBehind = new Map();
    let state = map.get(address);
    if (state === undefined) {
      if (map.size >= MAX_PUBLIC_BEHIND || !this.reserveEntry()) return;
      state = new AddressState(address, 'ip-source', ts, ts);
      map.set(address, state);
    } else if (ts > state.lastSeen) {
      state.lastSeen = ts;
    }
    device.lastPublic = state;
  }

  private noteRemotePeer(device: DeviceState, address: string, bytes: number): void {
    let peer = device.lastRemote;
    if (peer === null || peer.key !== address) {
      let map = device.remotePeers;
      if (map === null) map = device.remotePeers = new Map();
      const known = map.get(address);
      if (known === undefined) {
        if (map.size >= this.limits.maxRemotePeersPerDevice || !this.reserveEntry()) {
          device.remotePeersTruncated = true;
          return;
        }
        peer = new PeerState(address);
        map.set(address, peer);
      } else {
        peer = known;
      }
      device.lastRemote = peer;
    }
    peer.packets++;
    peer.bytes += bytes;
  }

  private noteLocalPeer(device: DeviceState, other: DeviceState, bytes: number): void {
    let peer = device.lastLocal;
    if (peer === null || device.lastLocalDevice !== other) {
      let map = device.localPeers;
      if (map === null) map = device.localPeers = new Map();
      const known = map.get(other);
      if (known === undefined) {
        if (map.size >= this.limits.maxLocalPeersPerDevice || !this.reserveEntry()) return;
        peer = new PeerState(other.mac);
        map.set(other, peer);
      } else {
        peer = known;
      }
      device.lastLocal = peer;
      device.lastLocalDevice = other;
    }
    peer.packets++;
    peer.bytes += bytes;
  }

  /** Counts one sighting of a name for the device. */
  private noteName(device: DeviceState, sourceIndex: number, rawName: string, ts: number): void {
    if (rawName === '') return;
    const name = clipName(rawName);
    let lists = device.names;
    if (lists === null)
      lists = device.names = new Array<Map<string, NameState> | undefined>(NAME_SOURCES.length);
    let map = lists[sourceIndex];
    if (map === undefined) map = lists[sourceIndex] = new Map();
    let state = map.get(name);
    if (state === undefined) {
      const cap =
        sourceIndex === DNS_QUERY || sourceIndex === TLS_SNI
          ? this.limits.maxQueryNamesPerDevice
          : this.limits.maxNamesPerSource;
      if (map.size >= cap) {
        this.overflowCounts.droppedEntries++;
        return;
      }
      if (!this.reserveEntry()) return;
      state = new NameState(ts, ts);
      map.set(name, state);
    }
    state.count++;
    if (ts > state.lastSeen) state.lastSeen = ts;
    if (ts < state.firstSeen) state.firstSeen = ts;
  }

  private noteNameBySource(device: DeviceState, source: NameSource, name: string | null, ts: number): void {
    if (name !== null) this.noteName(device, SOURCE_INDEX.get(source)!, name, ts);
  }

  /** ARP sender fields (RFC 826): the sender's MAC owns the sender IP, unless it is a probe (0.0.0.0). */
  private observeArp(senderMac: string, senderIp: string, src: DeviceState | null, ts: number): void {
    if (!isHostAddressScope(ipScope(senderIp))) return;
    const sender = src !== null && src.mac === senderMac ? src : this.deviceFor(senderMac, ts);
    if (sender !== null) this.noteAddress(sender, senderIp, 'arp', ts);
  }

  /**
   * DHCP (RFC 2131): names from the client's options, the address an ACK assigns (yiaddr, §3.1 step 5)
   * for the client hardware address, and the server and router (option 3) as gateway evidence.
   */
  private observeDhcp(dhcp: DhcpHint, src: DeviceState | null, ts: number): void {
    const client = src !== null && src.mac === dhcp.clientMac ? src : this.deviceFor(dhcp.clientMac, ts);
    if (client !== null) {
      this.noteNameBySource(client, 'dhcp-hostname', dhcp.hostname, ts);
      this.noteNameBySource(client, 'dhcp-vendor-class', dhcp.vendorClass, ts);
      if (dhcp.messageType === DHCP_ACK && dhcp.yourIp !== null && isHostAddressScope(ipScope(dhcp.yourIp))) {
        this.noteAddress(client, dhcp.yourIp, 'dhcp-ack', ts);
      }
    }
    if (dhcp.messageType === DHCP_OFFER || dhcp.messageType === DHCP_ACK) {
      if (src !== null && src !== client) src.dhcpServerPackets++;
      const router = dhcp.router;
      if (router !== null && isHostAddressScope(ipScope(router))) {
        const seen = this.routerIps.get(router);
        if (seen !== undefined) this.routerIps.set(router, seen + 1);
        else if (this.routerIps.size < 8) this.routerIps.set(router, 1);
      }
    }
  }

  /**
   * DNS and mDNS. For a unicast DNS query, the names asked. For an mDNS response the device sends
   * (RFC 6762 §6), the names it claims: DNS-SD instance names (PTR data of a service type, SRV
   * owner names, RFC 6763 §4) and host names (A / AAAA owners, SRV targets, reverse PTR data).
   */
  private observeDns(pkt: DecodedPacket, dns: DnsHint, src: DeviceState, ts: number): void {
    const mdns = isMdns(pkt);
    if (!mdns) {
      if (!dns.response) for (const q of dns.questions) this.noteName(src, DNS_QUERY, q, ts);
      return;
    }
    if (!dns.response) return;
    for (const rr of dns.answers) {
      switch (rr.type) {
        case 12: // PTR
          if (isReverseName(rr.name)) this.noteNameBySource(src, 'mdns-host', rr.data, ts);
          else if (isServiceTypeName(rr.name) && rr.name !== DNS_SD_SERVICES && !isServiceTypeName(rr.data)) {
            this.noteNameBySource(src, 'mdns-instance', rr.data, ts);
          }
          break;
        case 33: // SRV
          if (!isServiceTypeName(rr.name)) this.noteNameBySource(src, 'mdns-instance', rr.name, ts);
          this.noteNameBySource(src, 'mdns-host', srvTarget(rr.data), ts);
          break;
        case 1: // A
        case 28: // AAAA
          if (!isReverseName(rr.name)) this.noteNameBySource(src, 'mdns-host', rr.name, ts);
          break;
        default:
          break;
      }
    }
  }

  /** SSDP NOTIFY / M-SEARCH response headers the device sends about itself. */
  private observeSsdp(ssdp: SsdpHint, src: DeviceState, ts: number): void {
    this.noteNameBySource(src, 'ssdp-server', ssdp.server, ts);
    this.noteNameBySource(src, 'ssdp-usn', ssdp.usn, ts);
    this.noteNameBySource(src, 'ssdp-location', ssdp.location, ts);
  }

  // -------------------------------------------------------------------------------------------
  // Gateway

  /**
   * The MAC of the home's gateway: the one behind which public addresses appear (source of packets
   * from public IPs, destination of packets to them), corroborated by owning the router address a
   * DHCP server announced (option 3) and by being a DHCP server. Null when no MAC has enough
   * evidence (a capture with no internet traffic and no DHCP).
   */
  gatewayMac(): string | null {
    let best: DeviceState | null = null;
    let bestScore = 0;
    for (const d of this.byMac.values()) {
      const score = this.gatewayScore(d);
      if (score < GATEWAY_MIN_SCORE) continue;
      if (
        best === null ||
        score > bestScore ||
        (score === bestScore && d.packetsSent + d.packetsReceived > best.packetsSent + best.packetsReceived)
      ) {
        best = d;
        bestScore = score;
      }
    }
    return best === null ? null : best.mac;
  }

  private gatewayScore(d: DeviceState): number {
    let score = d.publicBehind === null ? 0 : d.publicBehind.size;
    if (d.addresses !== null) {
      for (const ip of this.routerIps.keys()) if (d.addresses.has(ip)) score += ROUTER_IP_WEIGHT;
    }
    if (d.dhcpServerPackets > 0) score += DHCP_SERVER_WEIGHT;
    if (d.routedPackets >= ROUTED_MIN_PACKETS) score += ROUTED_WEIGHT;
    return score;
  }

  // -------------------------------------------------------------------------------------------
  // Snapshots

  /** Every tracked device, in order of first sight. */
  devices(): DeviceRecord[] {
    const gateway = this.gatewayMac();
    const records: DeviceRecord[] = [];
    for (const d of this.byMac.values()) records.push(this.recordOf(d, gateway));
    return records;
  }

  /** One device by MAC (any common spelling), or undefined. */
  get(mac: string): DeviceRecord | undefined {
    const key = normalizeMac(mac);
    const d = key === null ? undefined : this.byMac.get(key);
    return d === undefined ? undefined : this.recordOf(d, this.gatewayMac());
  }

  /** A JSON-ready snapshot of the whole inventory. */
  toJSON(): InventorySnapshot {
    const devices = this.devices();
    const gatewayMac = devices.find((d) => d.role === 'gateway')?.mac ?? null;
    return {
      devices,
      gatewayMac,
      homeDeviceCount: devices.filter((d) => d.role !== 'gateway' && d.packetsSent > 0).length,
      packets: this.packets,
      overflow: { ...this.overflowCounts },
    };
  }

  private vendorOf(d: DeviceState): string | null {
    if (d.vendor === undefined) d.vendor = ouiVendor(d.mac);
    return d.vendor;
  }

  private recordOf(d: DeviceState, gatewayMac: string | null): DeviceRecord {
    const role = d.mac === gatewayMac ? 'gateway' : 'device';
    const vendor = this.vendorOf(d);
    const locallyAdministered = isLocallyAdministeredMac(d.mac);
    const names = this.namesOf(d);
    const remote = d.remotePeers === null ? [] : [...d.remotePeers.values()];
    remote.sort(byPacketsDescending);
    const local = d.localPeers === null ? [] : [...d.localPeers.values()];
    local.sort(byPacketsDescending);
    const topN = this.limits.topN;
    return {
      mac: d.mac,
      vendor,
      locallyAdministered,
      vendorText: vendor ?? (locallyAdministered ? LOCALLY_ADMINISTERED_VENDOR : 'unknown vendor'),
      role,
      displayName: chooseDisplayName(d.mac, vendor, names),
      names,
      addresses: this.addressesOf(d, role === 'gateway'),
      firstSeen: d.firstSeen,
      lastSeen: d.lastSeen,
      packetsSent: d.packetsSent,
      packetsReceived: d.packetsReceived,
      bytesSent: d.bytesSent,
      bytesReceived: d.bytesReceived,
      localPeers: local
        .slice(0, topN)
        .map((p): LocalPeer => ({ mac: p.key, packets: p.packets, bytes: p.bytes })),
      localPeerCount: local.length,
      remotePeerCount: remote.length,
      remotePeersTruncated: d.remotePeersTruncated,
      remotePeers: remote
        .slice(0, topN)
        .map((p): RemotePeer => ({ address: p.key, packets: p.packets, bytes: p.bytes })),
      label: this.labelOf(d.mac),
    };
  }

  private namesOf(d: DeviceState): DeviceName[] {
    const out: DeviceName[] = [];
    const user = this.userNames.get(d.mac);
    if (user !== undefined)
      out.push({ source: 'user', name: user, count: 0, firstSeen: d.firstSeen, lastSeen: d.lastSeen });
    if (d.names === null) return out;
    for (let i = 0; i < NAME_SOURCES.length; i++) {
      const map = d.names[i];
      if (map === undefined) continue;
      const source = NAME_SOURCES[i];
      const list: DeviceName[] = [];
      for (const [name, s] of map)
        list.push({ source, name, count: s.count, firstSeen: s.firstSeen, lastSeen: s.lastSeen });
      if (i === DNS_QUERY || i === TLS_SNI) {
        list.sort((a, b) => b.count - a.count);
        list.length = Math.min(list.length, this.limits.topN);
      }
      out.push(...list);
    }
    return out;
  }

  /**
   * Own addresses: the non-public ones, plus the few public ones seen at a non-router MAC (a host's
   * global IPv6 addresses). A MAC with many public addresses behind it is forwarding them.
   */
  private addressesOf(d: DeviceState, isGateway: boolean): DeviceAddress[] {
    const out: DeviceAddress[] = [];
    const push = (a: AddressState): void => {
      out.push({
        address: a.address,
        version: a.address.includes(':') ? 6 : 4,
        source: a.source,
        firstSeen: a.firstSeen,
        lastSeen: a.lastSeen,
      });
    };
    if (d.addresses !== null) for (const a of d.addresses.values()) push(a);
    const pub = d.publicBehind;
    if (!isGateway && pub !== null && pub.size <= MAX_OWN_PUBLIC_ADDRESSES)
      for (const a of pub.values()) push(a);
    out.sort(byLastSeenDescending);
    return out;
  }

  private labelOf(mac: string): DeviceLabel | null {
    const entry = this.groundTruth?.entryOf(mac);
    if (entry === undefined) return null;
    return {
      device: entry.device,
      category: entry.category,
      labelIndex: entry.infrastructure ? LABEL_NONE : entry.labelIndex,
      infrastructure: entry.infrastructure,
      aliases: [...entry.aliases],
    };
  }
}
