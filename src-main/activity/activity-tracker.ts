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
 * A busy span starts at the first hot bin (or the bin before it when the burst straddles two
 * bins) and ends at the end of its last warm bin once `exitHoldBins` quiet bins have followed, so
 * its end is known `exitHoldBins` bins late but is not stretched by them.
 */
import { Direction } from '../views/view-packet.ts';
import { activityConfig, type ActivityConfig, type ActivityState } from './activity-config.ts';
import {
  describeSpan,
  type ActivityTimeline,
  type BusySpan,
  type StateSegment,
} from './activity-timeline.ts';

import { PacketKindHistory } from './packet-kinds.ts';
import { RateBaseline } from './rate-baseline.ts';

const spanBytes = (s: BusySpan): number => s.bytesUp + s.bytesDown + s.bytesLocal;
/** Packet sizes from this on share the last size bucket of a packet kind (above any Ethernet or tunnel MTU). */
const KIND_MAX_BYTES = 2048;

type QuietState = 'asleep' | 'idle';

export class ActivityTracker {
  readonly config: Readonly<ActivityConfig>;
  private readonly binSeconds: number;
  private readonly bytesBaseline: RateBaseline;
  private readonly packetsBaseline: RateBaseline;
  private readonly kinds: PacketKindHistory;
  /** 1 for each of the last `activityWindowBins` bins that held a packet. */
  private readonly activeRing: Uint8Array;
  private ringPos = 0;
  private activeCount = 0;

  private started = false;
  private finished = false;
  private firstTs = 0;
  private lastTs = 0;

  /** Index of the open bin (floor(ts / binSeconds)) and its sums. */
  private bin = 0;
  private binPackets = 0;
  private binUp = 0;
  private binDown = 0;
  private binLocal = 0;
  /** Packets of the open bin whose kind is not part of the device's background. */
  private binNovel = 0;
  private binNovelBytes = 0;
  private binFirstTs = 0;
  private binLastTs = 0;
  /** Direction of the open bin's first packet to or from the internet (-1: none yet), and the previous bin's. */
  private binFirstDir = -1;
  private prevFirstDir = -1;
  /** The bin before the previous one had a packet to or from the internet. */
  private prevPrevInternet = false;
  /**
   * Who spoke first in the open span, when it started out of silence (no internet packet in the
   * bin before it): the device (UP) or the far end (DOWN); -1 when that cannot be told.
   */
  private spanFirstDir = -1;
  /** The same for each closed span (a device's own timer is the device speaking first). */
  private readonly initiator = new WeakMap<BusySpan, number>();

  /** Sums of the bin closed last (always the bin just before the open one). */
  private prevPackets = 0;
  private prevNovel = 0;
  private prevUp = 0;
  private prevDown = 0;
  private prevLocal = 0;
  private prevFirstTs = 0;

  private quiet: QuietState = 'asleep';
  private busy = false;
  private holdBins = 0;

  /** The open busy span, through its last warm bin. */
  private spanPackets = 0;
  private spanUp = 0;
  private spanDown = 0;
  private spanLocal = 0;
  private spanFirstTs = 0;
  private spanLastTs = 0;
  private spanPeakBytes = 0;
  private spanPeakPackets = 0;
  private spanNovel = 0;
  /** Packets unlike the device's background started the span and no bin of it was loud enough to. */
  private spanUnusual = false;
  /** End (seconds) of the span's last warm bin, and the start of its first bin. */
  private spanEnd = 0;
  private spanBinStart = 0;
  /** The device's timer-driven routines: period, start of the latest routine span, its bytes. */
  private readonly routines: { period: number; last: number; volume: number }[] = [];
  /** Quiet bins after the last warm one: they join the span if a warm bin follows. */
  private pendPackets = 0;
  private pendUp = 0;
  private pendDown = 0;
  private pendLocal = 0;
  private pendPeakBytes = 0;
  private pendPeakPackets = 0;
  private pendNovel = 0;

  private openState: ActivityState = 'asleep';
  private openStart = 0;
  private readonly segments: StateSegment[] = [];
  private readonly spans: BusySpan[] = [];
  private droppedSegments = 0;
  private droppedSpans = 0;

