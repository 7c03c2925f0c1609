/**
 * The activity state machine of one device: fed (ts, size, direction) of the device's packets in
 * time order, it keeps a timeline of asleep / idle / busy segments and the busy spans with their
 * evidence. See activity-config.ts for the states and every threshold.
 *
 * Streaming and deterministic: packets are summed into fixed bins on the absolute time grid and
 * every decision is taken when a bin closes, from that bin, the one before it and the device's
 * history — never from the wall clock — so a live session and any replay of its packets, in any
 * chunking, give identical timelines. Memory is fixed per device (a ring of recent bins for the
 * idle window, a ring and a histogram for the baseline, capped segment and span lists); the
 * per-packet path only adds to counters.
 *
 * The tracker decides; its parts keep the state:
 *  - rate-bin.ts: the open bin and the one closed before it;
 *  - activity-window.ts: asleep / idle from the active bins of the last few minutes;
 *  - open-busy-span.ts: the busy span in progress and its evidence — it starts at the first hot
 *    bin (or the bin before it when the burst straddles two bins) and ends at the end of its last
 *    warm bin once `exitHoldBins` quiet bins have followed, so its end is known `exitHoldBins`
 *    bins late but is not stretched by them;
 *  - device-routines.ts: which ended spans are the device's own timer at work;
 *  - device-timeline.ts: the segments and spans written so far.
 */
import type { Direction } from '../views/view-packet.ts';
import { activityConfig, type ActivityConfig, type ActivityState } from './activity-config.ts';
import type { ActivityTimeline } from './activity-timeline.ts';
import { ActivityWindow } from './activity-window.ts';
import { DeviceRoutines } from './device-routines.ts';
import { DeviceTimeline } from './device-timeline.ts';
import { OpenBusySpan } from './open-busy-span.ts';
import { PacketKindHistory } from './packet-kinds.ts';
import { RateBaseline } from './rate-baseline.ts';
import { RateBin } from './rate-bin.ts';
import { COUNTED } from './uncounted-packets.ts';

/** Packet sizes from this on share the last size bucket of a packet kind (above any Ethernet or tunnel MTU). */
const KIND_MAX_BYTES = 2048;

export class ActivityTracker {
  readonly config: Readonly<ActivityConfig>;
  private readonly binSeconds: number;
  private readonly bytesBaseline: RateBaseline;
  private readonly packetsBaseline: RateBaseline;
  private readonly kinds: PacketKindHistory;
  private readonly window: ActivityWindow;
  private readonly span: OpenBusySpan;
  private readonly routines: DeviceRoutines;
  private readonly record: DeviceTimeline;

  private started = false;
  private finished = false;
  private firstTs = 0;
  private lastTs = 0;

  /** Index of the open bin (floor(ts / binSeconds)) and its sums. */
  private bin = 0;
  /** Bin the open busy span started in (an event longer than eventMaxBins is a new normal). */
  private spanStartBin = 0;
  private readonly openBin = new RateBin();
  /** Sums of the bin closed last (always the bin just before the open one). */
  private readonly previousBin = new RateBin();
  /** The bin before the previous one had a packet to or from the internet. */
  private internetBeforePrevious = false;

  constructor(config: Partial<ActivityConfig> = {}) {
    this.config = Object.freeze(activityConfig(config));
    const c = this.config;
    this.binSeconds = c.binSeconds;
    this.bytesBaseline = new RateBaseline(c.baselineHistoryBins);
    this.packetsBaseline = new RateBaseline(c.baselineHistoryBins);
    this.kinds = new PacketKindHistory({
      windowSeconds: c.noveltyWindowSeconds,
      historyWindows: c.noveltyHistoryWindows,
      familiarShare: c.noveltyFamiliarShare,
      minWindows: c.noveltyMinWindows,
      bucketBytes: c.noveltyBucketBytes,
      maxBytes: KIND_MAX_BYTES,
    });
    this.window = new ActivityWindow(c.activityWindowBins, c.idleEnterActiveBins, c.asleepEnterActiveBins);
    this.span = new OpenBusySpan(c.binSeconds, c.exitHoldBins);
    this.routines = new DeviceRoutines(c);
    this.record = new DeviceTimeline(c.maxSegments, c.maxSpans);
  }

  /** State as of the last closed bin (busy while a span is open, hold included). */
  get state(): ActivityState {
    return this.span.isOpen ? 'busy' : this.window.state;
  }

  /** True once `flush` has ended the timeline. */
  get isFinished(): boolean {
    return this.finished;
  }

  /** The device's current per-bin baseline (0 until `baselineMinBins` non-empty bins were seen). */
  baseline(): { bytes: number; packets: number } {
    return { bytes: this.baselineBytes(), packets: this.baselinePackets() };
  }

