/**
 * The LAN view: what a sniffer inside the home sees — every packet as captured. Direction is
 * LOCAL between two home addresses (and for non-IP frames such as ARP), UP / DOWN when one end is
 * on the internet; the size is the captured frame's original length.
 */
import type { DecodedPacket } from '../decode/decoded-packet.ts';
import { Crossing, RouterCrossing, type RouterCrossingOptions } from './router-crossing.ts';
import { emptyViewStats, type EmitViewPacket, type ObserverView, type ViewStats } from './observer-view.ts';
import { Direction, type ViewPacket } from './view-packet.ts';

export type LanViewOptions = RouterCrossingOptions;

export class LanView implements ObserverView {
  readonly name = 'lan' as const;
  readonly stats: ViewStats = emptyViewStats();
  private crossing: RouterCrossing;

  constructor(private readonly options: LanViewOptions = {}) {
    this.crossing = new RouterCrossing(options);
  }

  push(
    pkt: DecodedPacket,
    label: number,
    fileIndex: number,
    packetIndex: number,
    emit: EmitViewPacket,
  ): void {
    this.stats.packetsIn++;
    const crossing = this.crossing.classify(pkt);
    const up = crossing === Crossing.UP || crossing === Crossing.UP_NAT;
    const down = crossing === Crossing.DOWN || crossing === Crossing.DOWN_NAT;
    const vp: ViewPacket = {
      ts: pkt.raw.ts,
      size: pkt.raw.origLen,
      direction: up ? Direction.UP : down ? Direction.DOWN : Direction.LOCAL,
      ipProto: pkt.ipVersion === 0 ? -1 : pkt.ipProto,
      // The home end is the local one; between two home ends, the source.
      localPort: down ? pkt.dstPort : pkt.srcPort,
      remotePort: down ? pkt.srcPort : pkt.dstPort,
      tcpFlags: pkt.tcpFlags,
      label,
      fileIndex,
      packetIndex,
      inner: pkt,
    };
    this.stats.packetsOut++;
    emit(vp);
  }

  flush(_emit: EmitViewPacket): void {
    // Nothing is held back.
  }

  reset(): void {
    this.crossing = new RouterCrossing(this.options);
    Object.assign(this.stats, emptyViewStats());
  }
}
