/**
 * How well one activity timeline matches another (truth vs what an observer infers) at a fixed
 * resolution: the observer's "activity exposure" for a device.
 *
 * Both timelines are sampled on the grid floor(t / resolution): a grid bin is busy when any busy
 * segment overlaps it, otherwise it takes the state of the segment holding its midpoint. Bins the
 * truth timeline does not cover are not scored; bins the inferred timeline does not cover count
 * as asleep (the observer saw nothing of the device there).
 */
import { ACTIVITY_STATES, type ActivityState } from './activity-config.ts';
import type { ActivityTimeline } from './activity-timeline.ts';

/** State code of a grid bin no segment covers. */
export const UNCOVERED = 255;
const ASLEEP = 0;
const BUSY = 2;

export interface BinaryScore {
  tp: number;
  fp: number;
  fn: number;
  tn: number;
  /** tp / (tp + fp); 1 when nothing was flagged. */
  precision: number;
  /** tp / (tp + fn); 1 when there was nothing to find. */
  recall: number;
  /** Harmonic mean of precision and recall (0 when both are 0). */
  f1: number;
}

export interface StateAgreement {
  /** Scored bins the truth has in this state, the inferred timeline has in it, and both. */
  truthBins: number;
  inferredBins: number;
  bothBins: number;
  /** bothBins / truthBins (1 when truthBins is 0). */
  recall: number;
  /** bothBins / inferredBins (1 when inferredBins is 0). */
  precision: number;
}

export interface TimelineAgreement {
  resolution: number;
  /** Scored grid bins (covered by the truth). */
  bins: number;
  /** Fraction of scored bins in the same state on both sides (1 when no bins). */
  agreement: number;
  perState: Record<ActivityState, StateAgreement>;
  /** confusion[truth][inferred] in ACTIVITY_STATES order. */
  confusion: number[][];
  /** Busy as the positive class. */
  busy: BinaryScore;
}

/** A stretch of time the capture covers, [start, end) seconds. */
export interface CoveredTime {
  start: number;
  end: number;
}

export interface AgreementOptions {
  /** Grid width in seconds; default 10. */
  resolution?: number;
  /**
   * The time the capture covers; bins outside it (gaps between capture files) are not scored,
   * since neither timeline knows what happened there. Default: all of the truth's span.
   */
  coverage?: readonly CoveredTime[];
}

/** Precision, recall and F1 from counts (see BinaryScore for the empty cases). */
export function binaryScore(tp: number, fp: number, fn: number, tn: number): BinaryScore {
  const precision = tp + fp === 0 ? 1 : tp / (tp + fp);
  const recall = tp + fn === 0 ? 1 : tp / (tp + fn);
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { tp, fp, fn, tn, precision, recall, f1 };
}

/**
 * State codes (index in ACTIVITY_STATES, or UNCOVERED) of the grid bins from floor(start /
 * resolution) for `count` bins.
 */
export function statesOnGrid(
  timeline: ActivityTimeline,
  firstBin: number,
  count: number,
  resolution: number,
): Uint8Array {
  const states = new Uint8Array(count).fill(UNCOVERED);
  for (const seg of timeline.segments) {
    if (seg.end <= seg.start) continue;
    const code = ACTIVITY_STATES.indexOf(seg.state);
    const from = Math.max(0, Math.floor(seg.start / resolution) - firstBin);
    const to = Math.min(count, Math.ceil(seg.end / resolution) - firstBin);
    for (let i = from; i < to; i++) {
      if (code === BUSY) {
        states[i] = BUSY;
      } else if (states[i] !== BUSY) {
        const mid = (firstBin + i + 0.5) * resolution;
        if (mid >= seg.start && mid < seg.end) states[i] = code;
      }
    }
  }
  return states;
}

/** Per-state agreement and busy precision / recall / F1 of `inferred` against `truth`. */
export function timelineAgreement(
  truth: ActivityTimeline,
  inferred: ActivityTimeline,
  options: AgreementOptions = {},
): TimelineAgreement {
  const resolution = options.resolution ?? 10;
  if (!(resolution > 0)) throw new RangeError('timelineAgreement: resolution must be > 0');
  const firstBin = Math.floor(truth.start / resolution);
  const count = Math.max(0, Math.ceil(truth.end / resolution) - firstBin);
  const t = statesOnGrid(truth, firstBin, count, resolution);
  const p = statesOnGrid(inferred, firstBin, count, resolution);
  const coverage = options.coverage;
  if (coverage !== undefined) {
    for (let i = 0; i < count; i++) {
      const mid = (firstBin + i + 0.5) * resolution;
      if (!coverage.some((c) => mid >= c.start && mid < c.end)) t[i] = UNCOVERED;
    }
  }
  const confusion = ACTIVITY_STATES.map(() => ACTIVITY_STATES.map(() => 0));
  let bins = 0;
  let agreeing = 0;
  for (let i = 0; i < count; i++) {
    if (t[i] === UNCOVERED) continue;
    const inferredState = p[i] === UNCOVERED ? ASLEEP : p[i];
    confusion[t[i]][inferredState]++;
    bins++;
    if (t[i] === inferredState) agreeing++;
  }
  const perState = {} as Record<ActivityState, StateAgreement>;
  ACTIVITY_STATES.forEach((state, s) => {
    const truthBins = confusion[s].reduce((a, b) => a + b, 0);
    const inferredBins = confusion.reduce((a, row) => a + row[s], 0);
    const bothBins = confusion[s][s];
    perState[state] = {
      truthBins,
      inferredBins,
      bothBins,
      recall: truthBins === 0 ? 1 : bothBins / truthBins,
      precision: inferredBins === 0 ? 1 : bothBins / inferredBins,
    };
  });
  const tp = confusion[BUSY][BUSY];
  const fn = perState.busy.truthBins - tp;
  const fp = perState.busy.inferredBins - tp;
  return {
    resolution,
    bins,
    agreement: bins === 0 ? 1 : agreeing / bins,
    perState,
    confusion,
    busy: binaryScore(tp, fp, fn, bins - tp - fn - fp),
  };
}
