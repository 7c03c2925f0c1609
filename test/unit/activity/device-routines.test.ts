import { describe, expect, it } from 'vitest';
import { activityConfig, type ActivityConfig } from '../../../src-main/activity/activity-config.ts';
import type { BusySpan } from '../../../src-main/activity/activity-timeline.ts';
import { DeviceRoutines } from '../../../src-main/activity/device-routines.ts';
import type { FirstDirection } from '../../../src-main/activity/rate-bin.ts';
import { Direction } from '../../../src-main/views/view-packet.ts';

const T0 = 1_700_000_000;

/** A busy span of `bytes` (uploaded) starting at T0 + `offset`. */
function span(offset: number, bytes = 5000): BusySpan {
  const start = T0 + offset;
  return {
    start,
    end: start + 4,
    duration: 4,
    packets: 20,
    bytesUp: bytes,
    bytesDown: 0,
    bytesLocal: 0,
    peakBytesPerSecond: bytes / 10,
    peakPacketsPerSecond: 2,
    unusualPackets: 0,
    description: '',
    routine: false,
    routinePeriod: null,
    binStart: start - (start % 10),
    binEnd: start - (start % 10) + 10,
  };
}

/**
 * Ends the spans one after the other, as a tracker does, each with who spoke first in it; returns
 * the spans and what each `recognize` call marked.
 */
function endSpans(
  routines: DeviceRoutines,
  ended: { offset: number; bytes?: number; speaker?: FirstDirection }[],
): { spans: BusySpan[]; marked: number[][] } {
  const spans: BusySpan[] = [];
  const marked: number[][] = [];
  for (const e of ended) {
    spans.push(span(e.offset, e.bytes));
    marked.push(routines.recognize(spans, e.speaker ?? Direction.UP));
  }
  return { spans, marked };
}

const routinesWith = (overrides: Partial<ActivityConfig> = {}): DeviceRoutines =>
  new DeviceRoutines(activityConfig(overrides));

