/**
 * A small, fast, deterministic random forest for the in-app "ISP with labelled traffic of your own
 * devices" attacker: per-packet feature vectors (Float32, a few dozen features) of one home's
 * devices, trained on the earlier part of a capture and tested on the later part. The npm
 * registry's learners are too slow (quadratic split search) or crash on our sizes, so this one is
 * written for the job, with no dependencies and typed arrays throughout.
 *
 * How it works:
 *
 * - Binning. Each feature's training values are cut into at most `maxBins` bins: a feature with
 *   at most `maxBins` distinct finite values gets one bin per value; otherwise the bin edges
 *   follow the training quantiles, each moved to the widest gap between sorted values within half
 *   a bin of its quantile, so that value clusters (packet sizes) and gaps between classes are not
 *   cut through (ties collapse, so a heavily repeated value keeps one bin of its own). Quantiles
 *   come from a strided sample of at most 200,000 rows.
 *   An edge lies halfway between the last value of a bin and the first of the next (rounded to a
 *   Float32 that still separates them), so unseen values fall on the nearer side. Codes are kept
 *   column-major in a Uint8Array (one column per feature) so that a node's histogram for one
 *   feature reads one small column.
 * - Non-finite values. −Infinity and +Infinity are clamped into the lowest and highest finite bins
 *   (they are ordinary extreme values). NaN gets a dedicated bin above every finite bin, so a
 *   split can set missing values apart, and NaN always goes to the right ("greater") side of a
 *   split, in training and in prediction alike.
 * - Trees. CART classification trees on the codes with Gini impurity. Each tree sees a bootstrap
 *   sample (drawn with replacement, size min(rows, maxSamplesPerTree)), kept as a per-row count
 *   that multiplies the row's weight, as scikit-learn does. At each node `featuresPerSplit` random
 *   features are tried (more only when none of them gives a valid split); the split search builds
 *   a class histogram over the feature's bins and scans its thresholds, so a node costs
 *   O(nodeRows × featuresPerSplit + bins × classes). Growth stops at `maxDepth`, below
 *   2 × `minLeaf` in-bag rows (each side of a split keeps at least `minLeaf` distinct in-bag rows),
 *   or at a pure node. Trees grow depth-first on an explicit stack, partitioning the row indices
 *   in place; no recursion.
 * - Class weights. 'balanced' (the default) weights a row of class c by rows / (classes × count of
 *   c), since devices' packet counts differ by a factor of 1000 and an unweighted forest would
 *   hardly ever name the quiet devices. Leaves store the weighted class distribution of their
 *   in-bag rows; a prediction is the mean of the trees' leaf distributions.
 * - Determinism. Every random choice comes from mulberry32 seeded from `seed` and the tree's
 *   index: the same seed and data give the same model and the same predictions, bit for bit.
 *
 * A trained split compares the raw feature value with a Float32 threshold (`value <= threshold`
 * goes left; NaN compares false and so goes right), which is exactly the bin test used in training;
 * prediction therefore needs no bin table.
 *
 * With `classes` = 1, or when the labels use only one class, every tree is a single leaf and every
 * prediction is that class with probability 1.
 */

import { mulberry32 } from '../views/seeded-random.ts';

/** A trained forest as JSON (HistogramForest.toJSON). */
export interface ForestJSON {
  format: 'telltale-histogram-forest-1';
  classes: number;
  width: number;
  roots: string;
  feature: string;
  threshold: string;
  child: string;
  leafProbs: string;
}

/** Options of `HistogramForest.train`; every field has a default. */
export interface ForestOptions {
  trees?: number; // default 60
  maxDepth?: number; // default 16
  minLeaf?: number; // default 2
  maxBins?: number; // default 64, at most 255
  featuresPerSplit?: number; // default round(sqrt(width))
  maxSamplesPerTree?: number; // default: all rows
  classWeight?: 'balanced' | 'none'; // default 'balanced'
  seed?: number; // default 1
}

/** The options with their defaults filled in and checked. */
interface Settings {
  trees: number;
  maxDepth: number;
  minLeaf: number;
  maxBins: number;
  featuresPerSplit: number;
  samplesPerTree: number;
  classWeight: 'balanced' | 'none';
  seed: number;
}

/** The murmur3 finaliser: spreads a 32-bit value so that neighbouring seeds give unrelated streams. */
function mix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

