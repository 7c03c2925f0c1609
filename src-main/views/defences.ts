/**
 * Defence what-ifs: an observer view's packets as they would look if the home used a traffic
 * defence, so the same models can say how much identity and activity an observer would still
 * learn, and at what bandwidth cost.
 *
 * - **padding**: every packet grows to the next multiple of `multiple` bytes of the frame the
 *   observer sees (never past the link's largest frame); `multiple: 'mtu'` pads every packet to
 *   that largest frame. Published work (Minos, USENIX ATC '25, in RESEARCH.md) reports that about
 *   16 bytes of average padding cuts this attack to about 20 % accuracy.
 * - **cover**: constant-rate cover traffic: in each direction, every 1/rate seconds in which the
 *   home sent nothing, a dummy packet of the largest frame is sent, so the observer sees at least
 *   `rate` packets per second each way while a segment of capture lasts.
 *
 * Padding is applied to the observed frame (for a VPN, after the tunnel's own overhead): close to
 * padding inside the tunnel, which differs only in where the rounding happens. Dummy packets carry
 * no device (LABEL_NONE, no inner packet); they reach the model like any other packet. The models
 * were trained on undefended traffic, so the what-if measures this attack as it is, not one
 * retrained against the defence.
 */
import { tunnelProfile, type TunnelProfileName, DEFAULT_TUNNEL_PROFILE } from './tunnel-profiles.ts';
import { LABEL_NONE } from '../devices/ground-truth.ts';
import { Direction, type ViewName, type ViewPacket } from './view-packet.ts';
import { ETHERNET_HEADER_LENGTH } from './wire-size.ts';

export type Defence =
  { kind: 'padding'; multiple: number | 'mtu' } | { kind: 'cover'; packetsPerSecond: number };

/** The what-ifs an audit runs by default: the padding steps of the issue and a modest cover rate. */
export const DEFAULT_DEFENCES: readonly Defence[] = [
  { kind: 'padding', multiple: 16 },
  { kind: 'padding', multiple: 64 },
  { kind: 'padding', multiple: 256 },
  { kind: 'padding', multiple: 'mtu' },
  { kind: 'cover', packetsPerSecond: 5 },
];

/** Short stable name: "pad-16", "pad-mtu", "cover-5pps". */
export function defenceId(d: Defence): string {
  return d.kind === 'padding' ? `pad-${d.multiple}` : `cover-${d.packetsPerSecond}pps`;
}

/** For people: "padding to multiples of 16 bytes", "constant-rate cover traffic (5 packets/s each way)". */
export function describeDefence(d: Defence): string {
  if (d.kind === 'padding') {
    return d.multiple === 'mtu'
      ? 'padding every packet to the full frame size'
      : `padding to multiples of ${d.multiple} bytes`;
  }
  return `constant-rate cover traffic (${d.packetsPerSecond} packets/s each way)`;
}

/** Parses "pad-16", "pad-mtu", "cover-5pps" (the defenceId forms). */
export function parseDefence(text: string): Defence {
  const t = text.trim().toLowerCase();
  const pad = /^pad-(\d+|mtu)$/.exec(t);
  if (pad !== null) {
    if (pad[1] === 'mtu') return { kind: 'padding', multiple: 'mtu' };
    const multiple = Number(pad[1]);
    if (multiple >= 2 && multiple <= 1500) return { kind: 'padding', multiple };
  }
  const cover = /^cover-(\d+(?:\.\d+)?)pps$/.exec(t);
  if (cover !== null) {
    const rate = Number(cover[1]);
    if (rate > 0 && rate <= 1000) return { kind: 'cover', packetsPerSecond: rate };
  }
  throw new RangeError(
    `unknown defence "${text}" (pad-N with 2 <= N <= 1500, pad-mtu, or cover-Rpps with 0 < R <= 1000)`,
  );
}

/** IPv4 + UDP headers around a tunnel payload. */
const OUTER_IP_UDP = 20 + 8;
const MTU = 1500;

