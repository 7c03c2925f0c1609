/**
 * A small seeded pseudo-random generator (mulberry32) for the views' few random choices (a NAPT
 * router's port pick, a VPN client's source port), so that the same input always gives the
 * same view.
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