function fail(message: string): never {
  throw new Error(`HistogramForest: ${message}`);
}

function checkInteger(name: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    fail(
      `${name} must be an integer in [${min}, ${max === Number.MAX_SAFE_INTEGER ? '∞' : max}], got ${value}`,
    );
  }
  return value;
}

function resolveOptions(options: ForestOptions, rows: number, width: number): Settings {
  const classWeight = options.classWeight ?? 'balanced';
  if (classWeight !== 'balanced' && classWeight !== 'none') {
    fail(`classWeight must be 'balanced' or 'none', got ${String(classWeight)}`);
  }
  const seed = options.seed ?? 1;
  if (!Number.isFinite(seed)) fail(`seed must be a finite number, got ${seed}`);
  return {
    trees: checkInteger('trees', options.trees ?? 60, 1),
    maxDepth: checkInteger('maxDepth', options.maxDepth ?? 16, 0, 1000),
    minLeaf: checkInteger('minLeaf', options.minLeaf ?? 2, 1),
    maxBins: checkInteger('maxBins', options.maxBins ?? 64, 2, 255),
    featuresPerSplit: checkInteger(
      'featuresPerSplit',
      options.featuresPerSplit ?? Math.max(1, Math.round(Math.sqrt(width))),
      1,
      width,
    ),
    samplesPerTree: Math.min(rows, checkInteger('maxSamplesPerTree', options.maxSamplesPerTree ?? rows, 1)),
    classWeight,
    seed: Math.trunc(seed) >>> 0,
  };
}

/** At most this many values of a feature are sorted to find its quantiles (a strided sample). */
const QUANTILE_SAMPLE = 200_000;

/**
 * The binned training set: `codes[f × rows + r]` is the bin of row r's feature f, and
 * `thresholds[f][b]` the upper edge of finite bin b (+Infinity for the last finite bin); the bin
 * `thresholds[f].length` is feature f's NaN bin.
 */
interface Binned {
  codes: Uint8Array;
  thresholds: Float32Array[];
}

/** Finds the upper edges of one feature's finite bins from its sorted finite values. */
function binEdges(sorted: Float32Array, maxBins: number): Float32Array {
  const n = sorted.length;
  const edges: number[] = [];
  /** The edge between value a and the next larger value b: halfway, as a Float32 in [a, b). */
  const edgeBetween = (a: number, b: number): number => {
    const e = Math.fround(a / 2 + b / 2);
    return e >= b || e < a ? a : e;
  };
  if (n > 0) {
    let distinct = 1;
    for (let i = 1; i < n && distinct <= maxBins; i++) if (sorted[i] !== sorted[i - 1]) distinct++;
    if (distinct <= maxBins) {
      for (let i = 1; i < n; i++)
        if (sorted[i] !== sorted[i - 1]) edges.push(edgeBetween(sorted[i - 1], sorted[i]));
    } else {
      // Edge q goes into the widest gap between consecutive sorted values within half a bin of
      // the q-th quantile, so that clusters (packet sizes, say) are not cut through the middle
      // and a gap between classes becomes an edge; every bin still holds about 1/maxBins of the
      // values. A window of one repeated value has no gap and gives no edge (ties collapse).
      let last = -Infinity;
      const half = n / (2 * maxBins);
      for (let q = 1; q < maxBins; q++) {
        const centre = (q * n) / maxBins;
        const from = Math.max(0, Math.floor(centre - half) - 1);
        const to = Math.min(n - 1, Math.ceil(centre + half) - 1);
        let best = -1;
        let widest = 0;
        for (let k = from; k < to; k++) {
          const gap = sorted[k + 1] - sorted[k];
          if (gap > widest) {
            widest = gap;
            best = k;
          }
        }
        if (best < 0 || sorted[best] <= last) continue;
        edges.push(edgeBetween(sorted[best], sorted[best + 1]));
        last = sorted[best];
      }
    }
  }
  const thresholds = new Float32Array(edges.length + 1);
  thresholds.set(edges);
  thresholds[edges.length] = Infinity;
  return thresholds;
}

