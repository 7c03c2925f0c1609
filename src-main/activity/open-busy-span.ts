/**
 * The busy span a device is in, while it lasts: the tracker starts it at a hot bin, extends it
 * with every warm bin, holds quiet bins aside and ends it after `exitHoldBins` of them, and this
 * sums the evidence the span will carry (packets, bytes per direction, peak rates, unusual
 * packets) and remembers who spoke first.
 *
 * A span runs from its first bin (the hot one, or the one before it when the burst straddles two
 * bins) through its last warm bin. Quiet bins after the last warm one are held: they join the
 * span when a warm bin follows, and are dropped when the span ends, so the span's end is known
 * `exitHoldBins` bins late but is not stretched by them. Fixed size; nothing is allocated until
 * the span ends.
 */
import { describeSpan, type BusySpan } from './activity-timeline.ts';
import type { FirstDirection, RateBin } from './rate-bin.ts';

/** A span that just ended, with who spoke first in it (what tells a device's own timer, see device-routines.ts). */
export interface EndedSpan {
  span: BusySpan;
  firstSpeaker: FirstDirection;
}

export class OpenBusySpan {
  private readonly binSeconds: number;
  private readonly exitHoldBins: number;
  private open = false;
  /** Quiet bins since the last warm one. */
  private heldBins = 0;

  /** Sums through the span's last warm bin. */
  private packets = 0;
  private bytesUp = 0;
  private bytesDown = 0;
  private bytesLocal = 0;
  private firstTs = 0;
  private lastTs = 0;
  private peakBytes = 0;
  private peakPackets = 0;
  private novelPackets = 0;
  /** Packets unlike the device's background started the span and no bin of it was loud enough to. */
  private unusual = false;
  /**
   * Who spoke first, when the span started out of silence (no internet packet in the bin before
   * it): the device (UP) or the far end (DOWN); -1 when that cannot be told.
   */
  private firstSpeaker: FirstDirection = -1;
  /** Start (seconds) of the span's first bin, and the end of its last warm bin. */
  private binStart = 0;
  private binEnd = 0;

  /** Sums of the held quiet bins. */
  private heldPackets = 0;
  private heldUp = 0;
  private heldDown = 0;
  private heldLocal = 0;
  private heldPeakBytes = 0;
  private heldPeakPackets = 0;
  private heldNovel = 0;

  constructor(binSeconds: number, exitHoldBins: number) {
    this.binSeconds = binSeconds;
    this.exitHoldBins = exitHoldBins;
  }

  /** A span is open (the device is busy, hold included). */
  get isOpen(): boolean {
    return this.open;
  }

  /** End (seconds) of the open or last span's last warm bin. */
  get end(): number {
    return this.binEnd;
  }

  /**
   * Opens a span at `bin` (number `index` on the grid), or at `previous` when that bin is part of
   * the burst (then `previous` is the bin just before `bin`); `internetBefore`: the bin before the
   * span's first one held a packet to or from the internet, so who spoke first cannot be told.
   * `unusual` when packets unlike the device's background started it, not its volume. Returns the
   * start (seconds) of the span's first bin.
   */
  start(
    bin: Readonly<RateBin>,
    index: number,
    previous: Readonly<RateBin> | null,
    internetBefore: boolean,
    unusual: boolean,
  ): number {
    const bytes = bin.bytes;
    this.open = true;
    this.heldBins = 0;
    this.packets = bin.packets;
    this.bytesUp = bin.bytesUp;
    this.bytesDown = bin.bytesDown;
    this.bytesLocal = bin.bytesLocal;
    this.firstTs = bin.firstTs;
    this.firstSpeaker = internetBefore ? -1 : bin.firstDirection;
    this.lastTs = bin.lastTs;
    this.peakBytes = bytes;
    this.peakPackets = bin.packets;
    this.novelPackets = bin.novelPackets;
    this.unusual = unusual;
    let start = index * this.binSeconds;
    if (previous !== null) {
      this.packets += previous.packets;
      this.bytesUp += previous.bytesUp;
      this.bytesDown += previous.bytesDown;
      this.bytesLocal += previous.bytesLocal;
      this.firstTs = previous.firstTs;
      if (!internetBefore && previous.firstDirection >= 0) this.firstSpeaker = previous.firstDirection;
      this.peakBytes = Math.max(bytes, previous.bytes);
      this.peakPackets = Math.max(bin.packets, previous.packets);
      this.novelPackets += previous.novelPackets;
      start -= this.binSeconds;
    }
    this.binEnd = (index + 1) * this.binSeconds;
    this.binStart = start;
    this.clearHeld();
    return start;
  }

