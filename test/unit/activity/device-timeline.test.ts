import { describe, expect, it } from 'vitest';
import type { BusySpan } from '../../../src-main/activity/activity-timeline.ts';
import { DeviceTimeline } from '../../../src-main/activity/device-timeline.ts';

/** A busy span whose segment is [binStart, binEnd). */
function span(binStart: number, binEnd: number): BusySpan {
  return {
    start: binStart + 1,
    end: binEnd - 1,
    duration: binEnd - binStart - 2,
    packets: 30,
    bytesUp: 9000,
    bytesDown: 0,
    bytesLocal: 0,
    peakBytesPerSecond: 900,
    peakPacketsPerSecond: 3,
    unusualPackets: 0,
    description: '',
    routine: true,
    routinePeriod: 300,
    binStart,
    binEnd,
  };
}

describe('DeviceTimeline', () => {
  it('writes contiguous segments and cuts the open one where a live timeline ends', () => {
    const t = new DeviceTimeline(100, 100);
    t.begin(0);
    t.switchTo('idle', 100);
    t.switchTo('idle', 150); // no change of state, no new segment
    t.switchTo('busy', 200);
    t.switchTo('idle', 300);
    expect(t.snapshot(400).segments).toEqual([
      { state: 'asleep', start: 0, end: 100 },
      { state: 'idle', start: 100, end: 200 },
      { state: 'busy', start: 200, end: 300 },
      { state: 'idle', start: 300, end: 400 },
    ]);
    expect(t.snapshot(null).segments).toHaveLength(3);
    expect([t.openState, t.openStart]).toEqual(['idle', 300]);
    t.close(450);
    const done = t.snapshot(null);
    expect(done.segments.at(-1)).toEqual({ state: 'idle', start: 300, end: 450 });
    expect([done.start, done.end]).toEqual([0, 450]);
  });

  it('joins a segment replaced before it lasted with the one before it', () => {
    const t = new DeviceTimeline(100, 100);
    t.begin(0);
    t.switchTo('idle', 100);
    t.switchTo('busy', 200);
    t.switchTo('idle', 200);
    expect(t.snapshot(300).segments).toEqual([
      { state: 'asleep', start: 0, end: 100 },
      { state: 'idle', start: 100, end: 300 },
    ]);
  });

  it('gives a routine span’s segment the quiet state before it and joins it with its neighbours', () => {
    const t = new DeviceTimeline(100, 100);
    t.begin(0);
    t.switchTo('idle', 100);
    t.switchTo('busy', 200);
    t.switchTo('idle', 300);
    const routine = span(200, 300);
    t.addSpan(routine);
    const before = t.snapshot(400);
    t.quietRoutineSpan(routine);
    expect(t.snapshot(400).segments).toEqual([
      { state: 'asleep', start: 0, end: 100 },
      { state: 'idle', start: 100, end: 400 },
    ]);
    expect(t.openStart).toBe(100);
    // a timeline handed out earlier stays as it was
    expect(before.segments.map((s) => s.state)).toEqual(['asleep', 'idle', 'busy', 'idle']);
  });

  it('prefers the state before a routine span, else the one after it', () => {
    const t = new DeviceTimeline(100, 100);
    t.begin(0);
    t.switchTo('busy', 100);
    t.switchTo('idle', 200);
    t.quietRoutineSpan(span(100, 200));
    expect(t.snapshot(300).segments.map((s) => [s.state, s.start, s.end])).toEqual([
      ['asleep', 0, 200],
      ['idle', 200, 300],
    ]);

    const first = new DeviceTimeline(100, 100);
    first.begin(0);
    first.switchTo('busy', 0);
    first.switchTo('idle', 100);
    first.quietRoutineSpan(span(0, 100));
    expect(first.snapshot(200).segments).toEqual([{ state: 'idle', start: 0, end: 200 }]);
  });

  it('leaves the timeline alone when the routine span’s segment was dropped already', () => {
    const t = new DeviceTimeline(2, 100);
    t.begin(0);
    t.switchTo('busy', 100);
    t.switchTo('idle', 200);
    t.switchTo('asleep', 300);
    t.switchTo('idle', 400);
    const kept = t.snapshot(null);
    expect(kept.segments.map((s) => s.start)).toEqual([200, 300]);
    expect(kept.droppedSegments).toBe(2);
    t.quietRoutineSpan(span(100, 200));
    expect(t.snapshot(null)).toEqual(kept);
  });

  it('keeps at most maxSpans spans, dropping and counting the oldest', () => {
    const t = new DeviceTimeline(100, 2);
    for (let i = 0; i < 5; i++) t.addSpan(span(i * 100, i * 100 + 10));
    expect(t.spans.map((s) => s.binStart)).toEqual([300, 400]);
    expect(t.snapshot(null).droppedSpans).toBe(3);
    t.clear();
    expect(t.snapshot(null)).toEqual({
      start: 0,
      end: 0,
      segments: [],
      spans: [],
      droppedSegments: 0,
      droppedSpans: 0,
    });
  });
});