/** Bins the training rows feature by feature (see `Binned`). */
function binFeatures(x: Float32Array, rows: number, width: number, maxBins: number): Binned {
  const codes = new Uint8Array(rows * width);
  const thresholds: Float32Array[] = [];
  const stride = Math.max(1, Math.ceil(rows / QUANTILE_SAMPLE));
  const sample = new Float32Array(Math.ceil(rows / stride));
  for (let f = 0; f < width; f++) {
    let m = 0;
    for (let r = 0; r < rows; r += stride) {
      const v = x[r * width + f];
      if (!Number.isNaN(v)) sample[m++] = v;
    }
    // ±Infinity are sorted with the rest but take part in no edge of their own: they clamp
    const finite = sample.subarray(0, m).sort();
    let lo = 0;
    let hi = m;
    while (lo < hi && finite[lo] === -Infinity) lo++;
    while (hi > lo && finite[hi - 1] === Infinity) hi--;
    const thr = binEdges(finite.subarray(lo, hi), maxBins);
    thresholds.push(thr);
    const last = thr.length - 1;
    const nanBin = thr.length;
    const column = codes.subarray(f * rows, (f + 1) * rows);
    for (let r = 0; r < rows; r++) {
      const v = x[r * width + f];
      if (Number.isNaN(v)) {
        column[r] = nanBin;
        continue;
      }
      let a = 0;
      let b = last;
      while (a < b) {
        const mid = (a + b) >>> 1;
        if (v <= thr[mid]) b = mid;
        else a = mid + 1;
      }
      column[r] = a;
    }
  }
  return { codes, thresholds };
}

/**
 * The nodes of all trees, appended tree after tree, in growable typed arrays. A node is internal
 * when `feature >= 0`: rows with `value <= threshold` go to node `child`, the others to
 * `child + 1`. A leaf has `feature = -1` and `child` either ≥ 0, the offset of its class
 * distribution in `leafProbs`, or < 0, a pure leaf of class `~child` (no distribution stored).
 */
class NodeStore {
  feature = new Int32Array(1024);
  threshold = new Float32Array(1024);
  child = new Int32Array(1024);
  count = 0;
  leafProbs = new Float32Array(1024);
  leafCount = 0;

  /** Appends `n` blank nodes and returns the index of the first. */
  add(n: number): number {
    if (this.count + n > this.feature.length) {
      const size = Math.max(this.feature.length * 2, this.count + n);
      this.feature = grow(this.feature, new Int32Array(size));
      this.threshold = grow(this.threshold, new Float32Array(size));
      this.child = grow(this.child, new Int32Array(size));
    }
    const first = this.count;
    this.count += n;
    return first;
  }

  /** Room for `n` more leaf probabilities; returns their offset. */
  addLeafProbs(n: number): number {
    if (this.leafCount + n > this.leafProbs.length) {
      this.leafProbs = grow(
        this.leafProbs,
        new Float32Array(Math.max(this.leafProbs.length * 2, this.leafCount + n)),
      );
    }
    const first = this.leafCount;
    this.leafCount += n;
    return first;
  }
}

function grow<T extends Int32Array | Float32Array>(from: T, to: T): T {
  to.set(from);
  return to;
}

/** The per-training buffers the tree builder reuses from tree to tree and node to node. */
interface Workspace {
  rows: number;
  width: number;
  classes: number;
  codes: Uint8Array;
  thresholds: Float32Array[];
  y: Int32Array;
  classWeight: Float64Array;
  /** Bootstrap multiplicity of each row in the current tree. */
  bag: Int32Array;
  /** Row weight in the current tree: multiplicity × class weight. */
  weight: Float64Array;
  /** In-bag row indices, partitioned in place as the tree grows. */
  index: Int32Array;
  /** Class weight histogram of one feature over its bins: hist[bin × classes + class]. */
  hist: Float64Array;
  /** Distinct in-bag rows per bin. */
  binRows: Int32Array;
  totals: Float64Array;
  left: Float64Array;
  present: Int32Array;
  features: Int32Array;
  stack: Int32Array;
}