describe('DeviceRoutines', () => {
  it('takes three evenly spaced spans of similar size from the device speaking first for a routine', () => {
    const routines = routinesWith();
    const { spans, marked } = endSpans(routines, [
      { offset: 0, bytes: 5000 },
      { offset: 300, bytes: 6000 },
      { offset: 601, bytes: 4500 },
    ]);
    expect(marked).toEqual([[], [], [0, 1, 2]]);
    expect(spans.map((s) => s.routine)).toEqual([true, true, true]);
    expect(spans.map((s) => s.routinePeriod)).toEqual([301, 301, 301]);
    expect(routines.periods).toEqual([301]);
  });

  it('counts a span whose first speaker is unknown as the device’s own timer', () => {
    const { marked } = endSpans(routinesWith(), [
      { offset: 0, speaker: -1 },
      { offset: 300, speaker: -1 },
      { offset: 600, speaker: -1 },
    ]);
    expect(marked[2]).toEqual([0, 1, 2]);
  });

  it.each([0, 1, 2])('never takes spans pushed by the cloud for a routine (span %i pushed)', (pushed) => {
    const routines = routinesWith();
    const { spans, marked } = endSpans(
      routines,
      [0, 300, 600].map((offset, i) => ({
        offset,
        speaker: i === pushed ? Direction.DOWN : Direction.UP,
      })),
    );
    expect(marked).toEqual([[], [], []]);
    expect(spans.some((s) => s.routine)).toBe(false);
    expect(routines.periods).toEqual([]);
  });

  it('does not take spans of dissimilar volume for a routine', () => {
    const { spans, marked } = endSpans(routinesWith(), [
      { offset: 0, bytes: 5000 },
      { offset: 300, bytes: 5000 },
      { offset: 600, bytes: 10_001 }, // more than 2 × the smallest
    ]);
    expect(marked).toEqual([[], [], []]);
    expect(spans.some((s) => s.routine)).toBe(false);
  });

  it('learns a routine only from firings within 1 % of the period of each other, at least 10 s', () => {
    // period 1500: learning tolerance max(10, 15) = 15 s
    const at = (third: number): number[] =>
      endSpans(routinesWith(), [{ offset: 0 }, { offset: 1500 }, { offset: third }]).marked[2];
    expect(at(3015)).toEqual([0, 1, 2]);
    expect(at(3016)).toEqual([]);
    // period 300: the 10-s least tolerance holds (1 % would be 3 s)
    expect(endSpans(routinesWith(), [{ offset: 0 }, { offset: 300 }, { offset: 610 }]).marked[2]).toEqual([
      0, 1, 2,
    ]);
    expect(endSpans(routinesWith(), [{ offset: 0 }, { offset: 300 }, { offset: 611 }]).marked[2]).toEqual([]);
  });

  it('keeps a known routine through firings up to 5 % off its schedule (late retries)', () => {
    // period 1500: a firing 70 s late (under 75 s) is still the routine's
    const { marked } = endSpans(routinesWith(), [
      { offset: 0 },
      { offset: 1500 },
      { offset: 3000 },
      { offset: 4570 },
    ]);
    expect(marked[3]).toEqual([3]);
  });

  it('only knows periods from 2 min to 6 h', () => {
    expect(endSpans(routinesWith(), [{ offset: 0 }, { offset: 100 }, { offset: 200 }]).marked[2]).toEqual([]);
    const day = 7 * 3600;
    expect(endSpans(routinesWith(), [{ offset: 0 }, { offset: day }, { offset: 2 * day }]).marked[2]).toEqual(
      [],
    );
  });

  it('marks a later span due on a known routine’s schedule, one missed firing included, not more', () => {
    const routines = routinesWith();
    const { spans, marked } = endSpans(routines, [
      { offset: 0 },
      { offset: 300 },
      { offset: 600 },
      { offset: 905 }, // due
      { offset: 1502 }, // two periods on, one firing missed
      { offset: 2702 }, // four periods on: as likely an event landing on a multiple of the period
    ]);
    expect(marked.slice(3)).toEqual([[3], [4], []]);
    expect(spans[4].routinePeriod).toBe(300);
    expect(spans[5].routine).toBe(false);
  });

  it('forgets a routine once a span of its size comes off its schedule: the firings were events', () => {
    const routines = routinesWith();
    const { spans, marked } = endSpans(routines, [
      { offset: 0 },
      { offset: 300 },
      { offset: 600 },
      { offset: 1000 }, // off schedule, of the routine's size
      { offset: 1200 }, // due, but the routine is gone
    ]);
    expect(marked.slice(3)).toEqual([[], []]);
    expect(spans[4].routine).toBe(false);
    expect(routines.periods).toEqual([]);
  });

  it('keeps a timer seen firing for a while through one stray span of its size', () => {
    const routines = routinesWith();
    const firings = [0, 300, 600, 900, 1200, 1500, 1800, 2100].map((offset) => ({ offset }));
    const { marked } = endSpans(routines, [...firings, { offset: 2250 }, { offset: 2400 }]);
    expect(marked[8]).toEqual([]); // the stray is an event
    expect(marked[9]).toEqual([9]); // the timer goes on
    expect(routines.periods).toEqual([300]);
  });

  it('keeps a routine when a span of another size comes off its schedule', () => {
    const { marked } = endSpans(routinesWith(), [
      { offset: 0 },
      { offset: 300 },
      { offset: 600 },
      { offset: 1000, bytes: 50_000 },
      { offset: 1200 },
    ]);
    expect(marked[4]).toEqual([4]);
  });

  it('takes no evenly spaced triple for a timer when a span of its size came shortly before', () => {
    // uploads at random times: 1000, 1300, 1600 line up, but one came at 820 (off their grid,
    // within two periods before): a timer does nothing of its size off its schedule
    const { spans } = endSpans(routinesWith(), [
      { offset: 820 },
      { offset: 1000 },
      { offset: 1300 },
      { offset: 1600 },
    ]);
    expect(spans.filter((x) => x.routine)).toEqual([]);
    // the same triple alone is a timer
    const alone = endSpans(routinesWith(), [{ offset: 1000 }, { offset: 1300 }, { offset: 1600 }]);
    expect(alone.spans.every((x) => x.routine)).toBe(true);
  });

  it('takes no triple of similar spans for a timer when other spans of that size lie between them', () => {
    // uploads at irregular times; 0, 300, 600 and 250, 420, 600 line up, with others between
    const { spans } = endSpans(routinesWith(), [
      { offset: 0 },
      { offset: 250 },
      { offset: 300 },
      { offset: 420 },
      { offset: 460 },
      { offset: 500 },
      { offset: 600 },
    ]);
    expect(spans.filter((x) => x.routine)).toEqual([]);
  });

  it('does not mark a span pushed by the cloud even when it is due on a known routine', () => {
    const { marked } = endSpans(routinesWith(), [
      { offset: 0 },
      { offset: 300 },
      { offset: 600 },
      { offset: 900, speaker: Direction.DOWN },
    ]);
    expect(marked[3]).toEqual([]);
  });

  it('marks earlier pairs one period apart once a routine is learned (a second timer)', () => {
    // two 5-minute timers a minute apart: 0, 300, 600 and 60, 360
    const { spans, marked } = endSpans(routinesWith(), [
      { offset: 0 },
      { offset: 60 },
      { offset: 300 },
      { offset: 360 },
      { offset: 600 },
    ]);
    expect(marked).toEqual([[], [], [], [], [0, 2, 4, 1, 3]]);
    expect(spans.every((s) => s.routine && s.routinePeriod === 300)).toBe(true);
  });

  it('forgets a routine not seen for 8 periods', () => {
    const base = [{ offset: 0 }, { offset: 300 }, { offset: 600 }];
    const routines = routinesWith();
    const { marked } = endSpans(routines, [...base, { offset: 600 + 9 * 300 }]);
    expect(marked[3]).toEqual([]);
    expect(routines.periods).toEqual([]);
  });

  it('recognises nothing when routines are off, and nothing after clear', () => {
    const off = endSpans(routinesWith({ routinePeriodTolerance: 0 }), [
      { offset: 0 },
      { offset: 300 },
      { offset: 600 },
    ]);
    expect(off.marked).toEqual([[], [], []]);

    const routines = routinesWith();
    endSpans(routines, [{ offset: 0 }, { offset: 300 }, { offset: 600 }]);
    expect(routines.periods).toEqual([300]);
    routines.clear();
    expect(routines.periods).toEqual([]);
    // a single span due on the forgotten schedule is no routine any more
    expect(endSpans(routines, [{ offset: 900 }]).marked).toEqual([[]]);
  });
});
