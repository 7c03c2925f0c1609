import { describe, expect, it } from 'vitest';
import { OpenBusySpan } from '../../../src-main/activity/open-busy-span.ts';
import { RateBin } from '../../../src-main/activity/rate-bin.ts';
import { Direction } from '../../../src-main/views/view-packet.ts';

const BIN = 10;
const B0 = 170_000_000; // bin index; its start is B0 * BIN seconds

/** A bin holding the given packets (ts offsets from the bin's start). */
function bin(
  index: number,
  packets: { at: number; size: number; direction: Direction; novel?: boolean }[],
): RateBin {
  const b = new RateBin();
  for (const p of packets) b.add(index * BIN + p.at, p.size, p.direction, p.novel ?? false);
  return b;
}

describe('RateBin', () => {
  it('sums bytes per direction and remembers the first internet packet’s direction', () => {
    const b = bin(B0, [
      { at: 1, size: 80, direction: Direction.LOCAL },
      { at: 2, size: 500, direction: Direction.DOWN, novel: true },
      { at: 3, size: 300, direction: Direction.UP },
    ]);
    expect([b.packets, b.bytesUp, b.bytesDown, b.bytesLocal, b.bytes]).toEqual([3, 300, 500, 80, 880]);
    expect([b.novelPackets, b.novelBytes]).toEqual([1, 500]);
    expect([b.firstTs, b.lastTs]).toEqual([B0 * BIN + 1, B0 * BIN + 3]);
    expect(b.firstDirection).toBe(Direction.DOWN);
    b.clear();
    expect([b.packets, b.bytes, b.firstDirection]).toEqual([0, 0, -1]);
  });
});

describe('OpenBusySpan', () => {
  it('sums the evidence of its warm bins and ends at the last of them', () => {
    const span = new OpenBusySpan(BIN, 3);
    const first = bin(B0, [
      { at: 2, size: 1000, direction: Direction.UP },
      { at: 3, size: 1000, direction: Direction.UP },
    ]);
    expect(span.start(first, B0, null, false, false)).toBe(B0 * BIN);
    expect(span.isOpen).toBe(true);
    span.extend(
      bin(B0 + 1, [
        { at: 0, size: 4000, direction: Direction.UP },
        { at: 5, size: 200, direction: Direction.DOWN },
      ]),
      B0 + 1,
      true,
    );
    expect(span.end).toBe((B0 + 2) * BIN);
    // three quiet bins: the third ends the span, and their packets are not its evidence
    expect(span.hold(bin(B0 + 2, [{ at: 1, size: 100, direction: Direction.UP }]))).toBe(false);
    expect(span.hold(new RateBin())).toBe(false);
    expect(span.hold(new RateBin())).toBe(true);
    const { span: ended, firstSpeaker } = span.finish(0);
    expect(span.isOpen).toBe(false);
    expect(firstSpeaker).toBe(Direction.UP);
    expect(ended).toMatchObject({
      start: B0 * BIN + 2,
      end: (B0 + 1) * BIN + 5,
      duration: 13,
      packets: 4,
      bytesUp: 6000,
      bytesDown: 200,
      bytesLocal: 0,
      peakBytesPerSecond: 4200 / BIN,
      peakPacketsPerSecond: 2 / BIN,
      unusualPackets: 0,
      description: 'uploaded 6.0 kB over 13 s',
      routine: false,
      routinePeriod: null,
      binStart: B0 * BIN,
      binEnd: (B0 + 2) * BIN,
    });
  });

  it('joins held quiet bins to the span when a warm bin follows them', () => {
    const span = new OpenBusySpan(BIN, 3);
    span.start(bin(B0, [{ at: 0, size: 3000, direction: Direction.UP }]), B0, null, false, false);
    span.hold(bin(B0 + 1, [{ at: 0, size: 700, direction: Direction.DOWN, novel: true }]));
    span.hold(new RateBin());
    span.extend(bin(B0 + 3, [{ at: 9, size: 1500, direction: Direction.UP }]), B0 + 3, false);
    const { span: ended } = span.finish(0);
    expect([ended.packets, ended.bytesUp, ended.bytesDown, ended.unusualPackets]).toEqual([3, 4500, 700, 1]);
    expect(ended.end).toBe((B0 + 3) * BIN + 9);
    expect(ended.binEnd).toBe((B0 + 4) * BIN);
  });

  it('starts at the bin before when the burst straddles two bins', () => {
    const span = new OpenBusySpan(BIN, 3);
    const previous = bin(B0 - 1, [{ at: 8, size: 1200, direction: Direction.DOWN }]);
    const current = bin(B0, [{ at: 1, size: 1100, direction: Direction.UP }]);
    expect(span.start(current, B0, previous, false, false)).toBe((B0 - 1) * BIN);
    const { span: ended, firstSpeaker } = span.finish(0);
    expect([ended.start, ended.packets, ended.bytesDown, ended.bytesUp]).toEqual([
      (B0 - 1) * BIN + 8,
      2,
      1200,
      1100,
    ]);
    expect(ended.peakBytesPerSecond).toBe(1200 / BIN);
    expect(firstSpeaker).toBe(Direction.DOWN); // the far end spoke first, in the bin before
    expect(ended.binStart).toBe((B0 - 1) * BIN);
  });

  it('cannot tell who spoke first when the span did not start out of silence', () => {
    const span = new OpenBusySpan(BIN, 3);
    span.start(bin(B0, [{ at: 1, size: 3000, direction: Direction.DOWN }]), B0, null, true, false);
    expect(span.finish(0).firstSpeaker).toBe(-1);
    span.start(bin(B0, [{ at: 1, size: 3000, direction: Direction.LOCAL }]), B0, null, false, false);
    expect(span.finish(0).firstSpeaker).toBe(-1); // LAN packets say nothing of who spoke
  });

  it('describes a span its unusual packets started, until a loud bin joins it', () => {
    const span = new OpenBusySpan(BIN, 3);
    const small = bin(B0, [
      { at: 1, size: 400, direction: Direction.DOWN, novel: true },
      { at: 2, size: 300, direction: Direction.UP, novel: true },
    ]);
    span.start(small, B0, null, false, true);
    const quiet = span.finish(0).span;
    expect(quiet.description).toBe('exchanged 700 B over 1 s, unlike its usual traffic');
    expect(quiet.unusualPackets).toBe(2);

    span.start(small, B0, null, false, true);
    span.extend(bin(B0 + 1, [{ at: 0, size: 9000, direction: Direction.UP }]), B0 + 1, true);
    expect(span.finish(0).span.description).toBe('uploaded 9.3 kB over 9 s');
  });

  it('cuts its segment at the floor it is given', () => {
    const span = new OpenBusySpan(BIN, 3);
    span.start(bin(B0, [{ at: 0, size: 3000, direction: Direction.UP }]), B0, null, false, false);
    expect(span.finish((B0 + 1) * BIN).span.binStart).toBe((B0 + 1) * BIN);
  });
});
