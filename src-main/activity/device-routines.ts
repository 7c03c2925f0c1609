/**
 * A device's own timer-driven routines — a cloud sync every 5 min, a check-in every 25 min — and
 * the rule that tells a busy span to be one of them (the routine fields of activity-config.ts):
 * `routineMinFirings` spans of similar size from the device's own timer, each one period after
 * the one before, start a routine; a later span of similar size due on a
 * known routine's schedule belongs to it. Repeated events at irregular times never form such a
 * run, so they stay events. Routine spans stay in the timeline as evidence, but their time counts
 * as quiet.
 *
 * Fed each span as it ends, with the spans remembered so far; decides from them alone, so the
 * same spans in the same order always give the same routines. Memory is fixed: at most
 * `routineMaxPeriods` routines, and only the last `routineMemorySpans` spans are looked at.
 */
import { Direction } from '../views/view-packet.ts';
import type { ActivityConfig } from './activity-config.ts';
import type { BusySpan } from './activity-timeline.ts';
import type { FirstDirection } from './rate-bin.ts';

/** A routine learned from the device's spans. */
interface Routine {
  /** Seconds between firings. */
  period: number;
  /** Start of its latest span. */
  last: number;
  /** Bytes of its latest span. */
  volume: number;
  /**
   * Where a second timer of the same period fires, seconds after each firing (the NKU plug's two
   * 5-minute syncs a minute apart), or null when none was seen.
   */
  second: number | null;
  /** Its firings so far, and the spans of its size that came off its schedule since it was learned. */
  firings: number;
  strays: number;
}

/** Routines not seen for this many periods are forgotten. */
const FORGET_AFTER_PERIODS = 8;
/**
 * Firings a routine may miss (below the busy thresholds) and a later span still be due on its
 * schedule: 1. A span due only after many missed firings is as likely an event that happens to
 * land on a multiple of the period.
 */
const MAX_MISSED_FIRINGS = 1;
/**
 * Firings per stray span a routine must have to be kept: a span of its size off its schedule ends
 * a routine of three firings (events that lined up), while a timer seen firing for hours survives
 * the odd command or retry of the same size.
 */
const FIRINGS_PER_STRAY = 4;
/**
 * Periods before a candidate routine's first firing whose spans are also looked at: a timer
 * repeats itself and nothing of its size happens off its schedule, while events at random times
 * that line up in threes have more of their kind around them.
 */
const LOOKBACK_PERIODS = 2;

const spanBytes = (s: BusySpan): number => s.bytesUp + s.bytesDown + s.bytesLocal;

export class DeviceRoutines {
  private readonly config: Readonly<ActivityConfig>;
  /** Most recently confirmed first. */
  private readonly routines: Routine[] = [];
  /** Who spoke first in each span seen (see `ownTimer`). */
  private firstSpeakers = new WeakMap<BusySpan, FirstDirection>();

  constructor(config: Readonly<ActivityConfig>) {
    this.config = config;
  }

  /** Periods (seconds) of the routines known now, most recently confirmed first. */
  get periods(): number[] {
    return this.routines.map((r) => r.period);
  }

