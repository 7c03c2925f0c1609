import { describe, expect, it } from 'vitest';
import { HistogramForest } from '../../../src-main/inference/histogram-forest.ts';
import { mulberry32 as prng } from '../../../src-main/views/seeded-random.ts';

function normal(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

interface Data {
  x: Float32Array;
  y: Int32Array;
  rows: number;
  width: number;
}

/** Rows whose features come from `feature(row, f)` and labels from `label(row features)`. */
function dataset(
  rows: number,
  width: number,
  rand: () => number,
  label: (v: Float32Array) => number,
  feature: () => number = () => rand() * 2 - 1,
): Data {
  const x = new Float32Array(rows * width);
  const y = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    const v = x.subarray(r * width, (r + 1) * width);
    for (let f = 0; f < width; f++) v[f] = feature();
    y[r] = label(v);
  }
  return { x, y, rows, width };
}

function accuracy(predicted: Int32Array, y: Int32Array): number {
  let ok = 0;
  for (let i = 0; i < y.length; i++) if (predicted[i] === y[i]) ok++;
  return ok / y.length;
}

function recall(predicted: Int32Array, y: Int32Array, c: number): number {
  let hit = 0;
  let all = 0;
  for (let i = 0; i < y.length; i++) {
    if (y[i] !== c) continue;
    all++;
    if (predicted[i] === c) hit++;
  }
  return hit / all;
}

