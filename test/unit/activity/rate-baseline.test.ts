import { describe, expect, it } from 'vitest';
import {
  BUCKETS_PER_OCTAVE,
  RateBaseline,
  bucketOf,
  bucketValue,
} from '../../../src-main/activity/rate-baseline.ts';

const RESOLUTION = Math.pow(2, 1 / BUCKETS_PER_OCTAVE);

describe('RateBaseline', () => {
  it('gives quantiles to within one bucket', () => {
    const b = new RateBaseline(1000);
    for (let v = 1; v <= 999; v++) b.add(v);
    expect(b.count).toBe(999);
    expect(b.quantile(0.5) / 500).toBeGreaterThan(1 / RESOLUTION);
    expect(b.quantile(0.5) / 500).toBeLessThan(RESOLUTION);
    expect(b.quantile(0.99) / 989).toBeGreaterThan(1 / RESOLUTION);
    expect(b.quantile(0.99) / 989).toBeLessThan(RESOLUTION);
  });

  it('forgets the oldest values when full', () => {
    const b = new RateBaseline(10);
    for (let i = 0; i < 10; i++) b.add(100_000);
    for (let i = 0; i < 10; i++) b.add(50);
    expect(b.count).toBe(10);
    expect(b.quantile(1)).toBeLessThan(50 * RESOLUTION);
  });

  it('is 0 when empty and after clear', () => {
    const b = new RateBaseline(4);
    expect(b.quantile(0.5)).toBe(0);
    b.add(7);
    b.clear();
    expect(b.quantile(0.5)).toBe(0);
    expect(b.count).toBe(0);
  });

  it('maps values to buckets and back', () => {
    expect(bucketOf(1)).toBe(0);
    expect(bucketValue(0)).toBe(1);
    for (const v of [2, 100, 1234, 1e6]) {
      const back = bucketValue(bucketOf(v));
      expect(back / v).toBeLessThan(RESOLUTION);
      expect(v / back).toBeLessThan(RESOLUTION);
    }
    expect(bucketOf(1e300)).toBe(bucketOf(1e200));
  });
});
