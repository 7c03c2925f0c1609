/**
 * A bounded map of flows keyed by two exact numbers (each below 2^53, e.g. an IPv4 address and a
 * port packed together), for the per-packet flow tables. Number keys avoid building and hashing
 * a string per packet.
 *
 * The two numbers are mixed into one 32-bit Map key; entries keep their exact numbers and a lookup
 * compares them, probing the following keys on a (rare) collision. Probing
 * never stops early at a gap, only after the longest displacement ever used, so deletions cannot
 * hide an entry.
 *
 * Bounded with approximate LRU eviction: an entry is moved to the young end only when it is no
 * longer among the newest quarter of the table (one Map lookup per hit in the common case), and
 * the eviction iterator persists so that evicting never rescans deleted entries.
 */
export interface FlowMapEntry {
  readonly keyHi: number;
  readonly keyLo: number;
  /** Map key the entry is stored under (set by the map). */
  slot: number;
  /** Recency stamp (set by the map). */
  stamp: number;
}

const TWO_POW_32 = 4294967296;

/**
 * Mixes two exact numbers (< 2^53) into a signed 32-bit key: a small integer that V8 keeps
 * unboxed, so a lookup allocates nothing (a 53-bit key would be a heap number per packet).
 * Collisions are resolved by probing and comparing the exact numbers.
 */
export function mixFlowKey(hi: number, lo: number): number {
  const hiLow = hi | 0;
  const hiHigh = (hi / TWO_POW_32) | 0;
  const loLow = lo | 0;
  const loHigh = (lo / TWO_POW_32) | 0;
  let a = Math.imul(hiLow ^ Math.imul(loHigh, 0x85ebca6b), 0x9e3779b1) ^ loLow;
  a = Math.imul(a ^ (a >>> 16), 0x7feb352d);
  a ^= a >>> 15;
  let b = Math.imul(hiHigh ^ Math.imul(loLow, 0xc2b2ae35), 0x27d4eb2f) ^ a;
  b = Math.imul(b ^ (b >>> 15), 0x846ca68b);
  return (b ^ (b >>> 16)) | 0;
}

export class FlowMap<T extends FlowMapEntry> {
  private readonly map = new Map<number, T>();
  private maxProbe = 0;
  private clock = 0;
  private readonly freshWindow: number;
  private eviction: MapIterator<T> | null = null;

  constructor(readonly capacity: number) {
    this.freshWindow = Math.max(1, capacity >>> 2);
  }

  get size(): number {
    return this.map.size;
  }

  /** The entry with these exact numbers, marked as recently used; undefined when absent. */
  find(hi: number, lo: number): T | undefined {
    const key = mixFlowKey(hi, lo);
    for (let d = 0; d <= this.maxProbe; d++) {
      const slot = (key + d) | 0;
      const entry = this.map.get(slot);
      if (entry !== undefined && entry.keyHi === hi && entry.keyLo === lo) {
        if (this.clock - entry.stamp > this.freshWindow) {
          this.map.delete(slot);
          this.map.set(slot, entry);
          entry.stamp = ++this.clock;
        }
        return entry;
      }
    }
    return undefined;
  }

  /**
   * Adds an entry known to be absent. When the map is full the least recently used entry is
   * removed first and returned (so the caller can release what it held).
   */
  insert(entry: T): T | undefined {
    const evicted = this.map.size >= this.capacity ? this.evictOldest() : undefined;
    const key = mixFlowKey(entry.keyHi, entry.keyLo);
    let d = 0;
    let slot = key;
    while (this.map.has(slot)) {
      d++;
      slot = (key + d) | 0;
    }
    if (d > this.maxProbe) this.maxProbe = d;
    entry.slot = slot;
    entry.stamp = ++this.clock;
    this.map.set(slot, entry);
    return evicted;
  }

  remove(entry: T): void {
    if (this.map.get(entry.slot) === entry) this.map.delete(entry.slot);
  }

  /** Iterates the entries, oldest first (deleting during iteration is safe). */
  values(): MapIterator<T> {
    return this.map.values();
  }

  clear(): void {
    this.map.clear();
    this.maxProbe = 0;
    this.eviction = null;
  }

  private evictOldest(): T | undefined {
    this.eviction ??= this.map.values();
    let oldest = this.eviction.next();
    if (oldest.done === true) {
      this.eviction = this.map.values();
      oldest = this.eviction.next();
      if (oldest.done === true) return undefined;
    }
    this.map.delete(oldest.value.slot);
    return oldest.value;
  }
}

/** Index of a protocol in packed keys: TCP 1, UDP 2, anything else 3 (0 stays unused). */
export function protoIndex(proto: number): number {
  return proto === 6 ? 1 : proto === 17 ? 2 : 3;
}

/** Packs protocol index, an IPv4 address and a port (−1 allowed) into one exact number below 2^51. */
export function packEndpoint(protoIdx: number, ipv4: number, port: number): number {
  return (protoIdx * TWO_POW_32 + ipv4) * 131072 + (port + 1);
}

/** Packs an IPv4 address and a port (−1 allowed) into one exact number below 2^49. */
export function packAddressPort(ipv4: number, port: number): number {
  return ipv4 * 131072 + (port + 1);
}
