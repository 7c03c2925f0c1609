import { describe, expect, it } from 'vitest';
import type { ActivityTimeline, StateSegment } from '../../../src-main/activity/activity-timeline.ts';
import {
  binaryScore,
  statesOnGrid,
  timelineAgreement,
  UNCOVERED,
} from '../../../src-main/activity/timeline-agreement.ts';

function timeline(segments: StateSegment[]): ActivityTimeline {
  return {
    start: segments[0].start,
    end: segments[segments.length - 1].end,
    segments,
    spans: [],
    droppedSegments: 0,
    droppedSpans: 0,
  };
}

describe('timelineAgreement', () => {
  const truth = timeline([
    { state: 'asleep', start: 0, end: 100 },
    { state: 'idle', start: 100, end: 300 },
    { state: 'busy', start: 300, end: 400 },
    { state: 'idle', start: 400, end: 600 },
  ]);

  it('agrees fully with itself', () => {
    const a = timelineAgreement(truth, truth, { resolution: 10 });
    expect(a.bins).toBe(60);
    expect(a.agreement).toBe(1);
    expect(a.busy).toMatchObject({ tp: 10, fp: 0, fn: 0, precision: 1, recall: 1, f1: 1 });
    expect(a.perState.idle).toMatchObject({ truthBins: 40, inferredBins: 40, bothBins: 40 });
  });

  it('scores a late, short busy guess and an uncovered stretch', () => {
    const inferred = timeline([
      { state: 'idle', start: 100, end: 350 },
      { state: 'busy', start: 350, end: 450 },
      { state: 'idle', start: 450, end: 500 },
    ]);
    const a = timelineAgreement(truth, inferred);
    expect(a.busy).toMatchObject({ tp: 5, fp: 5, fn: 5 });
    expect(a.busy.f1).toBeCloseTo(0.5, 10);
    // 0–100 and 500–600 are not covered by the inference: asleep there.
    expect(a.confusion[0][0]).toBe(10);
    expect(a.confusion[1][0]).toBe(10);
    expect(a.perState.asleep.recall).toBe(1);
    expect(a.perState.idle).toMatchObject({ truthBins: 40, bothBins: 25 });
    expect(a.agreement).toBeCloseTo((10 + 25 + 5) / 60, 10);
  });

  it('scores only the time the capture covers', () => {
    // the observer sees nothing (all asleep); the truth's first 100 s are asleep too
    const empty = timeline([{ state: 'asleep', start: 0, end: 600 }]);
    const whole = timelineAgreement(truth, empty, { resolution: 10 });
    expect(whole.bins).toBe(60);
    expect(whole.agreement).toBeCloseTo(10 / 60, 10);
    // a capture gap over the asleep stretch leaves only bins where the observer is wrong
    const covered = timelineAgreement(truth, empty, { resolution: 10, coverage: [{ start: 100, end: 600 }] });
    expect(covered.bins).toBe(50);
    expect(covered.agreement).toBe(0);
  });

  it('marks a grid bin busy when a busy segment only touches part of it', () => {
    const t = timeline([
      { state: 'idle', start: 0, end: 12 },
      { state: 'busy', start: 12, end: 14 },
      { state: 'idle', start: 14, end: 30 },
    ]);
    expect([...statesOnGrid(t, 0, 4, 10)]).toEqual([1, 2, 1, UNCOVERED]);
  });

  it('defines scores for empty classes', () => {
    expect(binaryScore(0, 0, 0, 10)).toMatchObject({ precision: 1, recall: 1, f1: 1 });
    expect(binaryScore(0, 3, 0, 10)).toMatchObject({ precision: 0, recall: 1, f1: 0 });
  });
});
