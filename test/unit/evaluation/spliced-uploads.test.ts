/**
 * The spliced-upload test's rules: upload bursts by a rule that knows nothing of the detector, the
 * splice schedule (irregular, clear of natural bursts and coverage edges, repeatable) and the
 * scoring of a timeline's spans against the inserted uploads.
 */
import { describe, expect, it } from 'vitest';
import { busySpan as span } from '../activity/synthetic-traffic.ts';
import {
  INSERT_GAP_SECONDS,
  INSERT_MARGIN_SECONDS,
  mergeIntervals,
  scoreSplicedTimeline,
  spliceSchedule,
  uploadBursts,
  type BinBytes,
} from '../../../src-main/evaluation/spliced-uploads.ts';

/** 10-s bins from [bin, up bytes, total bytes] triples. */
function bins(cells: [number, number, number][]): Map<number, BinBytes> {
  return new Map(cells.map(([b, up, total]) => [b, { up, total }]));
}

describe('uploadBursts', () => {
  it('finds an upload after quiet, and ends it after a quiet minute', () => {
    const b = bins([
      [100, 200, 400], // keep-alive
      [130, 15_000, 16_000],
      [131, 10_000, 11_000],
      [132, 0, 2_000], // the download of the answer keeps it going
      [140, 100, 200], // after a quiet minute: a new keep-alive, not the burst
    ]);
    expect(uploadBursts(b)).toEqual([{ start: 1300, end: 1330, bytesUp: 25_000 }]);
  });

  it('needs 20 kB up within 2 min, after 3 min with under 2 kB up', () => {
    expect(uploadBursts(bins([[10, 19_999, 19_999]]))).toEqual([]);
    // 3 kB up in the 3 min before: not an onset out of quiet
    expect(
      uploadBursts(
        bins([
          [5, 3_000, 3_000],
          [20, 30_000, 30_000],
        ]),
      ),
    ).toEqual([]);
    // an onset whose upload comes 90 s later: the burst holds the upload
    const late = uploadBursts(
      bins([
        [10, 500, 500],
        [19, 25_000, 25_000],
      ]),
    );
    expect(late).toEqual([{ start: 100, end: 200, bytesUp: 25_500 }]);
  });

  it('cuts a burst at 10 min', () => {
    const cells: [number, number, number][] = [];
    for (let b = 0; b < 100; b++) cells.push([b, 30_000, 30_000]);
    const [burst] = uploadBursts(bins(cells));
    expect(burst.end - burst.start).toBe(600);
  });
});

describe('mergeIntervals', () => {
  it('joins intervals closer than a minute', () => {
    expect(
      mergeIntervals([
        { start: 100, end: 200 },
        { start: 0, end: 30 },
        { start: 230, end: 300 },
        { start: 400, end: 500 },
      ]),
    ).toEqual([
      { start: 0, end: 30 },
      { start: 100, end: 300 },
      { start: 400, end: 500 },
    ]);
  });
});

describe('spliceSchedule', () => {
  const coverage = [
    { start: 0, end: 20 * 3600 },
    { start: 30 * 3600, end: 40 * 3600 },
  ];
  const natural = [{ start: 5 * 3600, end: 5 * 3600 + 60 }];

  it('places copies at irregular gaps, clear of natural bursts, each other and coverage edges', () => {
    const s = spliceSchedule(coverage, natural, [30, 60, 90], 7);
    expect(s.length).toBeGreaterThan(20);
    for (const [i, x] of s.entries()) {
      expect(
        coverage.some(
          (c) => x.start >= c.start + INSERT_MARGIN_SECONDS && x.end <= c.end - INSERT_MARGIN_SECONDS,
        ),
      ).toBe(true);
      for (const n of natural)
        expect(x.end + INSERT_MARGIN_SECONDS <= n.start || x.start >= n.end + INSERT_MARGIN_SECONDS).toBe(
          true,
        );
      if (i > 0) expect(x.start - s[i - 1].start).toBeGreaterThanOrEqual(INSERT_GAP_SECONDS[0]);
      expect(x.end - x.start).toBe([30, 60, 90][x.donor]);
    }
    const gaps = s.slice(1).map((x, i) => x.start - s[i].start);
    expect(new Set(gaps.map((g) => Math.round(g / 60))).size).toBeGreaterThan(10); // not a timer
    expect(new Set(s.map((x) => x.donor)).size).toBe(3);
  });

  it('is the same for the same seed, and another for another seed', () => {
    expect(spliceSchedule(coverage, natural, [30], 7)).toEqual(spliceSchedule(coverage, natural, [30], 7));
    expect(spliceSchedule(coverage, natural, [30], 8)).not.toEqual(
      spliceSchedule(coverage, natural, [30], 7),
    );
  });

  it('places nothing without coverage or donors', () => {
    expect(spliceSchedule([], natural, [30])).toEqual([]);
    expect(spliceSchedule(coverage, natural, [])).toEqual([]);
  });
});

describe('scoreSplicedTimeline', () => {
  const inserted = [
    { start: 1000, end: 1030 },
    { start: 5000, end: 5030 },
    { start: 9000, end: 9030 },
  ];
  const natural = [{ start: 20_000, end: 20_030 }];

  it('counts an upload found when a busy span lies on it, give or take a minute', () => {
    const s = scoreSplicedTimeline(
      'truth',
      [span(1085, 1100), span(4990, 5040, true), span(12_000, 12_050), span(20_010, 20_020)],
      inserted,
      natural,
      10,
    );
    expect(s).toMatchObject({
      inserted: 3,
      found: 1,
      missedAsRoutine: 1,
      missedUnseen: 1,
      naturalBusy: 1,
      falseSpans: 1,
    });
    expect(s.falsePerHour).toBeCloseTo(0.1, 10);
  });

  it('does not count a span more than a minute away', () => {
    expect(scoreSplicedTimeline('napt', [span(1091, 1100)], inserted, natural, 1).found).toBe(0);
  });
});