  /**
   * The last of `spans` (the device's remembered spans, oldest first) just ended and `firstSpeaker`
   * spoke first in it: is it the device's own timer at work? First against the routines already
   * known (due now, to within the tolerance, and of similar size); else, with two remembered
   * spans that are not routine, as the third of an evenly spaced series, which starts a new
   * routine. Spans found routine are marked (`routine`, `routinePeriod`); returns their indices
   * in `spans`, in the order they were marked (none when routines are off).
   */
  recognize(spans: readonly BusySpan[], firstSpeaker: FirstDirection): number[] {
    const c = this.config;
    const marked: number[] = [];
    const last = spans.length - 1;
    if (last < 0) return marked;
    const s = spans[last];
    this.firstSpeakers.set(s, firstSpeaker);
    if (c.routinePeriodTolerance <= 0) return marked;
    if (!this.ownTimer(s)) return marked;
    const volume = spanBytes(s);
    for (let r = this.routines.length - 1; r >= 0; r--) {
      if (s.start - this.routines[r].last > FORGET_AFTER_PERIODS * this.routines[r].period)
        this.routines.splice(r, 1);
    }
    for (const routine of this.routines) {
      if (!this.similarVolume(volume, routine.volume)) continue;
      const k = Math.round((s.start - routine.last) / routine.period);
      const off = s.start - routine.last - k * routine.period;
      if (k >= 1 && k <= MAX_MISSED_FIRINGS + 1 && Math.abs(off) <= this.routineTolerance(routine.period)) {
        routine.last = s.start;
        routine.volume = volume;
        routine.firings++;
        this.markRoutine(spans, last, routine.period, marked);
        return marked;
      }
    }
    // a span of a routine's size off its schedule (and off its second timer's) is a stray: more
    // than one per FIRINGS_PER_STRAY firings shows that the "routine" was events that lined up,
    // and it is forgotten (its firings to come are events)
    for (let r = this.routines.length - 1; r >= 0; r--) {
      const routine = this.routines[r];
      if (!this.similarVolume(volume, routine.volume)) continue;
      if (this.onSchedule(s.start - routine.last, routine.period, routine.second)) continue;
      routine.strays++;
      if (routine.strays * FIRINGS_PER_STRAY > routine.firings) this.routines.splice(r, 1);
    }
    // A new routine: `routineMinFirings` firings of the device's own timer, of similar size, each
    // one period after the one before (to within the tolerance). A timer repeats itself; a few
    // events at random times line up by chance in threes, seldom in fours. Other spans may fall
    // between the firings (a second timer of the same period a minute apart, as the NKU plug's).
    const first = Math.max(0, last - c.routineMemorySpans);
    for (let j = last - 1; j >= first; j--) {
      const b = spans[j];
      const period = s.start - b.start;
      if (period > c.routineMaxPeriodSeconds + this.routineTolerance(c.routineMaxPeriodSeconds)) break;
      if (b.routine || period < c.routineMinPeriodSeconds || period > c.routineMaxPeriodSeconds) continue;
      if (!this.ownTimer(b) || !this.similarVolume(volume, spanBytes(b))) continue;
      const tol = this.learnTolerance(period);
      const chain = [last, j];
      for (let i = j - 1; i >= first && chain.length < c.routineMinFirings; i--) {
        const a = spans[i];
        const gap = spans[chain[chain.length - 1]].start - a.start;
        if (gap > period + tol) break;
        if (a.routine || Math.abs(gap - period) > tol || !this.ownTimer(a)) continue;
        if (!this.similarVolume(volume, spanBytes(a))) continue;
        chain.push(i);
      }
      if (chain.length < c.routineMinFirings) continue;
      // Nothing else of that size between its firings or in the LOOKBACK_PERIODS before them but
      // a second timer of the same period (two or more spans, all at one offset after the
      // firings): anything more, and the firings are a few of many events that happened to line up.
      const anchor = spans[chain[chain.length - 1]].start;
      const offsets = this.strays(spans, first, last, anchor, period, volume, chain);
      const second = this.secondTimer(offsets, period);
      if (offsets.length > 0 && second === null) continue;
      this.routines.unshift({ period, last: s.start, volume, second, firings: chain.length, strays: 0 });
      if (this.routines.length > c.routineMaxPeriods) this.routines.pop();
      for (const index of [...chain].reverse()) this.markRoutine(spans, index, period, marked);
      this.markEarlierPairs(spans, first, last, period, marked);
      return marked;
    }
    return marked;
  }

  /** Forgets every routine, as if new. */
  clear(): void {
    this.routines.length = 0;
    this.firstSpeakers = new WeakMap();
  }

  /**
   * The span may be the device's own timer: it did not start with the far end speaking out of
   * silence (a command pushed by its cloud is someone else's doing, however regular).
   */
  private ownTimer(span: BusySpan): boolean {
    return this.firstSpeakers.get(span) !== Direction.DOWN;
  }

  /** `dt` seconds after a firing, in [0, period). */
  private phaseOf(dt: number, period: number): number {
    return ((dt % period) + period) % period;
  }

  /** Whether a span `dt` seconds after a routine's latest firing is on its schedule or its second timer's. */
  private onSchedule(dt: number, period: number, second: number | null): boolean {
    const tol = this.routineTolerance(period);
    const phase = this.phaseOf(dt, period);
    if (Math.min(phase, period - phase) <= tol) return true;
    return second !== null && Math.abs(phase - second) <= tol;
  }

