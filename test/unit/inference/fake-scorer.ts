/**
 * A deterministic stand-in for the ONNX worker: rows carry a packet id (feature 0, id + 1 so real
 * rows are never zero) and a run id (feature 1). Each position's probabilities depend on the packet
 * and on the window's first packet, so a mean over windows differs from any single window.
 * Padded (all-zero) positions get NaN, so stitching them in would show.
 */
import type { WindowScorer } from '../../../src-main/inference/window-stitching.ts';

export const FAKE_FEATURES = 2;
export const FAKE_CLASSES = 3;

/** The fake's probability vector for packet `id` in a window whose first packet is `first`. */
export function fakeProbabilities(id: number, first: number): number[] {
  const a = (((id * 7 + first * 3) % 10) + 1) / 12;
  const b = ((id % 3) + 1) / 12;
  return [a, b, 1 - a - b];
}

export class FakeScorer implements WindowScorer {
  readonly featureCount = FAKE_FEATURES;
  readonly classCount = FAKE_CLASSES;
  /** Every window scored: the packet ids it held (padding left out) and its run ids. */
  readonly windows: { ids: number[]; runs: number[]; padded: number }[] = [];
  calls = 0;

  constructor(readonly window: number) {}

  score(batch: Float32Array, count: number): Promise<Float32Array> {
    this.calls++;
    const { window: w } = this;
    const out = new Float32Array(count * w * FAKE_CLASSES);
    for (let j = 0; j < count; j++) {
      const ids: number[] = [];
      const runs: number[] = [];
      let padded = 0;
      const firstId = batch[j * w * FAKE_FEATURES] - 1;
      for (let p = 0; p < w; p++) {
        const row = (j * w + p) * FAKE_FEATURES;
        const o = (j * w + p) * FAKE_CLASSES;
        if (batch[row] === 0 && batch[row + 1] === 0) {
          padded++;
          out.fill(NaN, o, o + FAKE_CLASSES);
          continue;
        }
        if (padded > 0) throw new Error('padding must come at the end of a window');
        const id = batch[row] - 1;
        ids.push(id);
        runs.push(batch[row + 1]);
        out.set(fakeProbabilities(id, firstId), o);
      }
      this.windows.push({ ids, runs, padded });
    }
    return Promise.resolve(out);
  }
}

/** Rows for runs of the given lengths: feature 0 = packet id + 1, feature 1 = run id + 1. */
export function fakeRows(runLengths: readonly number[]): Float32Array {
  const n = runLengths.reduce((a, b) => a + b, 0);
  const rows = new Float32Array(n * FAKE_FEATURES);
  let id = 0;
  runLengths.forEach((len, r) => {
    for (let i = 0; i < len; i++, id++) {
      rows[id * FAKE_FEATURES] = id + 1;
      rows[id * FAKE_FEATURES + 1] = r + 1;
    }
  });
  return rows;
}

/**
 * Reference per-packet mean probabilities, written straight from the contract's text: windows at
 * 0, S, 2S, ... while start + W < n, then max(0, n - W).
 */
export function referenceMeans(runLengths: readonly number[], window: number, stride: number): number[][] {
  const out: number[][] = [];
  let offset = 0;
  for (const n of runLengths) {
    const starts: number[] = [];
    let s = 0;
    while (s + window < n) {
      starts.push(s);
      s += stride;
    }
    starts.push(Math.max(0, n - window));
    for (let i = 0; i < n; i++) {
      const covering = window === 1 ? [i] : starts.filter((st) => st <= i && i < st + window);
      const sum = [0, 0, 0];
      for (const st of covering) {
        const p = fakeProbabilities(offset + i, offset + st);
        for (let k = 0; k < 3; k++) sum[k] += Math.fround(p[k]);
      }
      out.push(sum.map((v) => v / covering.length));
    }
    offset += n;
  }
  return out;
}