  constructor(config: Partial<ActivityConfig> = {}) {
    this.config = Object.freeze(activityConfig(config));
    this.binSeconds = this.config.binSeconds;
    this.bytesBaseline = new RateBaseline(this.config.baselineHistoryBins);
    this.packetsBaseline = new RateBaseline(this.config.baselineHistoryBins);
    this.activeRing = new Uint8Array(this.config.activityWindowBins);
    this.kinds = new PacketKindHistory({
      windowSeconds: this.config.noveltyWindowSeconds,
      historyWindows: this.config.noveltyHistoryWindows,
      familiarShare: this.config.noveltyFamiliarShare,
      minWindows: this.config.noveltyMinWindows,
      bucketBytes: this.config.noveltyBucketBytes,
      maxBytes: KIND_MAX_BYTES,
    });
  }

  /** State as of the last closed bin (busy while a span is open, hold included). */
  get state(): ActivityState {
    return this.busy ? 'busy' : this.quiet;
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
   */
  push(ts: number, size: number, direction: Direction): void {
    if (this.finished) throw new Error('ActivityTracker: packet after flush (call reset first)');
    const b = Math.floor(ts / this.binSeconds);
    if (!this.started) this.begin(b, ts);
    else if (b > this.bin) this.advanceToBin(b);
    if (this.binPackets === 0) {
      this.binFirstTs = ts;
      this.binLastTs = ts;
    } else if (ts > this.binLastTs) this.binLastTs = ts;
    this.binPackets++;
    if (this.binFirstDir < 0 && direction !== Direction.LOCAL) this.binFirstDir = direction;
    if (this.kinds.observe(ts, size, direction)) {
      this.binNovel++;
      this.binNovelBytes += size;
    }
    if (direction === Direction.UP) this.binUp += size;
    else if (direction === Direction.DOWN) this.binDown += size;
    else this.binLocal += size;
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
    if (this.busy) this.endSpan();
    const end = (this.bin + 1) * this.binSeconds;
    if (end > this.openStart) this.pushSegment({ state: this.openState, start: this.openStart, end });
    this.openStart = end;
  }

  /**
   * The timeline so far. After `flush` it is complete; before, it runs to the start of the open
   * bin, the open segment is cut there and an open busy span is not yet among `spans`.
   */
  timeline(): ActivityTimeline {
    const segments = this.segments.slice();
    if (this.started && !this.finished) {
      const end = this.bin * this.binSeconds;
      if (end > this.openStart) segments.push({ state: this.openState, start: this.openStart, end });
    }
    const start = segments.length > 0 ? segments[0].start : 0;
    const end = segments.length > 0 ? segments[segments.length - 1].end : start;
    return {
      start,
      end,
      segments,
      spans: this.spans.slice(),
      droppedSegments: this.droppedSegments,
      droppedSpans: this.droppedSpans,
    };
  }

  /** Forgets everything, as if new. */
  reset(): void {
    this.bytesBaseline.clear();
    this.packetsBaseline.clear();
    this.kinds.clear();
    this.activeRing.fill(0);
    this.ringPos = 0;
    this.activeCount = 0;
    this.started = false;
    this.finished = false;
    this.firstTs = 0;
    this.lastTs = 0;
    this.resetBin();
    this.prevPackets = this.prevUp = this.prevDown = this.prevLocal = this.prevFirstTs = this.prevNovel = 0;
    this.prevFirstDir = this.spanFirstDir = -1;
    this.prevPrevInternet = false;
    this.quiet = 'asleep';
    this.busy = false;
    this.holdBins = 0;
    this.openState = 'asleep';
    this.openStart = 0;
    this.segments.length = 0;
    this.spans.length = 0;
    this.routines.length = 0;
    this.droppedSegments = 0;
    this.droppedSpans = 0;
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
    this.openState = 'asleep';
    this.openStart = b * this.binSeconds;
  }

  private resetBin(): void {
    this.binPackets = this.binUp = this.binDown = this.binLocal = this.binNovel = this.binNovelBytes = 0;
    this.binFirstTs = this.binLastTs = 0;
    this.binFirstDir = -1;
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
      this.resetBin();
      this.closeBin();
    }
    this.bin = b;
    this.resetBin();
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
    const packets = this.binPackets;
    const bytes = this.binUp + this.binDown + this.binLocal;
    const start = this.bin * this.binSeconds;
    this.updateQuietState(packets > 0);
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
      if (!this.busy) {
        if (loud) this.startSpan(false, false);
        else if (
          this.prevPackets > 0 &&
          (bytes + this.prevUp + this.prevDown + this.prevLocal >= enterBytes ||
            packets + this.prevPackets >= enterPackets)
        )
          this.startSpan(true, false);
        else if (
          c.noveltyEnterPackets > 0 &&
          this.binNovel >= c.noveltyEnterPackets &&
          this.binNovelBytes >= c.noveltyBaselineFactor * baseBytes
        )
          this.startSpan(false, true);
        else this.switchTo(this.quiet, start);
      } else {
        const exitBytes = Math.max(c.exitFactor * baseBytes, c.exitFloorBytes);
        const exitPackets = Math.max(c.exitFactor * basePackets, c.exitFloorPackets);
        const novel = c.noveltyEnterPackets > 0 && this.binNovel >= c.noveltyExitPackets;
        if (bytes >= exitBytes || packets >= exitPackets || novel) this.extendSpan(loud);
        else this.holdSpan();
      }
      this.bytesBaseline.add(bytes);
      this.packetsBaseline.add(packets);
    } else if (this.busy) {
      this.holdSpan();
    } else {
      this.switchTo(this.quiet, start);
    }
    this.prevPackets = packets;
    this.prevNovel = this.binNovel;
    this.prevUp = this.binUp;
    this.prevDown = this.binDown;
    this.prevLocal = this.binLocal;
    this.prevFirstTs = this.binFirstTs;
    this.prevPrevInternet = this.prevFirstDir >= 0;
    this.prevFirstDir = this.binFirstDir;
  }

  /** Slides the activity window by one bin and applies the asleep / idle hysteresis. */
  private updateQuietState(active: boolean): void {
    const bit = active ? 1 : 0;
    this.activeCount += bit - this.activeRing[this.ringPos];
    this.activeRing[this.ringPos] = bit;
    this.ringPos = this.ringPos + 1 === this.activeRing.length ? 0 : this.ringPos + 1;
    if (this.quiet === 'asleep' && this.activeCount >= this.config.idleEnterActiveBins) this.quiet = 'idle';
    else if (this.quiet === 'idle' && this.activeCount <= this.config.asleepEnterActiveBins)
      this.quiet = 'asleep';
  }

  /**
   * Opens a busy span at the open bin, or at the bin before it when that bin is part of the burst;
   * `unusual` when packets unlike the device's background started it, not its volume (a span whose
   * volume alone would have started one never is).
   */
  private startSpan(withPrevious: boolean, unusual: boolean): void {
    const bytes = this.binUp + this.binDown + this.binLocal;
    this.busy = true;
    this.holdBins = 0;
    this.spanPackets = this.binPackets;
    this.spanUp = this.binUp;
    this.spanDown = this.binDown;
    this.spanLocal = this.binLocal;
    this.spanFirstTs = this.binFirstTs;
    // who spoke first is known only when the span starts out of silence
    this.spanFirstDir = this.prevFirstDir >= 0 ? -1 : this.binFirstDir;
    this.spanLastTs = this.binLastTs;
    this.spanPeakBytes = bytes;
    this.spanPeakPackets = this.binPackets;
    this.spanNovel = this.binNovel;
    this.spanUnusual = unusual;
    let start = this.bin * this.binSeconds;
    if (withPrevious) {
      this.spanPackets += this.prevPackets;
      this.spanUp += this.prevUp;
      this.spanDown += this.prevDown;
      this.spanLocal += this.prevLocal;
      this.spanFirstTs = this.prevFirstTs;
      this.spanFirstDir = this.prevPrevInternet
        ? -1
        : this.prevFirstDir >= 0
          ? this.prevFirstDir
          : this.binFirstDir;
      this.spanPeakBytes = Math.max(bytes, this.prevUp + this.prevDown + this.prevLocal);
      this.spanPeakPackets = Math.max(this.binPackets, this.prevPackets);
      this.spanNovel += this.prevNovel;
      start -= this.binSeconds;
    }
    this.spanEnd = (this.bin + 1) * this.binSeconds;
    this.spanBinStart = start;
    this.clearPending();
    this.switchTo('busy', start);
  }

  /** A warm bin: the held bins and this one join the span (`loud`: its volume alone would start one). */
  private extendSpan(loud: boolean): void {
    if (loud) this.spanUnusual = false;
    const bytes = this.binUp + this.binDown + this.binLocal;
    this.spanPackets += this.pendPackets + this.binPackets;
    this.spanUp += this.pendUp + this.binUp;
    this.spanDown += this.pendDown + this.binDown;
    this.spanLocal += this.pendLocal + this.binLocal;
    this.spanLastTs = this.binLastTs;
    this.spanPeakBytes = Math.max(this.spanPeakBytes, this.pendPeakBytes, bytes);
    this.spanPeakPackets = Math.max(this.spanPeakPackets, this.pendPeakPackets, this.binPackets);
    this.spanNovel += this.pendNovel + this.binNovel;
    this.spanEnd = (this.bin + 1) * this.binSeconds;
    this.holdBins = 0;
    this.clearPending();
  }

  /** A quiet bin of a busy device: held aside; after `exitHoldBins` of them the span ends. */
  private holdSpan(): void {
    if (this.binPackets > 0) {
      const bytes = this.binUp + this.binDown + this.binLocal;
      this.pendPackets += this.binPackets;
      this.pendUp += this.binUp;
      this.pendDown += this.binDown;
      this.pendLocal += this.binLocal;
      this.pendNovel += this.binNovel;
      if (bytes > this.pendPeakBytes) this.pendPeakBytes = bytes;
      if (this.binPackets > this.pendPeakPackets) this.pendPeakPackets = this.binPackets;
    }
    this.holdBins++;
    if (this.holdBins >= this.config.exitHoldBins) this.endSpan();
  }

  private clearPending(): void {
    this.pendPackets = this.pendUp = this.pendDown = this.pendLocal = 0;
    this.pendPeakBytes = this.pendPeakPackets = this.pendNovel = 0;
  }

  /** Closes the busy span at its last warm bin and records its evidence. */
  private endSpan(): void {
    this.busy = false;
    this.holdBins = 0;
    this.clearPending();
    const duration = Math.max(0, this.spanLastTs - this.spanFirstTs);
    this.spans.push({
      start: this.spanFirstTs,
      end: this.spanLastTs,
      duration,
      packets: this.spanPackets,
      bytesUp: this.spanUp,
      bytesDown: this.spanDown,
      bytesLocal: this.spanLocal,
      peakBytesPerSecond: this.spanPeakBytes / this.binSeconds,
      peakPacketsPerSecond: this.spanPeakPackets / this.binSeconds,
      unusualPackets: this.spanNovel,
      description: describeSpan(this.spanUp, this.spanDown, this.spanLocal, duration, this.spanUnusual),
      routine: false,
      routinePeriod: null,
      binStart: Math.max(this.spanBinStart, this.openStart),
      binEnd: this.spanEnd,
    });
    this.initiator.set(this.spans[this.spans.length - 1], this.spanFirstDir);
    if (this.spans.length > this.config.maxSpans) {
      const drop = this.spans.length - this.config.maxSpans;
      this.spans.splice(0, drop);
      this.droppedSpans += drop;
    }
    this.switchTo(this.quiet, this.spanEnd);
    this.recognizeRoutine();
  }

  /**
   * The span may be the device's own timer: it did not start with the far end speaking out of
   * silence (a command pushed by its cloud is someone else's doing, however regular).
   */
  private ownTimer(span: BusySpan): boolean {
    return this.initiator.get(span) !== Direction.DOWN;
  }

  private routineTolerance(period: number): number {
    return Math.max(this.config.routineToleranceMinSeconds, this.config.routinePeriodTolerance * period);
  }

  private similarVolume(a: number, b: number): boolean {
    return Math.max(a, b) <= this.config.routineVolumeRatio * Math.max(1, Math.min(a, b));
  }

  /**
   * After a span ended: is it the device's own timer at work (see the routine fields of
   * activity-config.ts)? First against the routines already known (due now, to within the
   * tolerance, and of similar size); else, with two remembered spans that are not routine, as the
   * third of an evenly spaced series, which starts a new routine.
   */
  private recognizeRoutine(): void {
    const c = this.config;
    if (c.routinePeriodTolerance <= 0) return;
    const spans = this.spans;
    const last = spans.length - 1;
    const s = spans[last];
    if (!this.ownTimer(s)) return;
    const volume = spanBytes(s);
    // forget routines that have not shown for 8 periods
    for (let r = this.routines.length - 1; r >= 0; r--) {
      if (s.start - this.routines[r].last > 8 * this.routines[r].period) this.routines.splice(r, 1);
    }
    for (const routine of this.routines) {
      const k = Math.round((s.start - routine.last) / routine.period);
      const off = s.start - routine.last - k * routine.period;
      if (
        k >= 1 &&
        Math.abs(off) <= this.routineTolerance(routine.period) &&
        this.similarVolume(volume, routine.volume)
      ) {
        routine.last = s.start;
        routine.volume = volume;
        this.markRoutine(last, routine.period);
        return;
      }
    }
    const first = Math.max(0, last - c.routineMemorySpans);
    for (let j = last - 1; j >= first; j--) {
      const b = spans[j];
      const period = s.start - b.start;
      if (period > c.routineMaxPeriodSeconds + this.routineTolerance(c.routineMaxPeriodSeconds)) break;
      if (b.routine || period < c.routineMinPeriodSeconds || period > c.routineMaxPeriodSeconds) continue;
      if (!this.ownTimer(b)) continue;
      if (!this.similarVolume(volume, spanBytes(b))) continue;
      const tol = this.routineTolerance(period);
      for (let i = j - 1; i >= first; i--) {
        const a = spans[i];
        const before = b.start - a.start;
        if (before > period + tol) break;
        if (a.routine || Math.abs(before - period) > tol || !this.ownTimer(a)) continue;
        if (!this.similarVolume(volume, spanBytes(a)) || !this.similarVolume(spanBytes(a), spanBytes(b)))
          continue;
        this.routines.unshift({ period, last: s.start, volume });
        if (this.routines.length > c.routineMaxPeriods) this.routines.pop();
        this.markRoutine(i, period);
        this.markRoutine(j, period);
        this.markRoutine(last, period);
        this.markEarlierPairs(first, last, period);
        return;
      }
    }
  }

  /**
   * A routine of `period` was just learned: the same timer (or a second one of the same period)
   * was already at work among the remembered spans before it was recognised, so every earlier
   * pair of non-routine spans of similar size one period apart is routine too.
   */
  private markEarlierPairs(first: number, last: number, period: number): void {
    const spans = this.spans;
    const tol = this.routineTolerance(period);
    for (let b = last - 1; b > first; b--) {
      const later = spans[b];
      if (later.routine || !this.ownTimer(later)) continue;
      for (let a = b - 1; a >= first; a--) {
        const earlier = spans[a];
        const gap = later.start - earlier.start;
        if (gap > period + tol) break;
        if (earlier.routine || Math.abs(gap - period) > tol || !this.ownTimer(earlier)) continue;
        if (!this.similarVolume(spanBytes(earlier), spanBytes(later))) continue;
        this.markRoutine(a, period);
        this.markRoutine(b, period);
        break;
      }
    }
  }

  /**
   * Marks span `index` routine and gives its busy segment the quiet state around it (the one
   * before, else the one after, else idle), joined with neighbours of that state. Segments are
   * replaced, never changed in place, so timelines handed out earlier stay as they were.
   */
  private markRoutine(index: number, period: number): void {
    const span = this.spans[index];
    if (span.routine) return;
    span.routine = true;
    span.routinePeriod = period;
    const segs = this.segments;
    let k = segs.length - 1;
    while (k >= 0 && segs[k].start > span.binStart) k--;
    if (k < 0 || segs[k].state !== 'busy' || segs[k].start !== span.binStart) return; // dropped already
    const before = k > 0 ? segs[k - 1].state : null;
    const after = k + 1 < segs.length ? segs[k + 1].state : this.openState;
    const state: ActivityState =
      before !== null && before !== 'busy' ? before : after !== 'busy' ? after : 'idle';
    segs[k] = { state, start: segs[k].start, end: segs[k].end };
    if (k + 1 < segs.length && segs[k + 1].state === state) {
      segs[k] = { state, start: segs[k].start, end: segs[k + 1].end };
      segs.splice(k + 1, 1);
    }
    if (k > 0 && segs[k - 1].state === state) {
      segs[k - 1] = { state, start: segs[k - 1].start, end: segs[k].end };
      segs.splice(k, 1);
      k--;
    }
    if (k === segs.length - 1 && this.openState === state && this.openStart === segs[k].end) {
      this.openStart = segs[k].start;
      segs.pop();
    }
  }

  /** Starts a segment of `state` at `at` (a bin edge), closing the open one. */
  private switchTo(state: ActivityState, at: number): void {
    if (state === this.openState) return;
    if (at < this.openStart) at = this.openStart;
    if (at > this.openStart) {
      this.pushSegment({ state: this.openState, start: this.openStart, end: at });
    } else {
      // The open segment is replaced before it lasted; join the one before it if it has this state.
      const last = this.segments.length > 0 ? this.segments[this.segments.length - 1] : null;
      if (last !== null && last.state === state && last.end === at) {
        this.segments.pop();
        at = last.start;
      }
    }
    this.openState = state;
    this.openStart = at;
  }

  private pushSegment(segment: StateSegment): void {
    this.segments.push(segment);
    if (this.segments.length > this.config.maxSegments) {
      const drop = this.segments.length - this.config.maxSegments;
      this.segments.splice(0, drop);
      this.droppedSegments += drop;
    }
  }
}