/** Grows one tree into `store`; returns its root's index. */
function growTree(ws: Workspace, s: Settings, rng: () => number, store: NodeStore): number {
  const { rows, width, classes, codes, thresholds, y, classWeight, bag, weight, index } = ws;
  const { hist, binRows, totals, left, present, features, stack } = ws;
  const minLeaf = s.minLeaf;

  // bootstrap: a multiplicity per row, then the distinct in-bag rows
  bag.fill(0);
  for (let i = 0; i < s.samplesPerTree; i++) bag[Math.floor(rng() * rows)]++;
  let inBag = 0;
  for (let r = 0; r < rows; r++) {
    if (bag[r] > 0) {
      index[inBag++] = r;
      weight[r] = bag[r] * classWeight[y[r]];
    }
  }

  const root = store.add(1);
  let top = 0;
  stack[top++] = root;
  stack[top++] = 0;
  stack[top++] = inBag;
  stack[top++] = 0;
  while (top > 0) {
    const depth = stack[--top];
    const end = stack[--top];
    const start = stack[--top];
    const node = stack[--top];
    const n = end - start;

    totals.fill(0);
    for (let k = start; k < end; k++) {
      const r = index[k];
      totals[y[r]] += weight[r];
    }
    let nPresent = 0;
    let total = 0;
    for (let c = 0; c < classes; c++) {
      if (totals[c] > 0) {
        present[nPresent++] = c;
        total += totals[c];
      }
    }

    let bestFeature = -1;
    let bestBin = -1;
    if (nPresent > 1 && depth < s.maxDepth && n >= 2 * minLeaf) {
      let best = -Infinity;
      for (let j = 0; j < width; j++) {
        if (j >= s.featuresPerSplit && bestFeature >= 0) break;
        // partial Fisher–Yates: the j-th random feature of this node
        const pick = j + Math.floor(rng() * (width - j));
        const f = features[pick];
        features[pick] = features[j];
        features[j] = f;

        const column = f * rows;
        let lo = 255;
        let hi = 0;
        for (let k = start; k < end; k++) {
          const r = index[k];
          const b = codes[column + r];
          hist[b * classes + y[r]] += weight[r];
          binRows[b]++;
          if (b < lo) lo = b;
          if (b > hi) hi = b;
        }
        if (lo < hi) {
          let leftRows = 0;
          let leftWeight = 0;
          for (let p = 0; p < nPresent; p++) left[present[p]] = 0;
          for (let b = lo; b < hi; b++) {
            const inBin = binRows[b];
            if (inBin === 0) continue;
            leftRows += inBin;
            const base = b * classes;
            for (let p = 0; p < nPresent; p++) {
              const c = present[p];
              const w = hist[base + c];
              left[c] += w;
              leftWeight += w;
            }
            if (leftRows < minLeaf) continue;
            if (n - leftRows < minLeaf) break;
            const rightWeight = total - leftWeight;
            if (leftWeight <= 0 || rightWeight <= 0) continue;
            let sumLeft = 0;
            let sumRight = 0;
            for (let p = 0; p < nPresent; p++) {
              const c = present[p];
              const l = left[c];
              const rr = totals[c] - l;
              sumLeft += l * l;
              sumRight += rr * rr;
            }
            // minimising the weighted Gini impurity = maximising Σ L²/|L| + Σ R²/|R|
            const score = sumLeft / leftWeight + sumRight / rightWeight;
            if (score > best) {
              best = score;
              bestFeature = f;
              bestBin = b;
            }
          }
        }
        hist.fill(0, lo * classes, (hi + 1) * classes);
        binRows.fill(0, lo, hi + 1);
      }
    }

    if (bestFeature < 0) {
      store.feature[node] = -1;
      if (nPresent === 1) {
        store.child[node] = ~present[0];
      } else {
        const offset = store.addLeafProbs(classes);
        const probs = store.leafProbs;
        for (let c = 0; c < classes; c++) probs[offset + c] = totals[c] / total;
        store.child[node] = offset;
      }
      continue;
    }

    // partition the node's rows in place: code <= bestBin to the front
    const column = bestFeature * rows;
    let i = start;
    let j = end - 1;
    while (i <= j) {
      if (codes[column + index[i]] <= bestBin) {
        i++;
      } else {
        const t = index[i];
        index[i] = index[j];
        index[j] = t;
        j--;
      }
    }
    const children = store.add(2);
    store.feature[node] = bestFeature;
    store.threshold[node] = thresholds[bestFeature][bestBin];
    store.child[node] = children;
    // right first, so that the left subtree is grown first
    stack[top++] = children + 1;
    stack[top++] = i;
    stack[top++] = end;
    stack[top++] = depth + 1;
    stack[top++] = children;
    stack[top++] = start;
    stack[top++] = i;
    stack[top++] = depth + 1;
  }
  return root;
}

/** Rows scored together in prediction: their accumulators stay in cache while each tree runs. */
const PREDICT_BLOCK = 2048;

