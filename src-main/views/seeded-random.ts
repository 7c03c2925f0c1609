/**
 * A small seeded pseudo-random generator (mulberry32) for every random choice of the engine and
 * the evaluation (a NAPT router's port pick, a VPN client's source port, the forests' bagging, the
 * in-home observer's samples, the spliced-upload schedule), so that the same input always gives
 * the same result.
 */
export class SeededRandom {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Next value in [0, 2^32). */
  nextU32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Next integer in [0, n) for 0 < n ≤ 2^32. */
  nextInt(n: number): number {
    return this.nextU32() % n;
  }
}

/** mulberry32 as a function returning numbers in [0, 1): the same stream as SeededRandom's nextU32 / 2^32. */
export function mulberry32(seed: number): () => number {
  const r = new SeededRandom(seed);
  return () => r.nextU32() / 4294967296;
}
