/**
 * The timeline of one device as the tracker writes it: closed state segments on the bin grid,
 * the open segment (its state and start), and the busy spans that ended, each list capped (the
 * oldest are dropped and counted). Segments are contiguous and neighbours differ in state.
 *
 * Segments and spans handed out by `snapshot` are never changed in place afterwards — a segment
 * is replaced, not edited — so a timeline taken earlier stays as it was; only a span's `routine`
 * and `routinePeriod` may turn true later (see device-routines.ts).
 */
import type { ActivityState } from './activity-config.ts';
import type { ActivityTimeline, BusySpan, StateSegment } from './activity-timeline.ts';

export class DeviceTimeline {
  private readonly maxSegments: number;
  private readonly maxSpans: number;
  private readonly segments: StateSegment[] = [];
  private readonly ended: BusySpan[] = [];
  private state: ActivityState = 'asleep';
  private start = 0;
  private droppedSegments = 0;
  private droppedSpans = 0;
  /** Refused connection attempts: how many, first and last (ActivityTimeline.refusals). */
  private refusals = { count: 0, first: 0, last: 0 };

  constructor(maxSegments: number, maxSpans: number) {
    this.maxSegments = maxSegments;
    this.maxSpans = maxSpans;
  }

  /** State of the open segment. */
  get openState(): ActivityState {
    return this.state;
  }

  /** Start (seconds) of the open segment. */
  get openStart(): number {
    return this.start;
  }

  /** The busy spans that ended, oldest first (at most `maxSpans`). */
  get spans(): readonly BusySpan[] {
    return this.ended;
  }

  /** Opens the first segment, asleep, at `at` (the start of the device's first bin). */
  begin(at: number): void {
    this.state = 'asleep';
    this.start = at;
  }

  /** Starts a segment of `state` at `at` (a bin edge), closing the open one. */
  switchTo(state: ActivityState, at: number): void {
    if (state === this.state) return;
    if (at < this.start) at = this.start;
    if (at > this.start) {
      this.pushSegment({ state: this.state, start: this.start, end: at });
    } else {
      // The open segment is replaced before it lasted; join the one before it if it has this state.
      const last = this.segments.length > 0 ? this.segments[this.segments.length - 1] : null;
      if (last !== null && last.state === state && last.end === at) {
        this.segments.pop();
        at = last.start;
      }
    }
    this.state = state;
    this.start = at;
  }

  /** Closes the open segment at `end` (the end of the timeline); the next one would start there. */
  close(end: number): void {
    if (end > this.start) this.pushSegment({ state: this.state, start: this.start, end });
    this.start = end;
  }

  /** Adds a span that ended. */
  addSpan(span: BusySpan): void {
    this.ended.push(span);
    if (this.ended.length > this.maxSpans) {
      const drop = this.ended.length - this.maxSpans;
      this.ended.splice(0, drop);
      this.droppedSpans += drop;
    }
  }

  /**
   * `span` turned out to be routine: its busy segment takes the quiet state around it (the one
   * before, else the one after, else idle) and is joined with neighbours of that state. Nothing
   * happens when the segment was dropped already.
   */
  quietRoutineSpan(span: BusySpan): void {
    const segs = this.segments;
    let k = segs.length - 1;
    while (k >= 0 && segs[k].start > span.binStart) k--;
    if (k < 0 || segs[k].state !== 'busy' || segs[k].start !== span.binStart) return;
    const before = k > 0 ? segs[k - 1].state : null;
    const after = k + 1 < segs.length ? segs[k + 1].state : this.state;
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
    if (k === segs.length - 1 && this.state === state && this.start === segs[k].end) {
      this.start = segs[k].start;
      segs.pop();
    }
  }

  /**
   * The timeline so far: the closed segments, then, when `cutAt` is given, the open segment cut
   * there (a live timeline runs to the start of the open bin).
   */
  snapshot(cutAt: number | null): ActivityTimeline {
    const segments = this.segments.slice();
    if (cutAt !== null && cutAt > this.start)
      segments.push({ state: this.state, start: this.start, end: cutAt });
    const start = segments.length > 0 ? segments[0].start : 0;
    const end = segments.length > 0 ? segments[segments.length - 1].end : start;
    return {
      start,
      end,
      segments,
      spans: this.ended.slice(),
      droppedSegments: this.droppedSegments,
      droppedSpans: this.droppedSpans,
      ...(this.refusals.count > 0 ? { refusals: { ...this.refusals } } : {}),
    };
  }

  /** The refused connection attempts so far (ActivityTimeline.refusals), or undefined for none. */
  get refusalsSoFar(): { count: number; first: number; last: number } | undefined {
    return this.refusals.count > 0 ? { ...this.refusals } : undefined;
  }

  /** Counts a refused connection attempt at `ts`. */
  refused(ts: number): void {
    const r = this.refusals;
    if (r.count === 0 || ts < r.first) r.first = ts;
    if (r.count === 0 || ts > r.last) r.last = ts;
    r.count++;
  }

  /** Forgets everything, as if new. */
  clear(): void {
    this.state = 'asleep';
    this.start = 0;
    this.segments.length = 0;
    this.ended.length = 0;
    this.droppedSegments = 0;
    this.droppedSpans = 0;
    this.refusals = { count: 0, first: 0, last: 0 };
  }

  private pushSegment(segment: StateSegment): void {
    this.segments.push(segment);
    if (this.segments.length > this.maxSegments) {
      const drop = this.segments.length - this.maxSegments;
      this.segments.splice(0, drop);
      this.droppedSegments += drop;
    }
  }
}
