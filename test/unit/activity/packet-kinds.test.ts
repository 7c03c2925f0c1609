import { describe, expect, it } from 'vitest';
import { PacketKindHistory, type PacketKindOptions } from '../../../src-main/activity/packet-kinds.ts';
import { Direction } from '../../../src-main/views/view-packet.ts';

const T0 = 1_700_000_100; // on a 300-s window edge
const W = 300;
const OPTIONS: PacketKindOptions = {
  windowSeconds: W,
  historyWindows: 24,
  familiarShare: 1 / 3,
  minWindows: 12,
  bucketBytes: 8,
  maxBytes: 2048,
};

/** A 123-byte request and its 123-byte answer every 60 s over windows [from, to). */
function heartbeatWindows(kinds: PacketKindHistory, from: number, to: number): boolean[] {
  const novel: boolean[] = [];
  for (let t = T0 + from * W; t < T0 + to * W; t += 60) {
    novel.push(kinds.observe(t, 123, Direction.UP), kinds.observe(t + 0.1, 123, Direction.DOWN));
  }
  return novel;
}

describe('PacketKindHistory', () => {
  it('judges nothing novel before it remembers minWindows windows', () => {
    const kinds = new PacketKindHistory(OPTIONS);
    expect(kinds.observe(T0, 500, Direction.DOWN)).toBe(false);
    heartbeatWindows(kinds, 0, 11);
    expect(kinds.windows).toBe(10);
    expect(kinds.observe(T0 + 11 * W - 1, 777, Direction.DOWN)).toBe(false);
    expect(kinds.observe(T0 + 12 * W, 777, Direction.DOWN)).toBe(false); // 11 windows remembered
    expect(kinds.observe(T0 + 13 * W, 999, Direction.DOWN)).toBe(true); // 12 remembered
  });

  it('knows a heartbeat, calls other sizes novel and gives LAN-only packets no kind', () => {
    const kinds = new PacketKindHistory(OPTIONS);
    expect(heartbeatWindows(kinds, 0, 30).slice(-20)).toEqual(new Array<boolean>(20).fill(false));
    const t = T0 + 30 * W + 7;
    expect(kinds.observe(t, 267, Direction.DOWN)).toBe(true); // a command from the cloud
    expect(kinds.observe(t + 0.1, 235, Direction.UP)).toBe(true); // the status report it triggers
    expect(kinds.observe(t + 0.2, 777, Direction.LOCAL)).toBe(false); // LAN-only packets have no kind
    expect(kinds.observe(t + 0.3, 120, Direction.UP)).toBe(false); // same 8-byte bucket as 123
    // seen again in the same window: still judged against the windows before
    expect(kinds.observe(t + 10, 267, Direction.DOWN)).toBe(true);
  });

  it('makes a kind familiar once it shows in a third of the remembered windows, not before', () => {
    const kinds = new PacketKindHistory(OPTIONS);
    heartbeatWindows(kinds, 0, 24);
    // a sync every third window (15 min) becomes familiar; one every fourth (20 min) does not
    const at = (w: number): number => T0 + w * W + 30;
    const third: boolean[] = [];
    const fourth: boolean[] = [];
    for (let w = 24; w < 72; w++) {
      kinds.observe(at(w), 123, Direction.UP); // keeps every window one with traffic
      if (w % 3 === 0) third.push(kinds.observe(at(w) + 1, 400, Direction.DOWN));
      if (w % 4 === 0) fourth.push(kinds.observe(at(w) + 2, 700, Direction.DOWN));
    }
    expect(third.slice(-4)).toEqual([false, false, false, false]);
    expect(fourth.slice(-4)).toEqual([true, true, true, true]);
    expect(kinds.observe(at(72), 400, Direction.UP)).toBe(true); // a familiar size, the other way
  });

  it('needs the share in the windows before the open one: a burst cannot make itself familiar', () => {
    const kinds = new PacketKindHistory(OPTIONS);
    // 24 windows remembered, so familiar means seen in 8 of them; this kind is in 7
    for (let w = 0; w < 24; w++) {
      kinds.observe(T0 + w * W, 123, Direction.UP);
      if (w % 3 === 0 && w > 0) kinds.observe(T0 + w * W + 1, 400, Direction.DOWN);
    }
    const t = T0 + 24 * W;
    expect(kinds.observe(t, 400, Direction.DOWN)).toBe(true);
    expect(kinds.observe(t + 1, 400, Direction.DOWN)).toBe(true);
    expect(kinds.observe(t + W, 400, Direction.DOWN)).toBe(false); // now in 8 of the 24 before
  });

  it('counts only windows with traffic, so a gap between captures changes nothing', () => {
    const kinds = new PacketKindHistory(OPTIONS);
    heartbeatWindows(kinds, 0, 24);
    const later = T0 + 24 * W + 18 * 3600; // 18 hours without a packet
    expect(kinds.observe(later, 123, Direction.UP)).toBe(false);
    expect(kinds.observe(later + 0.1, 123, Direction.DOWN)).toBe(false);
    expect(kinds.windows).toBe(24);
  });

  it('forgets a kind after historyWindows windows without it', () => {
    const kinds = new PacketKindHistory(OPTIONS);
    for (let w = 0; w < 24; w++) {
      kinds.observe(T0 + w * W, 123, Direction.UP);
      kinds.observe(T0 + w * W + 1, 600, Direction.DOWN);
    }
    for (let w = 24; w < 48; w++) kinds.observe(T0 + w * W, 123, Direction.UP);
    expect(kinds.observe(T0 + 48 * W, 123, Direction.UP)).toBe(false);
    expect(kinds.observe(T0 + 48 * W + 1, 600, Direction.DOWN)).toBe(true);
  });

  it('puts sizes beyond maxBytes in the last bucket and starts over on clear', () => {
    const kinds = new PacketKindHistory(OPTIONS);
    for (let w = 0; w < 24; w++) kinds.observe(T0 + w * W, 4000, Direction.DOWN);
    expect(kinds.observe(T0 + 24 * W, 65_000, Direction.DOWN)).toBe(false);
    kinds.clear();
    expect(kinds.windows).toBe(0);
    expect(kinds.observe(T0 + 25 * W, 999, Direction.UP)).toBe(false);
  });

  it('rejects options it cannot use', () => {
    expect(() => new PacketKindHistory({ ...OPTIONS, historyWindows: 32 })).toThrow(RangeError);
    expect(() => new PacketKindHistory({ ...OPTIONS, minWindows: 25 })).toThrow(RangeError);
    expect(() => new PacketKindHistory({ ...OPTIONS, familiarShare: 0 })).toThrow(RangeError);
    expect(() => new PacketKindHistory({ ...OPTIONS, windowSeconds: 0 })).toThrow(RangeError);
    expect(() => new PacketKindHistory({ ...OPTIONS, bucketBytes: 0 })).toThrow(RangeError);
  });
});
