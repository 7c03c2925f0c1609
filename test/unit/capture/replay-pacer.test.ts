import { describe, expect, it } from 'vitest';
import type { RawPacket } from '../../../src-main/capture/packet-source.ts';
import { ReplayPacer, type PacerClock } from '../../../src-main/capture/replay-pacer.ts';

/** A clock that only moves when told to, or when slept on (then it jumps to the wake-up time). */
class FakeClock implements PacerClock {
  t = 0;
  readonly sleeps: number[] = [];
  now(): number {
    return this.t;
  }
  sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    this.t += ms;
    return Promise.resolve();
  }
}

/** A clock whose sleeps last until aborted. */
class StuckClock implements PacerClock {
  sleeping = 0;
  now(): number {
    return 0;
  }
  sleep(_ms: number, signal: AbortSignal): Promise<void> {
    this.sleeping++;
    return new Promise((resolve) => {
      signal.addEventListener('abort', () => {
        resolve();
      });
    });
  }
}

function packets(...ts: number[]): RawPacket[] {
  return ts.map((t, index) => ({
    ts: t,
    caplen: 0,
    origLen: 0,
    linkType: 1,
    bytes: new Uint8Array(0),
    index,
  }));
}

/** Delivers every batch, recording each run's packet indexes and the clock time it came out. */
async function replay(
  pacer: ReplayPacer,
  clock: FakeClock,
  batches: RawPacket[][],
): Promise<[number, number[]][]> {
  const runs: [number, number[]][] = [];
  for (const batch of batches) {
    for await (const run of pacer.deliver(batch)) runs.push([clock.t, run.map((p) => p.index)]);
  }
  return runs;
}

/** Lets pending promise callbacks run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

describe('ReplayPacer', () => {
  it('passes batches straight through at max speed', async () => {
    const clock = new FakeClock();
    const pacer = new ReplayPacer({ speed: 'max' }, clock);
    const batch = packets(1, 100, 10_000);
    const out: (readonly RawPacket[])[] = [];
    for await (const run of pacer.deliver(batch)) out.push(run);
    expect(out).toHaveLength(1);
    expect(out[0]).toBe(batch);
    expect(clock.sleeps).toEqual([]);
  });

  it('spaces packets by their timestamp deltas divided by the speed, splitting batches', async () => {
    const clock = new FakeClock();
    const pacer = new ReplayPacer({ speed: 2 }, clock);
    const runs = await replay(pacer, clock, [packets(10, 10.5, 10.5, 12)]);
    expect(runs).toEqual([
      [0, [0]],
      [250, [1, 2]],
      [1000, [3]],
    ]);
    expect(clock.sleeps).toEqual([250, 750]);
  });

  it('changes speed from the next packet on, without jumping ahead or waiting for time passed', async () => {
    const clock = new FakeClock();
    const pacer = new ReplayPacer({ speed: 1 }, clock);
    const runs = await replay(pacer, clock, [packets(0, 1)]);
    pacer.setSpeed(10);
    runs.push(...(await replay(pacer, clock, [packets(2, 12)])));
    pacer.setSpeed('max');
    runs.push(...(await replay(pacer, clock, [packets(100, 1000)])));
    expect(runs).toEqual([
      [0, [0]],
      [1000, [1]],
      [1000, [0]], // anchored afresh at the next packet
      [2000, [1]], // 10 s of capture at 10x
      [2000, [0, 1]],
    ]);
    expect(() => {
      pacer.setSpeed(0);
    }).toThrow(RangeError);
  });

  it('keeps one schedule across batches', async () => {
    const clock = new FakeClock();
    const pacer = new ReplayPacer({ speed: 10 }, clock);
    const runs = await replay(pacer, clock, [packets(100, 101), packets(103, 103.5)]);
    expect(runs.map(([t]) => t)).toEqual([0, 100, 300, 350]);
  });

  it('does not drift when the consumer is slow: overdue packets come out together', async () => {
    const clock = new FakeClock();
    const pacer = new ReplayPacer({ speed: 1 }, clock);
    const runs: [number, number[]][] = [];
    for await (const run of pacer.deliver(packets(0, 0.2, 0.4, 1))) {
      runs.push([clock.t, run.map((p) => p.index)]);
      clock.t += 500; // the consumer takes half a second per run
    }
    expect(runs).toEqual([
      [0, [0]],
      [500, [1, 2]],
      [1000, [3]],
    ]);
    expect(clock.sleeps).toEqual([]);
  });

  it('delivers packets whose timestamps go backwards at once', async () => {
    const clock = new FakeClock();
    const pacer = new ReplayPacer({ speed: 1 }, clock);
    const runs = await replay(pacer, clock, [packets(5, 4, 6)]);
    expect(runs).toEqual([
      [0, [0, 1]],
      [1000, [2]],
    ]);
  });

  it('stops the clock while paused', async () => {
    const clock = new FakeClock();
    const pacer = new ReplayPacer({ speed: 2 }, clock);
    const it = pacer.deliver(packets(10, 10.5, 12))[Symbol.asyncIterator]();
    expect((await it.next()).value).toHaveLength(1);
    pacer.pause();
    let next: IteratorResult<readonly RawPacket[]> | null = null;
    const pending = it.next().then((r) => (next = r));
    await settle();
    expect(next).toBeNull();
    clock.t += 5000;
    pacer.resume();
    await pending;
    expect(clock.t).toBe(5250);
    expect(next!.value).toHaveLength(1);
    await it.next();
    expect(clock.t).toBe(6000);
    expect(clock.sleeps).toEqual([250, 750]);
  });

  it('holds max-speed delivery while paused', async () => {
    const pacer = new ReplayPacer({ speed: 'max' }, new FakeClock());
    pacer.pause();
    let delivered = false;
    const done = (async () => {
      for await (const _run of pacer.deliver(packets(1))) delivered = true;
    })();
    await settle();
    expect(delivered).toBe(false);
    pacer.resume();
    await done;
    expect(delivered).toBe(true);
  });

  it('ends a wait at once on stop', async () => {
    const clock = new StuckClock();
    const pacer = new ReplayPacer({ speed: 1 }, clock);
    const runs: number[] = [];
    const done = (async () => {
      for await (const run of pacer.deliver(packets(0, 3600))) runs.push(run.length);
    })();
    await settle();
    expect(clock.sleeping).toBe(1);
    pacer.stop();
    await done;
    expect(runs).toEqual([1]);
  });

  it('rejects a speed that is not positive', () => {
    expect(() => new ReplayPacer({ speed: 0 })).toThrow(RangeError);
    expect(() => new ReplayPacer({ speed: -1 })).toThrow(RangeError);
    expect(() => new ReplayPacer({ speed: Number.NaN })).toThrow(RangeError);
  });
});