/** A trained random forest of histogram-binned CART trees (see the module comment). */
export class HistogramForest {
  readonly classes: number;
  readonly width: number;
  private readonly roots: Int32Array;
  private readonly feature: Int32Array;
  private readonly threshold: Float32Array;
  private readonly child: Int32Array;
  private readonly leafProbs: Float32Array;

  private constructor(classes: number, width: number, roots: Int32Array, store: NodeStore) {
    this.classes = classes;
    this.width = width;
    this.roots = roots;
    this.feature = store.feature.slice(0, store.count);
    this.threshold = store.threshold.slice(0, store.count);
    this.child = store.child.slice(0, store.count);
    this.leafProbs = store.leafProbs.slice(0, store.leafCount);
  }

  /** x: rows × width row-major; y: class index per row in [0, classes). onTree(done, total) after each tree. */
  static train(
    x: Float32Array,
    rows: number,
    width: number,
    y: ArrayLike<number>,
    classes: number,
    options: ForestOptions = {},
    onTree?: (done: number, total: number) => void,
  ): HistogramForest {
    checkInteger('rows', rows, 1);
    checkInteger('width', width, 1);
    checkInteger('classes', classes, 1, 65_536);
    if (x.length !== rows * width) {
      fail(`x holds ${x.length} values but rows × width = ${rows} × ${width} = ${rows * width}`);
    }
    if (y.length !== rows) fail(`y holds ${y.length} labels but there are ${rows} rows`);
    const labels = new Int32Array(rows);
    const perClass = new Float64Array(classes);
    for (let r = 0; r < rows; r++) {
      const label = y[r];
      if (!Number.isInteger(label) || label < 0 || label >= classes) {
        fail(`label ${label} of row ${r} is not a class index in [0, ${classes})`);
      }
      labels[r] = label;
      perClass[label]++;
    }
    const s = resolveOptions(options, rows, width);

    const classWeight = new Float64Array(classes);
    for (let c = 0; c < classes; c++) {
      classWeight[c] = s.classWeight === 'none' || perClass[c] === 0 ? 1 : rows / (classes * perClass[c]);
    }
    const { codes, thresholds } = binFeatures(x, rows, width, s.maxBins);
    const ws: Workspace = {
      rows,
      width,
      classes,
      codes,
      thresholds,
      y: labels,
      classWeight,
      bag: new Int32Array(rows),
      weight: new Float64Array(rows),
      index: new Int32Array(rows),
      hist: new Float64Array(256 * classes),
      binRows: new Int32Array(256),
      totals: new Float64Array(classes),
      left: new Float64Array(classes),
      present: new Int32Array(classes),
      features: Int32Array.from({ length: width }, (_, f) => f),
      stack: new Int32Array(4 * (s.maxDepth + 2) + 8),
    };
    const store = new NodeStore();
    const roots = new Int32Array(s.trees);
    for (let t = 0; t < s.trees; t++) {
      // each tree its own stream, so a tree depends only on (seed, its index), not on its order
      ws.features.forEach((_, f, a) => (a[f] = f));
      roots[t] = growTree(ws, s, mulberry32(mix32(s.seed ^ mix32(t + 0x9e3779b9))), store);
      onTree?.(t + 1, s.trees);
    }
    return new HistogramForest(classes, width, roots, store);
  }

  /** rows × classes probabilities, row-major (rows sum to 1). */
  predictProba(x: Float32Array, rows: number): Float32Array {
    checkInteger('rows', rows, 0);
    const { width, classes, roots, feature, threshold, child, leafProbs } = this;
    if (x.length !== rows * width) {
      fail(`x holds ${x.length} values but rows × width = ${rows} × ${width} = ${rows * width}`);
    }
    const out = new Float32Array(rows * classes);
    const acc = new Float64Array(Math.min(rows, PREDICT_BLOCK) * classes);
    for (let start = 0; start < rows; start += PREDICT_BLOCK) {
      const end = Math.min(rows, start + PREDICT_BLOCK);
      acc.fill(0);
      for (let t = 0; t < roots.length; t++) {
        const root = roots[t];
        for (let r = start; r < end; r++) {
          const base = r * width;
          let node = root;
          let f = feature[node];
          while (f >= 0) {
            node = x[base + f] <= threshold[node] ? child[node] : child[node] + 1;
            f = feature[node];
          }
          const leaf = child[node];
          const a = (r - start) * classes;
          if (leaf < 0) {
            acc[a + ~leaf] += 1;
          } else {
            for (let c = 0; c < classes; c++) acc[a + c] += leafProbs[leaf + c];
          }
        }
      }
      for (let r = start; r < end; r++) {
        const a = (r - start) * classes;
        let sum = 0;
        for (let c = 0; c < classes; c++) sum += acc[a + c];
        const o = r * classes;
        for (let c = 0; c < classes; c++) out[o + c] = acc[a + c] / sum;
      }
    }
    return out;
  }

