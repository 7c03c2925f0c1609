/**
 * The NAPT view: what the ISP sees on the far side of the home router. Only traffic that crosses
 * the router is there (see router-crossing.ts); every IPv4 device hides behind one public address
 * (a documentation address by default, RFC 5737) with its ports rewritten per flow by the router's
 * NAPT table (napt-flow-table.ts). IPv6 crosses untranslated with its own addresses and ports, as
 * home routers do not NAT IPv6. Sizes and timing are kept: the frame on the WAN is the LAN frame
 * without VLAN tags (wire-size.ts). Non-first IPv4 fragments carry no ports and are shown so.
 *
 * Not modelled: the router's own traffic (its DNS forwarder's upstream queries, NTP, firmware
 * checks), which a LAN capture cannot see; ICMP echo identifiers (ViewPacket has no field for them).
 */
import type { DecodedPacket } from '../decode/decoded-packet.ts';
import {
  Crossing,
  RouterCrossing,
  type CrossingStats,
  type RouterCrossingOptions,
} from './router-crossing.ts';
import {
  DEFAULT_NAPT_TIMEOUTS,
  NaptFlowTable,
  NO_FREE_PORT,
  type NaptFlowStats,
  type NaptTimeouts,
} from './napt-flow-table.ts';
import { emptyViewStats, type EmitViewPacket, type ObserverView, type ViewStats } from './observer-view.ts';
import { Direction, type ViewPacket } from './view-packet.ts';
import { wanFrameLength } from './wire-size.ts';

export interface NaptViewOptions extends RouterCrossingOptions {
  /** The router's public IPv4 address (default 203.0.113.7, RFC 5737 TEST-NET-3). */
  publicAddress?: string;
  /** Flow table bound (default 65536). */
  maxFlows?: number;
  /** Conntrack timeouts in seconds (defaults: {@link DEFAULT_NAPT_TIMEOUTS}). */
  timeouts?: Partial<NaptTimeouts>;
  /** Seed for the router's port choice (default 1). */
  seed?: number;
}

export interface NaptViewStats extends ViewStats {
  flows: NaptFlowStats;
  crossing: CrossingStats;
}

export const DEFAULT_PUBLIC_ADDRESS = '203.0.113.7';
const DEFAULT_MAX_FLOWS = 65536;

export class NaptView implements ObserverView {
  readonly name = 'napt' as const;
  /** The one address every IPv4 device shares on the WAN. */
  readonly publicAddress: string;
  private crossing: RouterCrossing;
  private table: NaptFlowTable;
  private readonly counters: ViewStats = emptyViewStats();

  constructor(private readonly options: NaptViewOptions = {}) {
    this.publicAddress = options.publicAddress ?? DEFAULT_PUBLIC_ADDRESS;
    this.crossing = new RouterCrossing(options);
    this.table = this.newTable();
  }

  get stats(): NaptViewStats {
    return { ...this.counters, flows: { ...this.table.stats }, crossing: { ...this.crossing.stats } };
  }

  push(
    pkt: DecodedPacket,
    label: number,
    fileIndex: number,
    packetIndex: number,
    emit: EmitViewPacket,
  ): void {
    this.counters.packetsIn++;
    const crossing = this.crossing.classify(pkt);
    if (crossing === Crossing.LOCAL) {
      this.counters.packetsHidden++;
      return;
    }
    const up = crossing === Crossing.UP || crossing === Crossing.UP_NAT;
    const homePort = up ? pkt.srcPort : pkt.dstPort;
    const remotePort = up ? pkt.dstPort : pkt.srcPort;
    let localPort = homePort;
    if ((crossing === Crossing.UP_NAT || crossing === Crossing.DOWN_NAT) && pkt.fragmentOffset === 0) {
      const router = this.crossing;
      localPort = this.table.translate(
        pkt.ipProto,
        up ? router.srcIpv4 : router.dstIpv4,
        homePort,
        up ? router.dstIpv4 : router.srcIpv4,
        remotePort,
        up,
        pkt.tcpFlags,
        pkt.raw.ts,
      );
      if (localPort === NO_FREE_PORT) {
        this.counters.packetsHidden++;
        return;
      }
    }
    const vp: ViewPacket = {
      ts: pkt.raw.ts,
      size: wanFrameLength(pkt),
      direction: up ? Direction.UP : Direction.DOWN,
      ipProto: pkt.ipProto,
      localPort,
      remotePort,
      tcpFlags: pkt.tcpFlags,
      label,
      fileIndex,
      packetIndex,
      inner: pkt,
    };
    this.counters.packetsOut++;
    emit(vp);
  }

  flush(_emit: EmitViewPacket): void {
    // Nothing is held back.
  }

  reset(): void {
    this.crossing = new RouterCrossing(this.options);
    this.table = this.newTable();
    Object.assign(this.counters, emptyViewStats());
  }

  private newTable(): NaptFlowTable {
    return new NaptFlowTable(
      this.options.maxFlows ?? DEFAULT_MAX_FLOWS,
      { ...DEFAULT_NAPT_TIMEOUTS, ...this.options.timeouts },
      this.options.seed ?? 1,
    );
  }
}