  /** The device's routine envelope per bin (envelopeQuantile of its history; 0 until envelopeMinBins non-empty bins were seen). */
  envelope(): { bytes: number; packets: number } {
    return {
      bytes: this.envelopeOf(this.bytesBaseline),
      packets: this.envelopeOf(this.packetsBaseline),
    };
  }

  /**
   * Adds one packet of the device. Packets should come in time order; one older than the open
   * bin is counted in the open bin. Throws after `flush`.
   *
   * `mark` (activity/uncounted-packets.ts): COUNTED; PLUMBING, a packet that shows the device
   * awake but is no volume; or, for a refusal (no volume either), ≥ 0: the bytes of the attempt it
   * refuses (0: none) to take back out of the volume — so neither name lookups nor retrying a host
   * that refuses ever make a device busy. Refusals are counted for the timeline (`refusals`).
   */
  push(ts: number, size: number, direction: Direction, mark = COUNTED): void {
    if (this.finished) throw new Error('ActivityTracker: packet after flush (call reset first)');
    const b = Math.floor(ts / this.binSeconds);
    if (!this.started) this.begin(b, ts);
    else if (b > this.bin) this.advanceToBin(b);
    if (mark !== COUNTED) {
      this.openBin.addUncounted(direction, Math.max(0, mark));
      if (mark >= 0) this.record.refused(ts);
      if (ts > this.lastTs) this.lastTs = ts;
      return;
    }
    // a packet teaches the background only once its bin turned out quiet (closeBin)
    this.openBin.add(
      ts,
      size,
      direction,
      this.kinds.observe(ts, size, direction, false),
      this.kinds.kindOf(size, direction),
    );
    if (ts > this.lastTs) this.lastTs = ts;
  }

  /**
   * Closes every bin before the one holding `ts` (capture time, e.g. the latest packet of the
   * whole home), so a silent device's state moves on in a live session. Never needed for
   * correctness: pushes close bins themselves.
   */
  advanceTo(ts: number): void {
    if (!this.started || this.finished) return;
    const b = Math.floor(ts / this.binSeconds);
    if (b > this.bin) this.advanceToBin(b);
  }

  /**
   * Ends the timeline at `endTs`: closes every bin up to the one holding it, ends an open busy
   * span at its last warm bin and closes the last segment at the end of that bin.
   */
  flush(endTs: number): void {
    if (this.finished) return;
    this.finished = true;
    if (!this.started) return;
    const lastBin = Math.ceil(endTs / this.binSeconds) - 1;
    if (lastBin > this.bin) this.advanceToBin(lastBin);
    this.closeBin();
    if (this.span.isOpen) this.endSpan();
    this.record.close((this.bin + 1) * this.binSeconds);
  }

  /**
   * The timeline so far. After `flush` it is complete; before, it runs to the start of the open
   * bin, the open segment is cut there and an open busy span is not yet among `spans`.
   */
  timeline(): ActivityTimeline {
    return this.record.snapshot(this.started && !this.finished ? this.bin * this.binSeconds : null);
  }

  /** Its refused connection attempts so far (the timeline's `refusals`, without building the timeline). */
  get refusals(): ActivityTimeline['refusals'] {
    return this.record.refusalsSoFar;
  }

  /** Forgets everything, as if new. */
  reset(): void {
    this.bytesBaseline.clear();
    this.packetsBaseline.clear();
    this.kinds.clear();
    this.window.clear();
    this.started = false;
    this.finished = false;
    this.firstTs = 0;
    this.lastTs = 0;
    this.openBin.clear();
    this.previousBin.clear();
    this.internetBeforePrevious = false;
    this.span.clear();
    this.routines.clear();
    this.record.clear();
  }

  /** Timestamp of the first packet pushed (0 before any). */
  get firstPacketTs(): number {
    return this.firstTs;
  }

  private begin(b: number, ts: number): void {
    this.started = true;
    this.bin = b;
    this.firstTs = ts;
    this.lastTs = ts;
    this.record.begin(b * this.binSeconds);
  }

  /**
   * Closes the open bin and the empty bins up to bin `b`, which becomes the open one. After
   * `activityWindowBins + exitHoldBins + 1` empty bins nothing changes any more (no busy span,
   * an empty idle window, asleep), so longer gaps are skipped in O(1).
   */
  private advanceToBin(b: number): void {
    this.closeBin();
    const empty = b - this.bin - 1;
    const settle = Math.min(empty, this.config.activityWindowBins + this.config.exitHoldBins + 1);
    for (let i = 0; i < settle; i++) {
      this.bin++;
      this.openBin.clear();
      this.closeBin();
    }
    this.bin = b;
    this.openBin.clear();
  }

  private quantileOf(history: RateBaseline, q: number, minBins = this.config.baselineMinBins): number {
    return history.count >= minBins ? history.quantile(q) : 0;
  }

