/**
 * Windowing and stitching of per-packet labels, exactly as the model contract says:
 *
 * - A run is a stretch of consecutive packets that windows may span; no window crosses a run
 *   boundary.
 * - Over a run of n packets with window W and stride S, windows start at 0, S, 2S, ... while
 *   start + W < n, then one last window at max(0, n - W). When n < W the single window holds the
 *   n packets followed by zeros; the padded positions are ignored.
 * - A packet's probability vector is the arithmetic mean of the vectors of all windows covering it;
 *   the prediction is its argmax (the first on a tie, as numpy's argmax), the confidence its
 *   maximum, and the packet is unknown when the confidence is below the model's threshold.
 * - Per-packet models (W = 1) score each packet once.
 *
 * The scoring itself is behind `WindowScorer`, so the same code runs an ONNX model in a worker
 * thread and the deterministic fake scorers of the unit tests.
 */

/** Label index of a packet the model is not confident about. */
export const UNKNOWN_LABEL = -1;

/** Something that scores batches of windows: the ONNX worker, or a fake in tests. */
export interface WindowScorer {
  /** Packets per window (1 for per-packet models). */
  readonly window: number;
  readonly featureCount: number;
  readonly classCount: number;
  /**
   * Scores `count` windows laid out [count, window, featureCount] (the buffer may be transferred
   * and so must not be used afterwards); resolves to probabilities [count, window, classCount].
   */
  score(batch: Float32Array, count: number): Promise<Float32Array>;
}

export interface StitchOptions {
  /** Window stride (default: the window, halved and at least 1). */
  stride?: number;
  /** Confidence below which a packet is unknown (default 0: never). */
  unknownThreshold?: number;
  /**
   * Windows per scorer call (default 128; per-packet models use 16 times as many rows).
   * onnxruntime's working memory follows the batch: on a MADEA day 256 labelled 20 % faster but
   * held about 90 MB more, 64 saved 45 MB more and was 15 % slower (test/bench/week.ts).
   */
  batchWindows?: number;
  /** Batches handed to the scorer before the first answer is awaited (default 2). */
  inFlight?: number;
  /** Keep the per-packet probability vectors (n × classes) in the result. */
  keepProbabilities?: boolean;
}

export interface PacketLabels {
  /** Prediction with the unknown rule: class index, or UNKNOWN_LABEL. */
  labelIndex: Int32Array;
  /** Prediction without the unknown rule (argmax), the one the contract's metrics use. */
  bestIndex: Int32Array;
  /** Maximum of the packet's mean probability vector. */
  confidence: Float32Array;
  /** Mean probability vectors, [n, classes], when asked for. */
  probabilities?: Float32Array;
}

/** Default stride for a window: W / 2 (at least 1). */
export function defaultStride(window: number): number {
  return Math.max(1, Math.floor(window / 2));
}

/** Window starts over a run of n packets (n ≥ 1), in order. */
export function windowStarts(n: number, window: number, stride: number): number[] {
  const starts: number[] = [];
  if (n <= 0) return starts;
  for (let start = 0; start + window < n; start += stride) starts.push(start);
  starts.push(Math.max(0, n - window));
  return starts;
}

/** Maximal stretches of equal keys (e.g. segment and split) as run lengths, in row order. */
export function runLengthsOf(n: number, sameRun: (a: number, b: number) => boolean): number[] {
  const lengths: number[] = [];
  let start = 0;
  for (let i = 1; i <= n; i++) {
    if (i === n || !sameRun(i - 1, i)) {
      if (i > start) lengths.push(i - start);
      start = i;
    }
  }
  return lengths;
}

/**
 * Argmax (the first on a tie, as numpy's argmax), confidence (the maximum) and the unknown rule
 * over probability rows [n, classCount]; the rows are kept in the result when asked for.
 */