describe('HistogramForest', () => {
  it('learns a separable problem with three classes and noise features to > 0.99', () => {
    // class c puts the last feature in [c − 0.4, c + 0.4]: a margin of 0.2 between classes
    const rand = prng(1);
    const make = (rows: number): Data => {
      const data = dataset(rows, 8, rand, () => Math.floor(rand() * 3));
      for (let r = 0; r < rows; r++) data.x[r * 8 + 7] = data.y[r] + 0.8 * (rand() - 0.5);
      return data;
    };
    const train = make(3000);
    const test = make(2000);
    const forest = HistogramForest.train(train.x, train.rows, train.width, train.y, 3, { trees: 20 });
    expect(forest.classes).toBe(3);
    expect(forest.width).toBe(8);
    expect(accuracy(forest.predict(test.x, test.rows), test.y)).toBeGreaterThan(0.99);
  });

  it('learns an XOR interaction that no single split can, and a forest of stumps cannot', () => {
    const rand = prng(2);
    const label = (v: Float32Array): number => (v[0] > 0 !== v[1] > 0 ? 1 : 0);
    const train = dataset(4000, 4, rand, label);
    const test = dataset(2000, 4, rand, label);
    const deep = HistogramForest.train(train.x, train.rows, train.width, train.y, 2, { trees: 30 });
    const stumps = HistogramForest.train(train.x, train.rows, train.width, train.y, 2, {
      trees: 30,
      maxDepth: 1,
    });
    expect(accuracy(deep.predict(test.x, test.rows), test.y)).toBeGreaterThan(0.95);
    expect(accuracy(stumps.predict(test.x, test.rows), test.y)).toBeLessThan(0.65);
  });

  it('recalls a 1 % minority class with balanced weights far better than without', () => {
    // the minority sits, overlapping, beside a 99 % majority
    const make = (rows: number, rand: () => number): Data => {
      const width = 3;
      const x = new Float32Array(rows * width);
      const y = new Int32Array(rows);
      for (let r = 0; r < rows; r++) {
        const c = rand() < 0.01 ? 1 : 0;
        y[r] = c;
        x[r * width] = normal(rand) + 2 * c;
        x[r * width + 1] = normal(rand) + 2 * c;
        x[r * width + 2] = normal(rand);
      }
      return { x, y, rows, width };
    };
    const rand = prng(3);
    const train = make(20000, rand);
    const test = make(20000, rand);
    const options = { trees: 30, minLeaf: 20 };
    const balanced = HistogramForest.train(train.x, train.rows, train.width, train.y, 2, options);
    const none = HistogramForest.train(train.x, train.rows, train.width, train.y, 2, {
      ...options,
      classWeight: 'none',
    });
    const balancedRecall = recall(balanced.predict(test.x, test.rows), test.y, 1);
    const noneRecall = recall(none.predict(test.x, test.rows), test.y, 1);
    expect(balancedRecall).toBeGreaterThan(0.6);
    expect(noneRecall).toBeLessThan(balancedRecall - 0.25);
  });

  it('is deterministic: the same seed gives identical probabilities, another seed different ones', () => {
    const rand = prng(4);
    const data = dataset(1500, 6, rand, (v) => (v[0] + v[1] * v[2] + 0.3 * v[3] > 0 ? 1 : 0));
    const fit = (seed: number): Float32Array =>
      HistogramForest.train(data.x, data.rows, data.width, data.y, 2, { trees: 10, seed }).predictProba(
        data.x,
        data.rows,
      );
    const a = fit(7);
    expect(fit(7)).toEqual(a);
    expect(fit(8)).not.toEqual(a);
    // with every feature tried at every split, only the bootstrap samples tell two seeds apart
    const all = (seed: number): Float32Array =>
      HistogramForest.train(data.x, data.rows, data.width, data.y, 2, {
        trees: 10,
        seed,
        featuresPerSplit: data.width,
      }).predictProba(data.x, data.rows);
    expect(all(8)).not.toEqual(all(7));
  });

  it('gives probabilities in [0, 1] that sum to 1 per row, and predict is their argmax', () => {
    const rand = prng(5);
    const data = dataset(2000, 5, rand, (v) =>
      Math.max(0, Math.min(4, Math.floor((v[0] + 1) * 2.5 + 0.5 * v[1]))),
    );
    const forest = HistogramForest.train(data.x, data.rows, data.width, data.y, 6, { trees: 15 });
    const probs = forest.predictProba(data.x, data.rows);
    const predicted = forest.predict(data.x, data.rows);
    expect(probs.length).toBe(data.rows * 6);
    for (let r = 0; r < data.rows; r++) {
      const row = Array.from(probs.subarray(r * 6, (r + 1) * 6));
      expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      for (const p of row) expect(p).toBeGreaterThanOrEqual(0);
      expect(row[5]).toBe(0); // a class no row has is never predicted
      expect(predicted[r]).toBe(row.indexOf(Math.max(...row)));
    }
  });

  it('handles constant features, NaN, ±Infinity and huge values', () => {
    const rand = prng(6);
    const rows = 3000;
    const width = 4;
    const x = new Float32Array(rows * width);
    const y = new Int32Array(rows);
    for (let r = 0; r < rows; r++) {
      const c = r % 3;
      y[r] = c;
      x[r * width] = 42; // constant
      // class 2 is missing its feature 1; the others differ in sign at a huge scale, infinite at times
      const sign = c === 0 ? -1 : 1;
      x[r * width + 1] = c === 2 ? NaN : rand() < 0.2 ? sign * Infinity : sign * 1e38 * (0.1 + rand());
      x[r * width + 2] = rand() < 0.1 ? (rand() < 0.5 ? Infinity : -Infinity) : rand();
      x[r * width + 3] = rand() < 0.5 ? NaN : rand();
    }
    const forest = HistogramForest.train(x, rows, width, y, 3, { trees: 10 });
    expect(accuracy(forest.predict(x, rows), y)).toBe(1);
    const probe = Float32Array.from([
      ...[42, -3e38, Infinity, NaN],
      ...[0, 5e37, -Infinity, 0.5],
      ...[NaN, NaN, NaN, NaN],
      ...[-1, -Infinity, 0, 0],
      ...[-1, Infinity, 0, 0],
    ]);
    expect(Array.from(forest.predict(probe, 5))).toEqual([0, 1, 2, 0, 1]);
    for (const p of forest.predictProba(probe, 5)) expect(Number.isFinite(p)).toBe(true);
  });

  it('predicts the only class when the labels hold one class, also with classes = 1', () => {
    const rand = prng(7);
    const data = dataset(200, 3, rand, () => 2);
    const forest = HistogramForest.train(data.x, data.rows, data.width, data.y, 4, { trees: 5 });
    expect(Array.from(forest.predict(data.x.subarray(0, 15), 5))).toEqual([2, 2, 2, 2, 2]);
    expect(Array.from(forest.predictProba(data.x.subarray(0, 3), 1))).toEqual([0, 0, 1, 0]);
    const single = HistogramForest.train(data.x, data.rows, data.width, new Int32Array(200), 1);
    expect(Array.from(single.predictProba(data.x.subarray(0, 6), 2))).toEqual([1, 1]);
  });

  it('generalises to held-out rows of a noisy problem without memorising the noise', () => {
    // the label is a linear rule flipped for 15 % of rows: nothing can beat 0.85 on fresh rows
    const rand = prng(8);
    const label = (v: Float32Array): number => (v[0] + 0.5 * v[1] - 0.3 * v[2] > 0 !== rand() < 0.15 ? 1 : 0);
    const train = dataset(6000, 6, rand, label);
    const test = dataset(4000, 6, rand, label);
    const forest = HistogramForest.train(train.x, train.rows, train.width, train.y, 2, { trees: 40 });
    const trainAccuracy = accuracy(forest.predict(train.x, train.rows), train.y);
    const testAccuracy = accuracy(forest.predict(test.x, test.rows), test.y);
    expect(testAccuracy).toBeGreaterThan(0.74);
    expect(testAccuracy).toBeLessThan(0.87);
    expect(trainAccuracy).toBeGreaterThan(testAccuracy); // it fits its own sample better, as forests do
  });

  it('grows each tree on a bootstrap sample: one fully grown tree recalls its in-bag rows only', () => {
    const rand = prng(10);
    const data = dataset(2000, 4, rand, () => (rand() < 0.5 ? 1 : 0)); // labels are pure noise
    const options = { trees: 1, minLeaf: 1, maxDepth: 100, featuresPerSplit: 4 };
    const tree = HistogramForest.train(data.x, data.rows, data.width, data.y, 2, options);
    // in-bag rows (1 − 1/e ≈ 63 %) are memorised; out-of-bag ones are a coin toss: ≈ 0.82
    const recalled = accuracy(tree.predict(data.x, data.rows), data.y);
    expect(recalled).toBeGreaterThan(0.75);
    expect(recalled).toBeLessThan(0.9);
  });

  it('reports progress after each tree and a size that grows with the trees', () => {
    const rand = prng(9);
    const data = dataset(1000, 4, rand, (v) => (v[0] > v[1] ? 1 : 0));
    const progress: string[] = [];
    const small = HistogramForest.train(data.x, data.rows, data.width, data.y, 2, { trees: 3 }, (d, t) =>
      progress.push(`${d}/${t}`),
    );
    expect(progress).toEqual(['1/3', '2/3', '3/3']);
    const large = HistogramForest.train(data.x, data.rows, data.width, data.y, 2, { trees: 12 });
    expect(small.sizeBytes).toBeGreaterThan(0);
    expect(large.sizeBytes).toBeGreaterThan(3 * small.sizeBytes);
    // trees on 100-row samples need far fewer leaves for the same boundary
    const sampled = HistogramForest.train(data.x, data.rows, data.width, data.y, 2, {
      trees: 12,
      maxSamplesPerTree: 100,
    });
    expect(sampled.sizeBytes).toBeLessThan(large.sizeBytes / 3);
  });

  it('rejects bad input with messages that say what is wrong', () => {
    const x = new Float32Array(12);
    const y = [0, 1, 0, 1];
    const train =
      (...args: Parameters<typeof HistogramForest.train>): (() => HistogramForest) =>
      () =>
        HistogramForest.train(...args);
    expect(train(new Float32Array(0), 0, 3, [], 2)).toThrow(/rows must be an integer in \[1/);
    expect(train(x, 4, 4, y, 2)).toThrow(/x holds 12 values but rows × width = 4 × 4 = 16/);
    expect(train(x, 4, 3, [0, 1, 0], 2)).toThrow(/y holds 3 labels but there are 4 rows/);
    expect(train(x, 4, 3, [0, 1, 2, 1], 2)).toThrow(/label 2 of row 2 is not a class index in \[0, 2\)/);
    expect(train(x, 4, 3, [0, 1, 0.5, 1], 2)).toThrow(/label 0.5 of row 2/);
    expect(train(x, 4, 3, y, 0)).toThrow(/classes must be an integer/);
    expect(train(x, 4, 3, y, 2, { maxBins: 256 })).toThrow(/maxBins must be an integer in \[2, 255\]/);
    expect(train(x, 4, 3, y, 2, { featuresPerSplit: 4 })).toThrow(/featuresPerSplit .* \[1, 3\]/);
    expect(train(x, 4, 3, y, 2, { trees: 0 })).toThrow(/trees must be/);
    const forest = HistogramForest.train(x, 4, 3, y, 2, { trees: 2 });
    expect(() => forest.predictProba(new Float32Array(7), 2)).toThrow(
      /x holds 7 values but rows × width = 2 × 3/,
    );
    expect(forest.predict(new Float32Array(0), 0).length).toBe(0);
  });

  it('writes itself as JSON and reads back a model that predicts bit for bit the same', () => {
    const rand = prng(5);
    const data = dataset(400, 5, rand, (v) => (v[0] + v[1] > 0 ? 1 : v[2] > 0.5 ? 2 : 0));
    data.x[7] = Number.NaN; // a missing value takes the same branch after the round trip
    const forest = HistogramForest.train(data.x, data.rows, data.width, data.y, 3, { trees: 8, seed: 3 });
    const json = JSON.parse(JSON.stringify(forest.toJSON())) as ReturnType<HistogramForest['toJSON']>;
    const back = HistogramForest.fromJSON(json);
    expect(back.nodeCount).toBe(forest.nodeCount);
    expect([...back.predictProba(data.x, data.rows)]).toEqual([...forest.predictProba(data.x, data.rows)]);
    // a damaged file fails when read, naming what is wrong
    expect(() => HistogramForest.fromJSON({ ...json, format: 'other' as never })).toThrow(
      /unknown forest format/,
    );
    expect(() =>
      HistogramForest.fromJSON({
        ...json,
        roots: Buffer.from(new Int32Array([1e6]).buffer).toString('base64'),
      }),
    ).toThrow(/root 1000000 is not a node/);
    expect(() => HistogramForest.fromJSON({ ...json, width: 2 })).toThrow(/reads feature/);
    expect(() => HistogramForest.fromJSON({ ...json, child: 'AAA' })).toThrow(/not a whole number of values/);
  });
});