  /** A warm bin: the held bins and `bin` join the span (`loud`: its volume alone would start one). */
  extend(bin: Readonly<RateBin>, index: number, loud: boolean): void {
    if (loud) this.unusual = false;
    const bytes = bin.bytes;
    this.packets += this.heldPackets + bin.packets;
    this.bytesUp += this.heldUp + bin.bytesUp;
    this.bytesDown += this.heldDown + bin.bytesDown;
    this.bytesLocal += this.heldLocal + bin.bytesLocal;
    this.lastTs = bin.lastTs;
    this.peakBytes = Math.max(this.peakBytes, this.heldPeakBytes, bytes);
    this.peakPackets = Math.max(this.peakPackets, this.heldPeakPackets, bin.packets);
    this.novelPackets += this.heldNovel + bin.novelPackets;
    this.binEnd = (index + 1) * this.binSeconds;
    this.heldBins = 0;
    this.clearHeld();
  }

  /** A quiet bin: held aside. True when it is the `exitHoldBins`th in a row, and the span must end. */
  hold(bin: Readonly<RateBin>): boolean {
    if (bin.packets > 0) {
      const bytes = bin.bytes;
      this.heldPackets += bin.packets;
      this.heldUp += bin.bytesUp;
      this.heldDown += bin.bytesDown;
      this.heldLocal += bin.bytesLocal;
      this.heldNovel += bin.novelPackets;
      if (bytes > this.heldPeakBytes) this.heldPeakBytes = bytes;
      if (bin.packets > this.heldPeakPackets) this.heldPeakPackets = bin.packets;
    }
    this.heldBins++;
    return this.heldBins >= this.exitHoldBins;
  }

  /**
   * Closes the span at its last warm bin and returns it with its evidence; its segment starts no
   * earlier than `segmentFloor` (the start of the timeline's open segment: a span that began in a
   * bin already closed into an earlier segment is cut there).
   */
  finish(segmentFloor: number): EndedSpan {
    this.open = false;
    this.heldBins = 0;
    this.clearHeld();
    const duration = Math.max(0, this.lastTs - this.firstTs);
    const span: BusySpan = {
      start: this.firstTs,
      end: this.lastTs,
      duration,
      packets: this.packets,
      bytesUp: this.bytesUp,
      bytesDown: this.bytesDown,
      bytesLocal: this.bytesLocal,
      peakBytesPerSecond: this.peakBytes / this.binSeconds,
      peakPacketsPerSecond: this.peakPackets / this.binSeconds,
      unusualPackets: this.novelPackets,
      description: describeSpan(this.bytesUp, this.bytesDown, this.bytesLocal, duration, this.unusual),
      routine: false,
      routinePeriod: null,
      binStart: Math.max(this.binStart, segmentFloor),
      binEnd: this.binEnd,
    };
    return { span, firstSpeaker: this.firstSpeaker };
  }

  /** Forgets the open span, if any. */
  clear(): void {
    this.open = false;
    this.heldBins = 0;
    this.packets = this.bytesUp = this.bytesDown = this.bytesLocal = 0;
    this.firstTs = this.lastTs = this.peakBytes = this.peakPackets = this.novelPackets = 0;
    this.unusual = false;
    this.firstSpeaker = -1;
    this.binStart = this.binEnd = 0;
    this.clearHeld();
  }

  private clearHeld(): void {
    this.heldPackets = this.heldUp = this.heldDown = this.heldLocal = 0;
    this.heldPeakBytes = this.heldPeakPackets = this.heldNovel = 0;
  }
}