export function labelsFromProbabilities(
  probabilities: Float32Array,
  classCount: number,
  unknownThreshold: number,
  keepProbabilities: boolean,
): PacketLabels {
  const c = classCount;
  const n = Math.floor(probabilities.length / c);
  const labelIndex = new Int32Array(n);
  const bestIndex = new Int32Array(n);
  const confidence = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    let bestValue = -Infinity;
    for (let k = 0; k < c; k++) {
      const v = probabilities[i * c + k];
      if (v > bestValue) {
        bestValue = v;
        best = k;
      }
    }
    bestIndex[i] = best;
    confidence[i] = bestValue;
    labelIndex[i] = bestValue < unknownThreshold ? UNKNOWN_LABEL : best;
  }
  return keepProbabilities
    ? { labelIndex, bestIndex, confidence, probabilities }
    : { labelIndex, bestIndex, confidence };
}

/** Per-packet running sums of window probabilities, then means, argmax and confidence. */
export class ProbabilityStitcher {
  private readonly sums: Float64Array;
  private readonly counts: Uint16Array;

  constructor(
    readonly packets: number,
    readonly classCount: number,
  ) {
    this.sums = new Float64Array(packets * classCount);
    this.counts = new Uint16Array(packets);
  }

  /**
   * Adds one window's probabilities for packets [first, first + valid) from `probs` starting at
   * `offset` (row-major, classCount per position).
   */
  add(first: number, valid: number, probs: Float32Array, offset: number): void {
    const c = this.classCount;
    const sums = this.sums;
    let o = offset;
    let s = first * c;
    for (let p = 0; p < valid; p++) {
      for (let k = 0; k < c; k++) sums[s++] += probs[o++];
      this.counts[first + p]++;
    }
  }

  /** Means, predictions and confidences of packets [from, to). Every packet must be covered. */
  finish(from: number, to: number, unknownThreshold: number, keepProbabilities: boolean): PacketLabels {
    const c = this.classCount;
    const means = new Float32Array((to - from) * c);
    for (let packet = from; packet < to; packet++) {
      const count = this.counts[packet];
      if (count === 0) throw new Error(`packet ${packet} is covered by no window`);
      const base = packet * c;
      const out = (packet - from) * c;
      // float32 means, as the recipe's stitching
      for (let k = 0; k < c; k++) means[out + k] = this.sums[base + k] / count;
    }
    return labelsFromProbabilities(means, c, unknownThreshold, keepProbabilities);
  }
}

/** One window to score: packets [first, first + valid) of the row matrix. */
interface WindowSlot {
  first: number;
  valid: number;
}

/** Windows over all runs, in row order. */
function planWindows(runLengths: readonly number[], window: number, stride: number): WindowSlot[] {
  const slots: WindowSlot[] = [];
  let offset = 0;
  for (const n of runLengths) {
    for (const start of windowStarts(n, window, stride)) {
      slots.push({ first: offset + start, valid: Math.min(window, n - start) });
    }
    offset += n;
  }
  return slots;
}

/**
 * Labels every packet of consecutive runs. `features` holds n rows of featureCount floats;
 * `runLengths` (default: one run of all n) must sum to n. Batches go to the scorer with up to
 * `inFlight` outstanding, and are summed in the order they were made, so the result does not
 * depend on timing.
 */
