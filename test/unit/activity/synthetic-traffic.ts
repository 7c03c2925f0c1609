/**
 * Synthetic packet traces for the activity tests: heartbeats, uploads, streams, with a seeded
 * generator so every run sees the same packets.
 */
import { Direction } from '../../../src-main/views/view-packet.ts';

export interface SyntheticPacket {
  ts: number;
  size: number;
  direction: Direction;
}

/** Deterministic uniform [0, 1) generator (mulberry32). */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A request (up) and its answer (down) every `period` seconds in [from, to). */
export function heartbeat(from: number, to: number, period: number, size = 120): SyntheticPacket[] {
  const out: SyntheticPacket[] = [];
  for (let t = from; t < to; t += period) {
    out.push({ ts: t, size, direction: Direction.UP });
    out.push({ ts: t + 0.05, size, direction: Direction.DOWN });
  }
  return out;
}

/** `bytesPerSecond` in packets of `size` bytes, evenly spaced over [from, to), in one direction. */
export function transfer(
  from: number,
  to: number,
  bytesPerSecond: number,
  direction: Direction = Direction.UP,
  size = 1000,
): SyntheticPacket[] {
  const out: SyntheticPacket[] = [];
  const gap = size / bytesPerSecond;
  for (let t = from; t < to; t += gap) out.push({ ts: t, size, direction });
  return out;
}

/** Packets of all traces merged in time order. */
export function merge(...traces: SyntheticPacket[][]): SyntheticPacket[] {
  return traces.flat().sort((a, b) => a.ts - b.ts);
}