  private envelopeOf(history: RateBaseline): number {
    return this.quantileOf(history, this.config.envelopeQuantile, this.config.envelopeMinBins);
  }

  private baselineBytes(): number {
    return this.quantileOf(this.bytesBaseline, this.config.baselineQuantile);
  }

  private baselinePackets(): number {
    return this.quantileOf(this.packetsBaseline, this.config.baselineQuantile);
  }

  /** Takes every decision for the open bin, then makes it the previous bin. */
  private closeBin(): void {
    const c = this.config;
    const bin = this.openBin;
    const prev = this.previousBin;
    const packets = bin.packets;
    const bytes = bin.bytes;
    const start = this.bin * this.binSeconds;
    this.window.slide(packets > 0 || bin.uncounted > 0);
    if (packets > 0) {
      const baseBytes = this.baselineBytes();
      const basePackets = this.baselinePackets();
      const envelope = c.envelopeFactor;
      const enterBytes = Math.max(
        c.enterFactor * baseBytes,
        envelope * this.envelopeOf(this.bytesBaseline),
        c.enterFloorBytes,
      );
      const enterPackets = Math.max(
        c.enterFactor * basePackets,
        envelope * this.envelopeOf(this.packetsBaseline),
        c.enterFloorPackets,
      );
      const loud = bytes >= enterBytes || packets >= enterPackets;
      if (!this.span.isOpen) {
        if (loud) this.startSpan(false, false);
        else if (
          prev.packets > 0 &&
          (bytes + prev.bytesUp + prev.bytesDown + prev.bytesLocal >= enterBytes ||
            packets + prev.packets >= enterPackets)
        )
          this.startSpan(true, false);
        else if (
          c.noveltyEnterPackets > 0 &&
          bin.novelPackets >= c.noveltyEnterPackets &&
          bin.novelBytes >= c.noveltyBaselineFactor * baseBytes
        )
          this.startSpan(false, true);
        else this.record.switchTo(this.window.state, start);
      } else {
        const exitBytes = Math.max(c.exitFactor * baseBytes, c.exitFloorBytes);
        const exitPackets = Math.max(c.exitFactor * basePackets, c.exitFloorPackets);
        const novel = c.noveltyEnterPackets > 0 && bin.novelPackets >= c.noveltyExitPackets;
        if (bytes >= exitBytes || packets >= exitPackets || novel) this.span.extend(bin, this.bin, loud);
        else this.holdSpan();
      }
      // Only quiet traffic teaches the background, so a device's events (repeated uploads at any
      // times) never become its background; while the background is still being learned every
      // bin counts, and a busy stretch longer than eventMaxBins is a new normal and counts too.
      const learning = this.bytesBaseline.count < c.baselineMinBins;
      const event = this.span.isOpen && this.bin - this.spanStartBin < c.eventMaxBins;
      if (learning || !event) {
        this.bytesBaseline.add(bytes);
        this.packetsBaseline.add(packets);
        this.kinds.learn(start, bin.kinds);
      }
    } else if (this.span.isOpen) {
      this.holdSpan();
    } else {
      this.record.switchTo(this.window.state, start);
    }
    this.internetBeforePrevious = prev.firstDirection >= 0;
    prev.copyFrom(bin);
  }

  /**
   * Opens a busy span at the open bin, or at the bin before it when that bin is part of the burst
   * (`withPrevious`); `unusual` when packets unlike the device's background started it, not its
   * volume (a span whose volume alone would have started one never is). Who spoke first is known
   * only when the span starts out of silence.
   */
  private startSpan(withPrevious: boolean, unusual: boolean): void {
    this.spanStartBin = withPrevious ? this.bin - 1 : this.bin;
    const start = withPrevious
      ? this.span.start(this.openBin, this.bin, this.previousBin, this.internetBeforePrevious, unusual)
      : this.span.start(this.openBin, this.bin, null, this.previousBin.firstDirection >= 0, unusual);
    this.record.switchTo('busy', start);
  }

  /** A quiet bin of a busy device: held aside; after `exitHoldBins` of them the span ends. */
  private holdSpan(): void {
    if (this.span.hold(this.openBin)) this.endSpan();
  }

  /**
   * Closes the busy span at its last warm bin, records it, and marks it (and earlier spans) as
   * routine when it completes one; routine spans give their time back to the quiet state.
   */
  private endSpan(): void {
    const { span, firstSpeaker } = this.span.finish(this.record.openStart);
    this.record.addSpan(span);
    this.record.switchTo(this.window.state, this.span.end);
    const spans = this.record.spans;
    for (const index of this.routines.recognize(spans, firstSpeaker))
      this.record.quietRoutineSpan(spans[index]);
  }
}
