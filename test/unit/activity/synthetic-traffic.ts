/**
 * Synthetic packet traces for the activity tests: heartbeats, uploads, streams, with a seeded
 * generator so every run sees the same packets.
 */
import type { BusySpan } from '../../../src-main/shared/audit-types.ts';
import { mulberry32 } from '../../../src-main/views/seeded-random.ts';
import { Direction } from '../../../src-main/views/view-packet.ts';

export interface SyntheticPacket {
  ts: number;
  size: number;
  direction: Direction;
}

/** Deterministic uniform [0, 1) generator: the engine's own mulberry32. */
export const seeded = mulberry32;

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

/** A busy span of a timeline from `start` to `end` (seconds, its bins the same), with plain figures. */
export function busySpan(start: number, end: number, routine = false): BusySpan {
  return {
    start,
    end,
    duration: end - start,
    packets: 10,
    bytesUp: 1000,
    bytesDown: 0,
    bytesLocal: 0,
    peakBytesPerSecond: 100,
    peakPacketsPerSecond: 1,
    unusualPackets: 0,
    description: '',
    routine,
    routinePeriod: routine ? 300 : null,
    binStart: start,
    binEnd: end,
  };
}
