/**
 * The home router's NAPT mapping table (RFC 3022 §2.2, RFC 4787), modelled on Linux conntrack +
 * MASQUERADE as found in home routers:
 *
 * * One flow per protocol + inner 5-tuple (home address and port, remote address and port).
 * * Public ports are endpoint-independent (RFC 4787 REQ-1): every flow from the same home
 *   address and port shares one public port. A new endpoint keeps its own port when that port is
 *   free (Linux `nf_nat` tries the original port first); otherwise it takes the next free port in
 *   1024–65535 from a seeded-random starting point (as Linux randomises the search offset).
 * * Flows expire as conntrack entries do (timeouts in {@link DEFAULT_NAPT_TIMEOUTS}); an expired
 *   flow met again starts afresh. Expiry is checked exactly on lookup and swept incrementally
 *   (a couple of entries per packet), so the cost per packet is bounded.
 * * The table is bounded: at `maxFlows` the least recently used flow is evicted (counted), with
 *   the approximate recency of flow-map.ts (one Map lookup per packet, numeric keys).
 * * Only IPv4 is translated, so flows are keyed by addresses as 32-bit numbers.
 */
import { IpProto, TcpFlag } from '../decode/decoded-packet.ts';
import { FlowMap, packAddressPort, packEndpoint, protoIndex, type FlowMapEntry } from './flow-map.ts';
import { SeededRandom } from './seeded-random.ts';

/** Conntrack-style timeouts in seconds. */
export interface NaptTimeouts {
  /** TCP after traffic in both directions. RFC 5382 REQ-5 asks for at least 2 h 4 min; OpenWrt uses 7440 s. */
  tcpEstablished: number;
  /** TCP seen in one direction only (nf_conntrack_tcp_timeout_syn_sent 120 s) or closing after FIN (fin_wait / time_wait 120 s). */
  tcpTransitory: number;
  /** TCP after a RST (nf_conntrack_tcp_timeout_close 10 s). */
  tcpClosed: number;
  /** UDP seen in one direction only (nf_conntrack_udp_timeout 30 s). */
  udpUnreplied: number;
  /** UDP seen both ways (nf_conntrack_udp_timeout_stream 120 s; RFC 4787 REQ-5 asks for ≥ 2 min). */
  udpStream: number;
  /** ICMP and other protocols (nf_conntrack_icmp_timeout 30 s, generic 600 s — we use 30). */
  other: number;
}

/** Linux defaults (Documentation/networking/nf_conntrack-sysctl.rst) with the OpenWrt established TCP timeout. */
export const DEFAULT_NAPT_TIMEOUTS: Readonly<NaptTimeouts> = {
  tcpEstablished: 7440,
  tcpTransitory: 120,
  tcpClosed: 10,
  udpUnreplied: 30,
  udpStream: 120,
  other: 30,
};

export interface NaptFlowStats {
  /** Flows in the table now. */
  active: number;
  created: number;
  /** Flows that ended by timeout (met again after expiry, or swept). */
  expired: number;
  /** Flows pushed out because the table was full. */
  evicted: number;
  /** New endpoints that kept their own port / got another one. */
  portsPreserved: number;
  portsRemapped: number;
  /** Packets dropped because no public port was free. */
  portsExhausted: number;
  /** Flows first seen inbound (a port forward or UPnP mapping made the router accept them). */
  inboundFirst: number;
}

/** Returned by {@link NaptFlowTable.translate} when no public port is free (the router drops the packet). */
export const NO_FREE_PORT = -2;

const FIRST_DYNAMIC_PORT = 1024;
const DYNAMIC_PORT_COUNT = 65536 - FIRST_DYNAMIC_PORT;
/** Flows examined by the incremental expiry sweep per translated packet. */
const SWEEP_STEPS = 2;

const SEEN_UP = 1;
const SEEN_DOWN = 2;
const SEEN_FIN = 4;
const SEEN_RST = 8;

/** All flows from one home address + port share its public port. */
interface NaptEndpoint {
  readonly key: number;
  readonly pool: (NaptEndpoint | null)[];
  readonly publicPort: number;
  flows: number;
  /** Latest expiry of any of its flows (never lowered): once past, every flow is gone. */
  expiresAt: number;
  live: boolean;
}