  /** Argmax class per row (the first class on a tie). */
  predict(x: Float32Array, rows: number): Int32Array {
    const probs = this.predictProba(x, rows);
    const classes = this.classes;
    const out = new Int32Array(rows);
    for (let r = 0; r < rows; r++) {
      let best = 0;
      for (let c = 1; c < classes; c++) if (probs[r * classes + c] > probs[r * classes + best]) best = c;
      out[r] = best;
    }
    return out;
  }

  /** The trained model as plain JSON (typed arrays as little-endian base64), for a model file. */
  toJSON(): ForestJSON {
    const b64 = (a: Int32Array | Float32Array): string =>
      Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
    return {
      format: 'telltale-histogram-forest-1',
      classes: this.classes,
      width: this.width,
      roots: b64(this.roots),
      feature: b64(this.feature),
      threshold: b64(this.threshold),
      child: b64(this.child),
      leafProbs: b64(this.leafProbs),
    };
  }

  /** A model from `toJSON`'s output; every index is checked, so a damaged file fails here, not in prediction. */
  static fromJSON(json: ForestJSON): HistogramForest {
    if (json.format !== 'telltale-histogram-forest-1') fail(`unknown forest format "${String(json.format)}"`);
    checkInteger('classes', json.classes, 1, 65_536);
    checkInteger('width', json.width, 1);
    const bytes = (text: string, name: string): Buffer => {
      const b = Buffer.from(text, 'base64');
      if (b.byteLength % 4 !== 0)
        fail(`forest ${name}: ${b.byteLength} bytes is not a whole number of values`);
      return b;
    };
    const ints = (name: string, text: string): Int32Array<ArrayBuffer> => {
      const b = bytes(text, name);
      const out = new Int32Array(b.byteLength / 4);
      for (let i = 0; i < out.length; i++) out[i] = b.readInt32LE(4 * i);
      return out;
    };
    const floats = (name: string, text: string): Float32Array<ArrayBuffer> => {
      const b = bytes(text, name);
      const out = new Float32Array(b.byteLength / 4);
      for (let i = 0; i < out.length; i++) out[i] = b.readFloatLE(4 * i);
      return out;
    };
    const store = new NodeStore();
    store.feature = ints('feature', json.feature);
    store.threshold = floats('threshold', json.threshold);
    store.child = ints('child', json.child);
    store.count = store.feature.length;
    store.leafProbs = floats('leafProbs', json.leafProbs);
    store.leafCount = store.leafProbs.length;
    const roots = ints('roots', json.roots);
    const nodes = store.count;
    if (store.threshold.length !== nodes || store.child.length !== nodes)
      fail('forest: node arrays differ in length');
    for (const r of roots) if (r < 0 || r >= nodes) fail(`forest: root ${r} is not a node`);
    for (let n = 0; n < nodes; n++) {
      const f = store.feature[n];
      const c = store.child[n];
      if (f >= json.width) fail(`forest: node ${n} reads feature ${f} of ${json.width}`);
      if (f >= 0 && (c < 0 || c + 1 >= nodes)) fail(`forest: node ${n} has no children`);
      if (f < 0 && c >= 0 && c + json.classes > store.leafCount)
        fail(`forest: leaf ${n} has no distribution`);
      if (f < 0 && c < 0 && ~c >= json.classes) fail(`forest: leaf ${n} names class ${~c}`);
    }
    return new HistogramForest(json.classes, json.width, roots, store);
  }

  /** Bytes held by the model's arrays (for memory bounds). */
  get sizeBytes(): number {
    return (
      this.roots.byteLength +
      this.feature.byteLength +
      this.threshold.byteLength +
      this.child.byteLength +
      this.leafProbs.byteLength
    );
  }

  /** Nodes over all trees (internal and leaves); for diagnostics and benchmarks. */
  get nodeCount(): number {
    return this.feature.length;
  }
}