export async function labelRuns(
  scorer: WindowScorer,
  features: Float32Array,
  n: number,
  runLengths: readonly number[] = [n],
  options: StitchOptions = {},
): Promise<PacketLabels> {
  const f = scorer.featureCount;
  const w = scorer.window;
  const c = scorer.classCount;
  if (features.length < n * f) {
    throw new RangeError(`labelRuns: ${features.length} floats for ${n} rows of ${f} features`);
  }
  const total = runLengths.reduce((a, b) => a + b, 0);
  if (total !== n || runLengths.some((r) => !Number.isInteger(r) || r < 1)) {
    throw new RangeError(`labelRuns: run lengths must be positive and sum to ${n} (they sum to ${total})`);
  }
  const stride = options.stride ?? defaultStride(w);
  const threshold = options.unknownThreshold ?? 0;
  const keep = options.keepProbabilities ?? false;
  const stitcher = new ProbabilityStitcher(n, c);
  if (n === 0) return stitcher.finish(0, 0, threshold, keep);

  const slots = w === 1 ? null : planWindows(runLengths, w, stride);
  const windowCount = slots === null ? n : slots.length;
  const perBatch = Math.max(1, (options.batchWindows ?? 128) * (w === 1 ? 16 : 1));
  const inFlight = Math.max(1, options.inFlight ?? 2);

  const pending: { first: number; count: number; result: Promise<Float32Array> }[] = [];
  const settle = async (): Promise<void> => {
    const job = pending.shift()!;
    const probs = await job.result;
    if (probs.length < job.count * w * c) {
      throw new RangeError(`scorer returned ${probs.length} values for ${job.count} windows`);
    }
    if (slots === null) {
      stitcher.add(job.first, job.count, probs, 0);
    } else {
      for (let j = 0; j < job.count; j++) {
        const slot = slots[job.first + j];
        stitcher.add(slot.first, slot.valid, probs, j * w * c);
      }
    }
  };

  for (let first = 0; first < windowCount; first += perBatch) {
    const count = Math.min(perBatch, windowCount - first);
    let batch: Float32Array;
    if (slots === null) {
      batch = features.slice(first * f, (first + count) * f);
    } else {
      batch = new Float32Array(count * w * f); // zero-filled: padding stays 0
      for (let j = 0; j < count; j++) {
        const slot = slots[first + j];
        batch.set(features.subarray(slot.first * f, (slot.first + slot.valid) * f), j * w * f);
      }
    }
    pending.push({ first, count, result: scorer.score(batch, count) });
    if (pending.length >= inFlight) await settle();
  }
  while (pending.length > 0) await settle();
  return stitcher.finish(0, n, threshold, keep);
}

/** Labels that a StreamingLabeler has made final: packets [first, first + labelIndex.length) of the stream. */
export interface StreamLabels extends PacketLabels {
  first: number;
}

/**
 * Labels packets as they arrive, for the live path. Feature rows are pushed in order; a packet's
 * label is final — and emitted — once W more packets of its run have arrived (or the run ends),
 * because only then are all windows that cover it known. The labels equal what `labelRuns` gives
 * for the same runs. Memory is bounded by the window: rows older than the oldest open window are
 * dropped. Calls must not overlap (await each one).
 */
export class StreamingLabeler {
  private readonly f: number;
  private readonly w: number;
  private readonly c: number;
  private readonly stride: number;
  private readonly threshold: number;
  private readonly keep: boolean;
  /** Rows of the current run from run position `base` on. */
  private rows: Float32Array;
  private base = 0;
  /** Packets of the current run seen so far. */
  private seen = 0;
  /** Run position of the next regular window to score. */
  private nextStart = 0;
  /** Run position of the first packet not yet emitted. */
  private emitted = 0;
  /** Packets emitted before the current run. */
  private streamOffset = 0;
  private sums: Float64Array;
  private counts: Uint16Array;

  constructor(
    private readonly scorer: WindowScorer,
    options: Pick<StitchOptions, 'stride' | 'unknownThreshold' | 'keepProbabilities'> = {},
  ) {
    this.f = scorer.featureCount;
    this.w = scorer.window;
    this.c = scorer.classCount;
    this.stride = options.stride ?? defaultStride(this.w);
    this.threshold = options.unknownThreshold ?? 0;
    this.keep = options.keepProbabilities ?? false;
    const capacity = 4 * this.w + 64;
    this.rows = new Float32Array(capacity * this.f);
    this.sums = new Float64Array(capacity * this.c);
    this.counts = new Uint16Array(capacity);
  }

  /** Index (in the stream) of the next packet to be emitted. */
  get nextPacket(): number {
    return this.streamOffset + this.emitted;
  }