interface NaptFlow extends FlowMapEntry {
  readonly proto: number;
  /** Null for protocols without ports (ICMP and others are not translated here). */
  readonly endpoint: NaptEndpoint | null;
  state: number;
  expiresAt: number;
}

export class NaptFlowTable {
  readonly stats: NaptFlowStats = {
    active: 0,
    created: 0,
    expired: 0,
    evicted: 0,
    portsPreserved: 0,
    portsRemapped: 0,
    portsExhausted: 0,
    inboundFirst: 0,
  };
  private readonly flows: FlowMap<NaptFlow>;
  private readonly endpoints = new Map<number, NaptEndpoint>();
  private readonly tcpPorts: (NaptEndpoint | null)[] = new Array<NaptEndpoint | null>(65536).fill(null);
  private readonly udpPorts: (NaptEndpoint | null)[] = new Array<NaptEndpoint | null>(65536).fill(null);
  private readonly random: SeededRandom;
  private sweep: MapIterator<NaptFlow> | null = null;

  constructor(
    maxFlows: number,
    private readonly timeouts: Readonly<NaptTimeouts>,
    seed: number,
  ) {
    this.random = new SeededRandom(seed);
    this.flows = new FlowMap<NaptFlow>(maxFlows);
  }

  /**
   * Finds or makes the flow of this packet and updates its state. Returns the public port the
   * home end has on the WAN side, -1 for a protocol without ports, or {@link NO_FREE_PORT}.
   * Addresses are IPv4 as unsigned 32-bit numbers; ports are -1 when absent.
   */
  translate(
    proto: number,
    homeIp: number,
    homePort: number,
    remoteIp: number,
    remotePort: number,
    up: boolean,
    tcpFlags: number,
    now: number,
  ): number {
    this.sweepSome(now);
    const endpointKey = packEndpoint(protoIndex(proto), homeIp, homePort);
    const remoteKey = packAddressPort(remoteIp, remotePort);
    let flow = this.flows.find(endpointKey, remoteKey);
    if (flow !== undefined && flow.expiresAt <= now) {
      this.remove(flow);
      this.stats.expired++;
      flow = undefined;
    }
    if (flow === undefined) {
      const created = this.create(endpointKey, remoteKey, proto, homePort, now);
      if (created === null) {
        this.stats.portsExhausted++;
        return NO_FREE_PORT;
      }
      flow = created;
      if (!up) this.stats.inboundFirst++;
    }
    this.update(flow, up, tcpFlags, now);
    return flow.endpoint === null ? -1 : flow.endpoint.publicPort;
  }

  private create(
    endpointKey: number,
    remoteKey: number,
    proto: number,
    homePort: number,
    now: number,
  ): NaptFlow | null {
    let endpoint: NaptEndpoint | null = null;
    const pool = proto === IpProto.TCP ? this.tcpPorts : proto === IpProto.UDP ? this.udpPorts : null;
    if (pool !== null && homePort >= 0) {
      endpoint = this.endpointFor(pool, endpointKey, homePort, now);
      if (endpoint === null) return null;
      endpoint.flows++;
    }
    const flow: NaptFlow = {
      keyHi: endpointKey,
      keyLo: remoteKey,
      slot: 0,
      stamp: 0,
      proto,
      endpoint,
      state: 0,
      expiresAt: now,
    };
    const evicted = this.flows.insert(flow);
    if (evicted !== undefined) {
      this.released(evicted);
      this.stats.evicted++;
    }
    this.stats.created++;
    this.stats.active = this.flows.size;
    return flow;
  }

