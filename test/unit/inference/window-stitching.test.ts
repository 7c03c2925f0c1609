import { describe, expect, it } from 'vitest';
import {
  defaultStride,
  labelRuns,
  runLengthsOf,
  StreamingLabeler,
  UNKNOWN_LABEL,
  windowStarts,
  type PacketLabels,
} from '../../../src-main/inference/window-stitching.ts';
import { FAKE_CLASSES, FAKE_FEATURES, FakeScorer, fakeRows, referenceMeans } from './fake-scorer.ts';

function expectMeans(result: PacketLabels, expected: number[][]): void {
  const probs = result.probabilities!;
  expect(probs.length).toBe(expected.length * FAKE_CLASSES);
  expected.forEach((row, i) => {
    row.forEach((v, k) => {
      expect(probs[i * FAKE_CLASSES + k]).toBeCloseTo(v, 6);
    });
    const best = row.indexOf(Math.max(...row));
    expect(result.bestIndex[i]).toBe(best);
    expect(result.confidence[i]).toBeCloseTo(row[best], 6);
  });
}

describe('windowStarts', () => {
  it('steps by the stride while start + W < n, then adds max(0, n - W)', () => {
    expect(windowStarts(10, 4, 2)).toEqual([0, 2, 4, 6]);
    expect(windowStarts(11, 4, 2)).toEqual([0, 2, 4, 6, 7]);
    expect(windowStarts(4, 4, 2)).toEqual([0]);
    expect(windowStarts(3, 4, 2)).toEqual([0]);
    expect(windowStarts(5, 4, 2)).toEqual([0, 1]);
    expect(windowStarts(0, 4, 2)).toEqual([]);
    expect(windowStarts(3, 1, 1)).toEqual([0, 1, 2]);
  });

  it('covers every packet of a run for all small n, W, S', () => {
    for (let w = 1; w <= 7; w++) {
      for (let s = 1; s <= w; s++) {
        for (let n = 1; n <= 30; n++) {
          const covered = new Array<number>(n).fill(0);
          for (const st of windowStarts(n, w, s)) for (let i = st; i < Math.min(n, st + w); i++) covered[i]++;
          expect(covered.every((c) => c > 0)).toBe(true);
        }
      }
    }
  });

  it('defaults the stride to half the window', () => {
    expect(defaultStride(100)).toBe(50);
    expect(defaultStride(5)).toBe(2);
    expect(defaultStride(1)).toBe(1);
  });
});

describe('runLengthsOf', () => {
  it('cuts maximal stretches of equal keys', () => {
    const seg = [0, 0, 1, 1, 1, 0, 2];
    expect(runLengthsOf(seg.length, (a, b) => seg[a] === seg[b])).toEqual([2, 3, 1, 1]);
    expect(runLengthsOf(0, () => true)).toEqual([]);
  });
});

