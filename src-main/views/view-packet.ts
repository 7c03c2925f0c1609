/**
 * One packet as a given observer sees it. Every view keeps the true device label beside each
 * packet so that the same code makes training data, evaluations and the audit.
 */
import type { DecodedPacket } from '../decode/decoded-packet.ts';

export type ViewName = 'lan' | 'napt' | 'vpn';
export const VIEW_NAMES: readonly ViewName[] = ['lan', 'napt', 'vpn'];

export const Direction = { UP: 0, DOWN: 1, LOCAL: 2 } as const;
export type Direction = (typeof Direction)[keyof typeof Direction];

export interface ViewPacket {
  ts: number;
  /** Frame length on the observer's link (Ethernet framing), i.e. what a capture there would call the frame length. */
  size: number;
  /** UP: home → internet; DOWN: internet → home; LOCAL: both ends in the home (LAN view only). */
  direction: Direction;
  /** IP protocol the observer sees (17 for every VPN packet), -1 for non-IP (ARP). */
  ipProto: number;
  /** Ports the observer sees: for NAPT the rewritten public port; -1 when none. */
  localPort: number;
  remotePort: number;
  /** TCP flags visible to the observer (0 under VPN). */
  tcpFlags: number;
  /** True device label index (see devices/ground-truth), LABEL_NONE or LABEL_TUNNEL. */
  label: number;
  /** Index of the input file and of the packet within it; -1 for packets the view synthesised. */
  fileIndex: number;
  packetIndex: number;
  /** The inner packet as decoded on the LAN; null for packets the view synthesised. */
  inner: DecodedPacket | null;
}
