/**
 * The common shape of the observer views (LAN, NAPT, VPN): streaming transformers from decoded
 * LAN packets, each with its true device label, to the packets a given observer sees.
 *
 * A view may emit zero, one or several packets per input (the VPN view adds its tunnel's own
 * keepalives and handshakes on the timeline), always in non-decreasing time order as long as the
 * input is. Views are deterministic: the same input and options give the same output.
 */
import type { DecodedPacket } from '../decode/decoded-packet.ts';
import type { ViewName, ViewPacket } from './view-packet.ts';

/** Receives each packet a view emits. Pass the same function every time (no closure per packet). */
export type EmitViewPacket = (vp: ViewPacket) => void;

/** Counters every view keeps. */
export interface ViewStats {
  /** Packets pushed into the view. */
  packetsIn: number;
  /** Packets emitted, synthesised ones included. */
  packetsOut: number;
  /** Input packets the observer does not see (LAN-only traffic under NAPT / VPN). */
  packetsHidden: number;
  /** Packets the view made itself (VPN keepalives and handshakes). */
  packetsSynthesised: number;
}

export interface ObserverView {
  readonly name: ViewName;
  /**
   * Transforms one LAN packet. `label` is the true device label (devices/ground-truth), and
   * `fileIndex` / `packetIndex` locate the packet in the input.
   */
  push(pkt: DecodedPacket, label: number, fileIndex: number, packetIndex: number, emit: EmitViewPacket): void;
  /** End of input: emits anything still pending (e.g. a handshake response already under way). */
  flush(emit: EmitViewPacket): void;
  /** Forgets all state (flow tables, timers, learnt router), e.g. before a capture of another home. */
  reset(): void;
  readonly stats: ViewStats;
}

export function emptyViewStats(): ViewStats {
  return { packetsIn: 0, packetsOut: 0, packetsHidden: 0, packetsSynthesised: 0 };
}
