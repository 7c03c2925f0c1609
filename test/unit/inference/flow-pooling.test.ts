import { describe, expect, it } from 'vitest';
import {
  CausalFlowPooler,
  labelsFromProbabilities,
  NO_FLOW,
  poolOverFlows,
} from '../../../src-main/inference/flow-pooling.ts';
import { UNKNOWN_LABEL } from '../../../src-main/inference/window-stitching.ts';

const row = (p: Float32Array, i: number, c: number): number[] => [...p.subarray(i * c, (i + 1) * c)];

/** The contract's rule written out for one group: normalised geometric mean of (p + ε). */
function geometricMean(rows: number[][], eps: number): number[] {
  const logs = rows[0].map(
    (_, k) => rows.reduce((a, r) => a + Math.log(Math.fround(r[k]) + eps), 0) / rows.length,
  );
  const e = logs.map((v) => Math.exp(v));
  const total = e.reduce((a, b) => a + b, 0);
  return e.map((v) => Math.fround(v / total));
}

describe('poolOverFlows', () => {
  it('gives every packet of a flow the normalised geometric mean of its flow, and leaves flowless packets alone', () => {
    const p = Float32Array.from([0.6, 0.4, 0.3, 0.7, 0.9, 0.1, 0.2, 0.8]);
    const pooled = poolOverFlows(p, 2, [7, NO_FLOW, 7, 3], [4], 1e-3);
    const flow7 = geometricMean(
      [
        [0.6, 0.4],
        [0.9, 0.1],
      ],
      1e-3,
    );
    expect(row(pooled, 0, 2)).toEqual(flow7);
    expect(row(pooled, 2, 2)).toEqual(flow7);
    expect(row(pooled, 1, 2)).toEqual(row(p, 1, 2));
    expect(row(pooled, 3, 2)).toEqual(
      row(p, 3, 2).map((v) => Math.fround(Math.fround(v + 1e-3) / (1 + 2e-3))),
    );
    expect(row(p, 0, 2)).toEqual([Math.fround(0.6), Math.fround(0.4)]); // the input is not changed
  });

  it('does not pool across runs, even when a flow id repeats', () => {
    const p = Float32Array.from([0.9, 0.1, 0.2, 0.8]);
    const pooled = poolOverFlows(p, 2, [5, 5], [1, 1], 1e-3);
    expect(pooled[0]).toBeGreaterThan(0.89);
    expect(pooled[3]).toBeGreaterThan(0.79);
  });

  it('lets a flow’s many confident packets outvote one unsure packet', () => {
    const rows = [0.9, 0.1, 0.9, 0.1, 0.9, 0.1, 0.45, 0.55];
    const labels = labelsFromProbabilities(
      poolOverFlows(Float32Array.from(rows), 2, [1, 1, 1, 1], [4], 1e-3),
      2,
      0,
      false,
    );
    expect([...labels.bestIndex]).toEqual([0, 0, 0, 0]);
  });
});

describe('labelsFromProbabilities', () => {
  it('takes the first argmax on a tie, the maximum as confidence, and applies the unknown threshold', () => {
    const l = labelsFromProbabilities(Float32Array.from([0.5, 0.5, 0.2, 0.8, 0.4, 0.35]), 2, 0.45, true);
    expect([...l.bestIndex]).toEqual([0, 1, 0]);
    expect([...l.labelIndex]).toEqual([0, 1, UNKNOWN_LABEL]);
    expect(l.confidence[1]).toBe(Math.fround(0.8));
    expect(l.probabilities).toBeDefined();
  });
});

describe('CausalFlowPooler', () => {
  it('pools each packet with the packets of its flow seen so far, and forgets on reset', () => {
    const pooler = new CausalFlowPooler(2, 1e-3);
    const p = Float32Array.from([0.9, 0.1, 0.4, 0.6, 0.3, 0.7]);
    pooler.pool(p, [4, 4, NO_FLOW], 3);
    expect(row(p, 0, 2)).toEqual(geometricMean([[0.9, 0.1]], 1e-3));
    expect(row(p, 1, 2)).toEqual(
      geometricMean(
        [
          [0.9, 0.1],
          [0.4, 0.6],
        ],
        1e-3,
      ),
    );
    expect(row(p, 2, 2)).toEqual([Math.fround(0.3), Math.fround(0.7)]);
    pooler.reset();
    const q = Float32Array.from([0.4, 0.6]);
    pooler.pool(q, [4], 1);
    expect(q[1]).toBeGreaterThan(0.59);
  });

  it('keeps at most maxFlows flows, forgetting the least recently seen', () => {
    const pooler = new CausalFlowPooler(2, 1e-3, 2);
    pooler.pool(Float32Array.from([0.99, 0.01, 0.99, 0.01, 0.99, 0.01]), [1, 2, 1], 3);
    pooler.pool(Float32Array.from([0.5, 0.5]), [3], 1); // evicts flow 2, the least recent
    const again = Float32Array.from([0.1, 0.9, 0.1, 0.9]);
    pooler.pool(again, [1, 2], 2); // flow 1 is still known; flow 2 (evicted) starts afresh
    expect(again[0]).toBeGreaterThan(0.5);
    expect(again[3]).toBeGreaterThan(0.89);
  });
});