describe('labelRuns', () => {
  it('gives each packet the mean of the windows covering it', async () => {
    const runs = [23];
    const scorer = new FakeScorer(6);
    const result = await labelRuns(scorer, fakeRows(runs), 23, runs, { stride: 3, keepProbabilities: true });
    expectMeans(result, referenceMeans(runs, 6, 3));
    // Packet 4 lies in the windows at 0 and 3 (their vectors differ), so its mean is neither.
    expect(scorer.windows.filter((w) => w.ids.includes(4)).length).toBe(2);
  });

  it('pads a run shorter than the window with zeros and ignores the padding', async () => {
    const runs = [3];
    const scorer = new FakeScorer(8);
    const result = await labelRuns(scorer, fakeRows(runs), 3, runs, { keepProbabilities: true });
    expect(scorer.windows).toEqual([{ ids: [0, 1, 2], runs: [1, 1, 1], padded: 5 }]);
    expectMeans(result, referenceMeans(runs, 8, 4));
    expect(Array.from(result.probabilities!).every(Number.isFinite)).toBe(true);
  });

  it('never lets a window cross a run boundary', async () => {
    const runs = [5, 1, 17, 8, 2, 9];
    const n = runs.reduce((a, b) => a + b, 0);
    const scorer = new FakeScorer(8);
    const result = await labelRuns(scorer, fakeRows(runs), n, runs, {
      keepProbabilities: true,
      batchWindows: 3,
    });
    for (const w of scorer.windows) expect(new Set(w.runs).size).toBe(1);
    expectMeans(result, referenceMeans(runs, 8, 4));
    // Every packet was scored at least once, the whole run set in batches of 3 windows.
    const seen = new Set(scorer.windows.flatMap((w) => w.ids));
    expect(seen.size).toBe(n);
    expect(scorer.calls).toBe(Math.ceil(scorer.windows.length / 3));
  });

  it('scores per-packet models (W = 1) once per packet', async () => {
    const runs = [4, 3];
    const scorer = new FakeScorer(1);
    const result = await labelRuns(scorer, fakeRows(runs), 7, runs, { keepProbabilities: true });
    expect(scorer.windows.flatMap((w) => w.ids)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expectMeans(result, referenceMeans(runs, 1, 1));
  });

  it('calls packets below the confidence threshold unknown, keeping the argmax', async () => {
    const runs = [12];
    const result = await labelRuns(new FakeScorer(4), fakeRows(runs), 12, runs, { unknownThreshold: 0.55 });
    let unknown = 0;
    for (let i = 0; i < 12; i++) {
      if (result.confidence[i] < 0.55) {
        expect(result.labelIndex[i]).toBe(UNKNOWN_LABEL);
        unknown++;
      } else {
        expect(result.labelIndex[i]).toBe(result.bestIndex[i]);
      }
    }
    expect(unknown).toBeGreaterThan(0);
    expect(unknown).toBeLessThan(12);
  });

  it('rejects run lengths that do not sum to n and short feature buffers', async () => {
    await expect(labelRuns(new FakeScorer(4), fakeRows([5]), 5, [2, 2])).rejects.toThrow(/sum to 5/);
    await expect(labelRuns(new FakeScorer(4), new Float32Array(3), 5)).rejects.toThrow(/floats/);
  });
});

describe('StreamingLabeler', () => {
  async function stream(
    window: number,
    runs: number[],
    chunk: number,
  ): Promise<{ labels: PacketLabels; delays: number[] }> {
    const scorer = new FakeScorer(window);
    const labeler = new StreamingLabeler(scorer, { keepProbabilities: true });
    const rows = fakeRows(runs);
    const n = runs.reduce((a, b) => a + b, 0);
    const probabilities = new Float32Array(n * FAKE_CLASSES);
    const bestIndex = new Int32Array(n);
    const confidence = new Float32Array(n);
    const delays: number[] = [];
    let pushed = 0;
    const take = (out: Awaited<ReturnType<StreamingLabeler['push']>>): void => {
      expect(out.first).toBe(labeler.nextPacket - out.labelIndex.length);
      probabilities.set(out.probabilities!, out.first * FAKE_CLASSES);
      bestIndex.set(out.bestIndex, out.first);
      confidence.set(out.confidence, out.first);
    };
    let offset = 0;
    for (const len of runs) {
      for (let i = 0; i < len; i += chunk) {
        const count = Math.min(chunk, len - i);
        const from = (offset + i) * FAKE_FEATURES;
        take(await labeler.push(rows.slice(from, from + count * FAKE_FEATURES), count));
        pushed += count;
        delays.push(pushed - labeler.nextPacket);
      }
      take(await labeler.endRun());
      expect(labeler.nextPacket).toBe(offset + len);
      offset += len;
    }
    return { labels: { labelIndex: bestIndex, bestIndex, confidence, probabilities }, delays };
  }

  it('emits exactly what labelRuns gives, at most one window behind', async () => {
    for (const [window, chunk] of [
      [8, 1],
      [8, 5],
      [6, 13],
      [1, 3],
    ] as const) {
      const runs = [3, 40, 8, 1, 19];
      const { labels, delays } = await stream(window, runs, chunk);
      expectMeans(labels, referenceMeans(runs, window, defaultStride(window)));
      expect(Math.max(...delays)).toBeLessThanOrEqual(window + chunk);
    }
  });

  it('keeps memory bounded on a long run', async () => {
    const scorer = new FakeScorer(8);
    const labeler = new StreamingLabeler(scorer);
    const rows = fakeRows([5000]);
    let emitted = 0;
    for (let i = 0; i < 5000; i += 10) {
      const out = await labeler.push(rows.slice(i * FAKE_FEATURES, (i + 10) * FAKE_FEATURES), 10);
      emitted += out.labelIndex.length;
    }
    emitted += (await labeler.endRun()).labelIndex.length;
    expect(emitted).toBe(5000);
    // internal buffers never grew past their initial capacity (4 W + 64 rows)
    expect((labeler as unknown as { counts: Uint16Array }).counts.length).toBe(4 * 8 + 64);
  });
});
