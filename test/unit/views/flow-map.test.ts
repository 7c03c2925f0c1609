import { describe, expect, it } from 'vitest';
import {
  FlowMap,
  mixFlowKey,
  packAddressPort,
  packEndpoint,
  type FlowMapEntry,
} from '../../../src-main/views/flow-map.ts';

interface Entry extends FlowMapEntry {
  id: number;
}
const entry = (keyHi: number, keyLo: number, id: number): Entry => ({ keyHi, keyLo, slot: 0, stamp: 0, id });

describe('FlowMap', () => {
  it('packs exact keys below 2^53 and mixes them into 32-bit map keys', () => {
    const hi = packEndpoint(3, 0xffffffff, 65535);
    const lo = packAddressPort(0xffffffff, 65535);
    expect(Number.isSafeInteger(hi) && Number.isSafeInteger(lo)).toBe(true);
    expect(packAddressPort(1, -1)).not.toBe(packAddressPort(0, 131071 - 1));
    const k = mixFlowKey(hi, lo);
    expect(k).toBe(k | 0);
    expect(mixFlowKey(hi, lo + 1)).not.toBe(k);
  });

  it('finds entries by their exact numbers and removes them', () => {
    const map = new FlowMap<Entry>(100);
    for (let i = 0; i < 50; i++)
      map.insert(entry(packEndpoint(1, 0xc0a80100 + i, 40000), packAddressPort(0x08080808, 443), i));
    expect(map.size).toBe(50);
    const e = map.find(packEndpoint(1, 0xc0a80100 + 7, 40000), packAddressPort(0x08080808, 443));
    expect(e?.id).toBe(7);
    expect(
      map.find(packEndpoint(2, 0xc0a80100 + 7, 40000), packAddressPort(0x08080808, 443)),
    ).toBeUndefined();
    map.remove(e!);
    expect(map.find(e!.keyHi, e!.keyLo)).toBeUndefined();
    expect(map.size).toBe(49);
  });

  it('finds every entry when 32-bit keys collide (birthday bound: a few among 200 000)', () => {
    const n = 200_000;
    const map = new FlowMap<Entry>(n);
    const keys = new Set<number>();
    let collisions = 0;
    for (let i = 0; i < n; i++) {
      const hi = packEndpoint(1, 0x0a000000 + i, 40000 + (i % 7));
      const lo = packAddressPort(0x08080808 + (i % 13), 443);
      const k = mixFlowKey(hi, lo);
      if (keys.has(k)) collisions++;
      keys.add(k);
      map.insert(entry(hi, lo, i));
    }
    expect(collisions).toBeGreaterThan(0);
    for (let i = 0; i < n; i++) {
      const hi = packEndpoint(1, 0x0a000000 + i, 40000 + (i % 7));
      const lo = packAddressPort(0x08080808 + (i % 13), 443);
      expect(map.find(hi, lo)?.id).toBe(i);
    }
  });

  it('evicts the least recently used entry when full', () => {
    const map = new FlowMap<Entry>(8);
    for (let i = 0; i < 8; i++) map.insert(entry(i, 0, i));
    // Touch the oldest half so that they move past the fresh window.
    for (let i = 0; i < 4; i++) expect(map.find(i, 0)?.id).toBe(i);
    const evicted: number[] = [];
    for (let i = 8; i < 12; i++) evicted.push(map.insert(entry(i, 0, i))!.id);
    expect(evicted).toEqual([4, 5, 6, 7]);
    expect(map.size).toBe(8);
  });
});