  /**
   * The offset of a second timer from the phases (seconds after a firing) of the other spans of a
   * candidate routine's size: their mean, when there are at least two and all lie within the
   * tolerance of it; else null (none, one stray span, or spans at random times).
   */
  private secondTimer(phases: readonly number[], period: number): number | null {
    if (phases.length < 2) return null;
    const mean = phases.reduce((a, b) => a + b, 0) / phases.length;
    const tol = this.routineTolerance(period);
    return phases.every((p) => Math.abs(p - mean) <= tol) ? mean : null;
  }

  /** How far, in seconds, a firing may be off a known routine's schedule: timers drift, and retry late. */
  private routineTolerance(period: number): number {
    return Math.max(this.config.routineToleranceMinSeconds, this.config.routinePeriodTolerance * period);
  }

  /** How far, in seconds, the firings that teach a new routine may be off its period: a timer is precise. */
  private learnTolerance(period: number): number {
    const c = this.config;
    return Math.max(
      c.routineToleranceMinSeconds,
      Math.min(c.routineLearnTolerance, c.routinePeriodTolerance) * period,
    );
  }

  /** Two span volumes (bytes) close enough to be the same exchange (a sync's payload varies a little). */
  private similarVolume(a: number, b: number): boolean {
    return Math.max(a, b) <= this.config.routineVolumeRatio * Math.max(1, Math.min(a, b));
  }

  /**
   * A routine of `period` was just learned: the same timer (or a second one of the same period)
   * was already at work among the remembered spans before it was recognised, so every earlier
   * pair of non-routine spans of similar size one period apart is routine too.
   */
  private markEarlierPairs(
    spans: readonly BusySpan[],
    first: number,
    last: number,
    period: number,
    marked: number[],
  ): void {
    const tol = this.learnTolerance(period);
    for (let b = last - 1; b > first; b--) {
      const later = spans[b];
      if (later.routine || !this.ownTimer(later)) continue;
      for (let a = b - 1; a >= first; a--) {
        const earlier = spans[a];
        const gap = later.start - earlier.start;
        if (gap > period + tol) break;
        if (earlier.routine || Math.abs(gap - period) > tol || !this.ownTimer(earlier)) continue;
        if (!this.similarVolume(spanBytes(earlier), spanBytes(later))) continue;
        // the pair, too, must be all there is of its size around it
        if (this.strays(spans, first, b, earlier.start, period, spanBytes(later), [a, b]).length > 0)
          continue;
        this.markRoutine(spans, a, period, marked);
        this.markRoutine(spans, b, period, marked);
        break;
      }
    }
  }

  /**
   * The phases (seconds after a firing, in [0, period)) of the spans that a timer of `period`
   * firing at `anchor` and of `volume` bytes does not explain: spans of `spans[first … upTo]`
   * from LOOKBACK_PERIODS periods before `anchor` on, of a similar size, the device's own doing,
   * not in `members`, not yet routine and off the timer's schedule.
   */
  private strays(
    spans: readonly BusySpan[],
    first: number,
    upTo: number,
    anchor: number,
    period: number,
    volume: number,
    members: readonly number[],
  ): number[] {
    const tol = this.learnTolerance(period);
    const from = anchor - LOOKBACK_PERIODS * period;
    const phases: number[] = [];
    for (let i = first; i <= upTo; i++) {
      const o = spans[i];
      if (members.includes(i) || o.routine || o.start < from || !this.ownTimer(o)) continue;
      if (!this.similarVolume(volume, spanBytes(o))) continue;
      const phase = this.phaseOf(o.start - anchor, period);
      if (Math.min(phase, period - phase) > tol) phases.push(phase);
    }
    return phases;
  }

  /** Marks span `index` part of a routine of `period` and notes it in `marked` (once). */
  private markRoutine(spans: readonly BusySpan[], index: number, period: number, marked: number[]): void {
    const span = spans[index];
    if (span.routine) return;
    span.routine = true;
    span.routinePeriod = period;
    marked.push(index);
  }
}