  /** The endpoint's existing mapping, or a new one on its own port when free, else the next free port. */
  private endpointFor(
    pool: (NaptEndpoint | null)[],
    key: number,
    homePort: number,
    now: number,
  ): NaptEndpoint | null {
    const existing = this.endpoints.get(key);
    if (existing !== undefined) {
      if (existing.expiresAt > now) return existing;
      this.release(existing); // every flow of it has timed out: the mapping is gone
    }
    let port = -1;
    if (homePort > 0 && this.isFree(pool, homePort, now)) {
      port = homePort;
      this.stats.portsPreserved++;
    } else {
      const start = this.random.nextInt(DYNAMIC_PORT_COUNT);
      for (let i = 0; i < DYNAMIC_PORT_COUNT; i++) {
        const candidate = FIRST_DYNAMIC_PORT + ((start + i) % DYNAMIC_PORT_COUNT);
        if (this.isFree(pool, candidate, now)) {
          port = candidate;
          break;
        }
      }
      if (port < 0) return null;
      this.stats.portsRemapped++;
    }
    const endpoint: NaptEndpoint = { key, pool, publicPort: port, flows: 0, expiresAt: now, live: true };
    pool[port] = endpoint;
    this.endpoints.set(key, endpoint);
    return endpoint;
  }

  /** True when nobody holds `port`; an owner whose flows have all timed out gives it up. */
  private isFree(pool: (NaptEndpoint | null)[], port: number, now: number): boolean {
    const owner = pool[port];
    if (owner === null) return true;
    if (owner.expiresAt > now) return false;
    this.release(owner);
    return true;
  }

  private release(endpoint: NaptEndpoint): void {
    if (!endpoint.live) return;
    endpoint.live = false;
    endpoint.pool[endpoint.publicPort] = null;
    this.endpoints.delete(endpoint.key);
  }

  /** Records the packet in the flow's state and sets its timeout. */
  private update(flow: NaptFlow, up: boolean, tcpFlags: number, now: number): void {
    let state = flow.state;
    if (flow.proto === IpProto.TCP) {
      // A fresh SYN on a closed connection reopens it (conntrack's TCP_CONNTRACK_CLOSE → SYN_SENT).
      if ((tcpFlags & (TcpFlag.SYN | TcpFlag.ACK)) === TcpFlag.SYN && (state & (SEEN_FIN | SEEN_RST)) !== 0) {
        state = 0;
      }
      if ((tcpFlags & TcpFlag.FIN) !== 0) state |= SEEN_FIN;
      if ((tcpFlags & TcpFlag.RST) !== 0) state |= SEEN_RST;
    }
    state |= up ? SEEN_UP : SEEN_DOWN;
    flow.state = state;
    flow.expiresAt = now + this.timeoutOf(flow.proto, state);
    const endpoint = flow.endpoint;
    if (endpoint !== null && flow.expiresAt > endpoint.expiresAt) endpoint.expiresAt = flow.expiresAt;
  }

  private timeoutOf(proto: number, state: number): number {
    const t = this.timeouts;
    const replied = (state & (SEEN_UP | SEEN_DOWN)) === (SEEN_UP | SEEN_DOWN);
    if (proto === IpProto.TCP) {
      if ((state & SEEN_RST) !== 0) return t.tcpClosed;
      if ((state & SEEN_FIN) !== 0) return t.tcpTransitory;
      return replied ? t.tcpEstablished : t.tcpTransitory;
    }
    if (proto === IpProto.UDP) return replied ? t.udpStream : t.udpUnreplied;
    return t.other;
  }

  private remove(flow: NaptFlow): void {
    this.flows.remove(flow);
    this.released(flow);
  }

  /** Bookkeeping after `flow` left the table. */
  private released(flow: NaptFlow): void {
    this.stats.active = this.flows.size;
    const endpoint = flow.endpoint;
    if (endpoint !== null && endpoint.live && --endpoint.flows === 0) this.release(endpoint);
  }

  /** Looks at a few flows in table order and drops those that have timed out. */
  private sweepSome(now: number): void {
    if (this.flows.size === 0) return;
    for (let step = 0; step < SWEEP_STEPS; step++) {
      this.sweep ??= this.flows.values();
      const next = this.sweep.next();
      if (next.done === true) {
        this.sweep = null;
        return;
      }
      if (next.value.expiresAt <= now) {
        this.remove(next.value);
        this.stats.expired++;
      }
    }
  }

  /** Drops every flow and mapping. */
  clear(): void {
    this.flows.clear();
    this.endpoints.clear();
    this.tcpPorts.fill(null);
    this.udpPorts.fill(null);
    this.sweep = null;
    this.stats.active = 0;
  }
}
