/**
 * One rate bin of a device: the sums of its packets in one `binSeconds` slot of the absolute time
 * grid, which is all the activity state machine decides from (see activity-tracker.ts). A tracker
 * keeps two — the open bin and the bin closed just before it — since a burst may straddle a bin
 * edge and who spoke first is told from the bin before a span.
 */
import { Direction } from '../views/view-packet.ts';

/** Direction of the first packet to or from the internet: UP (the device) or DOWN (the far end); -1 for none. */
export type FirstDirection = Direction | -1;

export class RateBin {
  packets = 0;
  /** Bytes home → internet, internet → home, and inside the home. */
  bytesUp = 0;
  bytesDown = 0;
  bytesLocal = 0;
  /** Packets whose kind is not part of the device's background (activity/packet-kinds.ts), and their bytes. */
  novelPackets = 0;
  novelBytes = 0;
  /** Timestamps of the bin's first and latest packet (0 while empty). */
  firstTs = 0;
  lastTs = 0;
  /** Direction of the bin's first packet to or from the internet (LAN-only packets say nothing of who spoke). */
  firstDirection: FirstDirection = -1;
  /**
   * Packets the bin holds that are no volume (activity/uncounted-packets.ts): plumbing, refusals
   * and the attempts they refuse. They show the device awake; none is counted above.
   */
  uncounted = 0;
  /** Kinds of its packets (activity/packet-kinds.ts), learned into the background only if the bin was quiet. */
  readonly kinds = new Set<number>();

  /** All bytes of the bin. */
  get bytes(): number {
    return this.bytesUp + this.bytesDown + this.bytesLocal;
  }

  /** Counts one packet; `novel` when its kind is not part of the device's background; `kind` its kind (-1: none). */
  add(ts: number, size: number, direction: Direction, novel: boolean, kind = -1): void {
    if (kind >= 0) this.kinds.add(kind);
    if (this.packets === 0) {
      this.firstTs = ts;
      this.lastTs = ts;
    } else if (ts > this.lastTs) this.lastTs = ts;
    this.packets++;
    if (this.firstDirection < 0 && direction !== Direction.LOCAL) this.firstDirection = direction;
    if (novel) {
      this.novelPackets++;
      this.novelBytes += size;
    }
    if (direction === Direction.UP) this.bytesUp += size;
    else if (direction === Direction.DOWN) this.bytesDown += size;
    else this.bytesLocal += size;
  }

  /**
   * Counts a packet that is no volume, and takes back out of the volume `takeBack` bytes of an
   * attempt it refuses (0: none) when that attempt was counted in this bin (sent UP when the
   * refusal came DOWN, LOCAL when it came LOCAL). Times stay those of the counted packets.
   */
  addUncounted(direction: Direction, takeBack: number): void {
    this.uncounted++;
    if (takeBack <= 0 || this.packets === 0) return;
    if (direction === Direction.DOWN) {
      if (this.bytesUp < takeBack) return;
      this.bytesUp -= takeBack;
    } else {
      if (this.bytesLocal < takeBack) return;
      this.bytesLocal -= takeBack;
    }
    this.packets--;
    this.uncounted++;
  }

  /** Empties the bin. */
  clear(): void {
    this.uncounted = 0;
    this.packets = this.bytesUp = this.bytesDown = this.bytesLocal = 0;
    this.novelPackets = this.novelBytes = 0;
    this.firstTs = this.lastTs = 0;
    this.firstDirection = -1;
    this.kinds.clear();
  }

  /** Takes over the sums of `other` (the open bin becoming the previous one). */
  copyFrom(other: Readonly<RateBin>): void {
    this.packets = other.packets;
    this.uncounted = other.uncounted;
    this.bytesUp = other.bytesUp;
    this.bytesDown = other.bytesDown;
    this.bytesLocal = other.bytesLocal;
    this.novelPackets = other.novelPackets;
    this.novelBytes = other.novelBytes;
    this.firstTs = other.firstTs;
    this.lastTs = other.lastTs;
    this.firstDirection = other.firstDirection;
    this.kinds.clear();
    for (const k of other.kinds) this.kinds.add(k);
  }
}
