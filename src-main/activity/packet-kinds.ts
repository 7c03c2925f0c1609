/**
 * Which kinds of packet are part of a device's background traffic. A packet's kind is its
 * direction and its size rounded down to `bucketBytes` — what any observer sees, also through a
 * tunnel. Encrypted IoT traffic repeats itself: a heartbeat is the same few sizes every minute,
 * while a command from the cloud, a status report it triggers or a new connection brings sizes the
 * device's quiet hours do not have. Only packets to or from the internet have a kind: LAN-only
 * packets (DHCP renewals, mDNS and SSDP announcements, ARP) are the home network's housekeeping,
 * never novel, and what an outside observer never sees.
 *
 * Time is cut into windows of `windowSeconds` on the absolute grid; for every kind a bitmask
 * remembers in which of the device's last `historyWindows` windows *with traffic* it was seen (bit
 * 0: the open window). Windows without any packet of the device — the device asleep, or no capture
 * at all — are not counted, so a gap between two capture files does not make everything new. A
 * kind is **familiar** when it was seen in at least `familiarShare` of the remembered windows
 * before the open one; a packet of an unfamiliar kind is **novel**. Nothing is judged novel
 * before `minWindows` windows are remembered (a device first seen has no background yet).
 *
 * Only quiet traffic teaches the history: a caller that learns packets later (`observe` with
 * `learn` false, then `learn` once it knows the packets were not part of an event) keeps a
 * device's repeated events — a camera's uploads, a plug's commands — from becoming its background.
 *
 * Fixed memory (one 32-bit mask per kind), O(1) per packet and O(kinds) once per window; results
 * depend only on the packets and their order, so a replay gives what the live session gave.
 */
import { Direction } from '../views/view-packet.ts';

/** Directions with kinds (Direction.UP and DOWN, 0 and 1). */
const DIRECTIONS = 2;

function popcount(v: number): number {
  v = v - ((v >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

export interface PacketKindOptions {
  windowSeconds: number;
  /** Windows remembered, 1 … 31. */
  historyWindows: number;
  /** Share of the remembered windows a familiar kind was seen in, (0, 1]. */
  familiarShare: number;
  /** Windows remembered before anything is judged novel, 1 … historyWindows. */
  minWindows: number;
  bucketBytes: number;
  /** Sizes from this on share the last bucket. */
  maxBytes: number;
}

export class PacketKindHistory {
  private readonly windowSeconds: number;
  private readonly bucketBytes: number;
  private readonly buckets: number;
  private readonly keep: number;
  private readonly historyWindows: number;
  private readonly minWindows: number;
  private readonly familiarShare: number;
  private readonly masks: Uint32Array;
  /** Open window index (floor(ts / windowSeconds)), or NaN before the first packet. */
  private window = Number.NaN;
  /** Closed windows remembered, at most historyWindows. */
  private remembered = 0;
  /** Remembered windows a kind must have been seen in to be familiar now (−∞: nothing is novel yet). */
  private familiarAt = -Infinity;

  constructor(options: PacketKindOptions) {
    const { windowSeconds, historyWindows, familiarShare, minWindows, bucketBytes, maxBytes } = options;
    if (!(windowSeconds > 0)) throw new RangeError('PacketKindHistory: windowSeconds must be > 0');
    if (!Number.isInteger(historyWindows) || historyWindows < 1 || historyWindows > 31)
      throw new RangeError('PacketKindHistory: historyWindows must be an integer in 1 … 31');
    if (!Number.isInteger(minWindows) || minWindows < 1 || minWindows > historyWindows)
      throw new RangeError('PacketKindHistory: minWindows must be an integer in 1 … historyWindows');
    if (!(familiarShare > 0 && familiarShare <= 1))
      throw new RangeError('PacketKindHistory: familiarShare must be in (0, 1]');
    if (!(bucketBytes >= 1 && maxBytes >= bucketBytes))
      throw new RangeError('PacketKindHistory: need 1 <= bucketBytes <= maxBytes');
    this.windowSeconds = windowSeconds;
    this.bucketBytes = bucketBytes;
    this.buckets = Math.ceil(maxBytes / bucketBytes);
    // bit 0 is the open window, bits 1 … historyWindows the remembered ones
    this.keep = historyWindows === 31 ? 0xffffffff : (2 ** (historyWindows + 1) - 1) >>> 0;
    this.historyWindows = historyWindows;
    this.minWindows = minWindows;
    this.familiarShare = familiarShare;
    this.masks = new Uint32Array(DIRECTIONS * this.buckets);
  }

  /** Closed windows with traffic remembered so far (at most historyWindows). */
  get windows(): number {
    return this.remembered;
  }

  /** The kind of a packet (its index in the masks); -1 for LAN-only packets, which have none. */
  kindOf(size: number, direction: Direction): number {
    if (direction === Direction.LOCAL) return -1;
    const bucket = Math.min(this.buckets - 1, Math.max(0, Math.floor(size / this.bucketBytes)));
    return direction * this.buckets + bucket;
  }

  /**
   * Says whether a packet's kind is novel (see the module comment) and, unless `learn` is false,
   * records it in the open window; LAN-only packets are ignored. Packets should come in time
   * order; an older one is counted in the open window.
   */
  observe(ts: number, size: number, direction: Direction, learn = true): boolean {
    const k = this.kindOf(size, direction);
    if (k < 0) return false;
    const w = Math.floor(ts / this.windowSeconds);
    if (!(w <= this.window)) this.openWindow(w);
    const mask = this.masks[k];
    if (learn) this.masks[k] = mask | 1;
    return popcount(mask >>> 1) < this.familiarAt;
  }

  /**
   * Records kinds (from `kindOf`) as seen in the window holding `ts` — packets observed without
   * learning, once they turned out to be quiet traffic. A window older than the history is ignored.
   */
  learn(ts: number, kinds: Iterable<number>): void {
    const w = Math.floor(ts / this.windowSeconds);
    if (!(w <= this.window)) this.openWindow(w);
    const age = this.window - w;
    if (age > this.historyWindows) return;
    const bit = (1 << age) >>> 0;
    for (const k of kinds) if (k >= 0 && k < this.masks.length) this.masks[k] = (this.masks[k] | bit) >>> 0;
  }

  /** Forgets everything. */
  clear(): void {
    this.masks.fill(0);
    this.window = Number.NaN;
    this.remembered = 0;
    this.familiarAt = -Infinity;
  }

  private openWindow(w: number): void {
    if (!Number.isNaN(this.window)) {
      // the open window closes: every mask moves one window back
      const keep = this.keep;
      const masks = this.masks;
      for (let i = 0; i < masks.length; i++) {
        const m = masks[i];
        if (m !== 0) masks[i] = (m << 1) & keep;
      }
      this.remembered = Math.min(this.remembered + 1, this.historyWindows);
      this.familiarAt =
        this.remembered < this.minWindows ? -Infinity : Math.ceil(this.familiarShare * this.remembered);
    }
    this.window = w;
  }
}
