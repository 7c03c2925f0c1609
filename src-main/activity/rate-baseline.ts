/**
 * A running quantile over the last N positive values (per-bin byte or packet counts), in fixed
 * memory: a ring of the last N bucket indices and a histogram over logarithmic buckets. Adding a
 * value and reading a quantile cost O(1) and O(buckets); nothing is allocated after construction.
 *
 * Buckets are `BUCKETS_PER_OCTAVE` per doubling (about 9 % wide), so a quantile is exact to that
 * resolution — ample for thresholds that are a factor of several above the baseline. Results
 * depend only on the values added, in order, so a replay gives the same baseline as a live run.
 */

/** Buckets per doubling of the value. */
export const BUCKETS_PER_OCTAVE = 8;
/** Values up to 2^40 are told apart; larger ones share the last bucket. */
const OCTAVES = 40;
const BUCKETS = BUCKETS_PER_OCTAVE * OCTAVES;

/** Bucket of a positive value: floor(log2(v) × BUCKETS_PER_OCTAVE), clamped to the table. */
export function bucketOf(value: number): number {
  if (!(value > 1)) return 0;
  const b = Math.floor(Math.log2(value) * BUCKETS_PER_OCTAVE);
  return b < BUCKETS ? b : BUCKETS - 1;
}

/** The value a bucket stands for: its geometric middle (bucket 0 stands for 1). */
export function bucketValue(bucket: number): number {
  return bucket === 0 ? 1 : Math.pow(2, (bucket + 0.5) / BUCKETS_PER_OCTAVE);
}

export class RateBaseline {
  readonly capacity: number;
  private readonly ring: Uint16Array;
  private readonly histogram: Uint32Array;
  private next = 0;
  private size = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError('RateBaseline capacity must be a positive integer');
    this.capacity = capacity;
    this.ring = new Uint16Array(capacity);
    this.histogram = new Uint32Array(BUCKETS);
  }

  /** Values remembered (at most `capacity`). */
  get count(): number {
    return this.size;
  }

  /** Remembers a value (> 0), forgetting the oldest one when full. */
  add(value: number): void {
    const bucket = bucketOf(value);
    if (this.size === this.capacity) this.histogram[this.ring[this.next]]--;
    else this.size++;
    this.ring[this.next] = bucket;
    this.histogram[bucket]++;
    this.next = this.next + 1 === this.capacity ? 0 : this.next + 1;
  }

  /** The q-quantile (0 < q ≤ 1) of the remembered values, or 0 when none are. */
  quantile(q: number): number {
    if (this.size === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.size));
    let seen = 0;
    for (let b = 0; b < BUCKETS; b++) {
      seen += this.histogram[b];
      if (seen >= rank) return bucketValue(b);
    }
    return bucketValue(BUCKETS - 1);
  }

  /** Forgets everything. */
  clear(): void {
    this.histogram.fill(0);
    this.next = 0;
    this.size = 0;
  }
}