/** Largest frame the observer of `view` sees: a full Ethernet frame, or a tunnelled full inner packet. */
export function largestFrame(view: ViewName, profile: TunnelProfileName = DEFAULT_TUNNEL_PROFILE): number {
  if (view !== 'vpn') return MTU + ETHERNET_HEADER_LENGTH;
  return ETHERNET_HEADER_LENGTH + OUTER_IP_UDP + tunnelProfile(profile).udpPayloadLength(MTU);
}

export interface DefenceStats {
  /** Bytes the observer saw without the defence, and with it (padding and dummies included). */
  bytesBefore: number;
  bytesAfter: number;
  packetsBefore: number;
  dummyPackets: number;
}

/**
 * Applies one defence to a view's packet stream. Call `push` with each packet in time order; it
 * emits the defended packets (dummies first when they are due). `reset` at a segment boundary.
 */
export class DefendedStream {
  readonly stats: DefenceStats = { bytesBefore: 0, bytesAfter: 0, packetsBefore: 0, dummyPackets: 0 };
  private readonly maxFrame: number;
  /** Start of the current cover slot per direction (NaN before the first packet). */
  private readonly slotStart = [NaN, NaN];
  private readonly slotUsed = [false, false];

  /**
   * @param materialise whether the dummy due at a time is emitted as a packet; when false it is
   *   only counted (its cost is in `stats`), so a what-if that looks at part of a long capture
   *   pays for the dummies it looks at, not for every second of the capture.
   */
  constructor(
    readonly defence: Defence,
    readonly view: ViewName,
    profile: TunnelProfileName = DEFAULT_TUNNEL_PROFILE,
    private readonly materialise: (ts: number) => boolean = () => true,
  ) {
    this.maxFrame = largestFrame(view, profile);
  }

  push(vp: ViewPacket, emit: (vp: ViewPacket) => void): void {
    this.stats.bytesBefore += vp.size;
    this.stats.packetsBefore++;
    const d = this.defence;
    if (d.kind === 'padding') {
      const size = this.padded(vp.size, d.multiple);
      this.stats.bytesAfter += size;
      emit(size === vp.size ? vp : { ...vp, size });
      return;
    }
    this.coverUntil(vp.ts, d.packetsPerSecond, emit);
    if (vp.direction === Direction.UP || vp.direction === Direction.DOWN) this.slotUsed[vp.direction] = true;
    this.stats.bytesAfter += vp.size;
    emit(vp);
  }

  /** Forgets the cover slots (a new segment of capture: no cover across a gap). */
  reset(): void {
    this.slotStart[0] = this.slotStart[1] = NaN;
    this.slotUsed[0] = this.slotUsed[1] = false;
  }

  private padded(size: number, multiple: number | 'mtu'): number {
    if (size >= this.maxFrame) return size;
    if (multiple === 'mtu') return this.maxFrame;
    return Math.min(this.maxFrame, Math.ceil(size / multiple) * multiple);
  }

  /**
   * Emits a dummy (at the slot's end) for every slot, of either direction, that ended by `ts` and
   * carried no packet, earliest first so the stream stays in time order. Slots are 1/rate wide,
   * from the segment's first packet on.
   */
  private coverUntil(ts: number, rate: number, emit: (vp: ViewPacket) => void): void {
    const width = 1 / rate;
    if (Number.isNaN(this.slotStart[0])) {
      this.slotStart[0] = this.slotStart[1] = ts;
      return;
    }
    for (;;) {
      const k = this.slotStart[0] <= this.slotStart[1] ? 0 : 1;
      const end = this.slotStart[k] + width;
      if (ts < end) return;
      if (!this.slotUsed[k]) this.emitDummy(end, k === 0 ? Direction.UP : Direction.DOWN, emit);
      this.slotStart[k] = end;
      this.slotUsed[k] = false;
    }
  }

  private emitDummy(ts: number, direction: Direction, emit: (vp: ViewPacket) => void): void {
    this.stats.dummyPackets++;
    this.stats.bytesAfter += this.maxFrame;
    if (!this.materialise(ts)) return;
    emit({
      ts,
      size: this.maxFrame,
      direction,
      ipProto: 17,
      localPort: -1,
      remotePort: -1,
      tcpFlags: 0,
      label: LABEL_NONE,
      fileIndex: -1,
      packetIndex: -1,
      inner: null,
    });
  }
}