  /** Adds `count` feature rows of the current run; resolves to the labels that became final. */
  async push(features: Float32Array, count: number): Promise<StreamLabels> {
    if (features.length < count * this.f)
      throw new RangeError(`push: ${features.length} floats for ${count} rows`);
    this.ensureCapacity(this.seen + count - this.base);
    this.rows.set(features.subarray(0, count * this.f), (this.seen - this.base) * this.f);
    this.seen += count;
    // Regular windows: start + W < n is known to hold once more than start + W packets are seen.
    const starts: number[] = [];
    if (this.w === 1) {
      for (; this.nextStart < this.seen; this.nextStart++) starts.push(this.nextStart);
    } else {
      for (; this.nextStart + this.w < this.seen; this.nextStart += this.stride) starts.push(this.nextStart);
    }
    await this.scoreWindows(starts);
    // A packet is final when no later window can cover it: W more packets seen (1 for W = 1).
    const ready = this.w === 1 ? this.seen : Math.max(this.emitted, this.seen - this.w);
    return this.emit(ready);
  }

  /** Ends the current run: scores its last window and emits the rest of its packets. */
  async endRun(): Promise<StreamLabels> {
    if (this.seen === 0) return this.emit(0);
    // The contract's last window, max(0, n - W): always after the regular ones (they have start + W < n).
    if (this.w > 1) await this.scoreWindows([Math.max(0, this.seen - this.w)]);
    const out = this.emit(this.seen);
    this.streamOffset += this.seen;
    this.seen = 0;
    this.base = 0;
    this.nextStart = 0;
    this.emitted = 0;
    this.counts.fill(0);
    this.sums.fill(0);
    return out;
  }

  private ensureCapacity(rowsNeeded: number): void {
    const capacity = this.counts.length;
    if (rowsNeeded <= capacity) return;
    const next = Math.max(rowsNeeded, capacity * 2);
    const rows = new Float32Array(next * this.f);
    rows.set(this.rows);
    const sums = new Float64Array(next * this.c);
    sums.set(this.sums);
    const counts = new Uint16Array(next);
    counts.set(this.counts);
    this.rows = rows;
    this.sums = sums;
    this.counts = counts;
  }

  private async scoreWindows(starts: readonly number[]): Promise<void> {
    if (starts.length === 0) return;
    const { f, w, c } = this;
    const batch = new Float32Array(starts.length * w * f);
    const valid = starts.map((s) => Math.min(w, this.seen - s));
    starts.forEach((s, j) => {
      const from = (s - this.base) * f;
      batch.set(this.rows.subarray(from, from + valid[j] * f), j * w * f);
    });
    const probs = await this.scorer.score(batch, starts.length);
    starts.forEach((s, j) => {
      let o = j * w * c;
      for (let p = 0; p < valid[j]; p++) {
        const slot = s + p - this.base;
        for (let k = 0; k < c; k++) this.sums[slot * c + k] += probs[o++];
        this.counts[slot]++;
      }
    });
  }

  /** Emits packets [emitted, upTo) of the current run and drops rows no open window needs. */
  private emit(upTo: number): StreamLabels {
    const from = this.emitted - this.base;
    const n = Math.max(0, upTo - this.base - from);
    const c = this.c;
    const means = new Float32Array(n * c);
    for (let i = 0; i < n; i++) {
      const slot = from + i;
      const count = this.counts[slot];
      if (count === 0) throw new Error(`stream packet ${this.emitted + i} is covered by no window`);
      for (let k = 0; k < c; k++) means[i * c + k] = this.sums[slot * c + k] / count;
    }
    const first = this.streamOffset + this.emitted;
    this.emitted = Math.max(this.emitted, upTo);
    this.compact();
    return { first, ...labelsFromProbabilities(means, c, this.threshold, this.keep) };
  }

  /** Drops rows before both the first unemitted packet and the next window's start. */
  private compact(): void {
    const keepFrom = Math.min(this.emitted, this.nextStart, Math.max(0, this.seen - this.w));
    const drop = keepFrom - this.base;
    if (drop <= 0 || drop < this.counts.length / 2) return;
    const live = this.seen - keepFrom;
    this.rows.copyWithin(0, drop * this.f, (drop + live) * this.f);
    this.sums.copyWithin(0, drop * this.c, (drop + live) * this.c);
    this.counts.copyWithin(0, drop, drop + live);
    this.sums.fill(0, live * this.c);
    this.counts.fill(0, live);
    this.base = keepFrom;
  }
}
