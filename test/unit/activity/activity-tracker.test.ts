import { describe, expect, it } from 'vitest';
import { ActivityTracker } from '../../../src-main/activity/activity-tracker.ts';
import { HomeActivity } from '../../../src-main/activity/home-activity.ts';
import type { ActivityTimeline } from '../../../src-main/activity/activity-timeline.ts';
import { COUNTED, PLUMBING } from '../../../src-main/activity/uncounted-packets.ts';
import { Direction } from '../../../src-main/views/view-packet.ts';
import { heartbeat, merge, seeded, transfer, type SyntheticPacket } from './synthetic-traffic.ts';

const T0 = 1_700_000_000;

function run(
  packets: readonly SyntheticPacket[],
  endTs: number,
  tracker = new ActivityTracker(),
): ActivityTracker {
  for (const p of packets) tracker.push(p.ts, p.size, p.direction);
  tracker.flush(endTs);
  return tracker;
}

function secondsIn(timeline: ActivityTimeline, state: string): number {
  return timeline.segments.filter((s) => s.state === state).reduce((sum, s) => sum + s.end - s.start, 0);
}

function expectContiguous(timeline: ActivityTimeline): void {
  for (let i = 1; i < timeline.segments.length; i++) {
    expect(timeline.segments[i].start).toBe(timeline.segments[i - 1].end);
    expect(timeline.segments[i].state).not.toBe(timeline.segments[i - 1].state);
  }
}

describe('ActivityTracker', () => {
  it('keeps a silent device asleep', () => {
    const tl = run([{ ts: T0 + 3, size: 60, direction: Direction.UP }], T0 + 3600).timeline();
    expect(tl.segments).toEqual([{ state: 'asleep', start: T0, end: T0 + 3600 }]);
    expect(tl.spans).toEqual([]);
  });

  it('calls a device with rare keep-alives asleep', () => {
    const tl = run(heartbeat(T0, T0 + 7200, 600), T0 + 7200).timeline();
    expect(secondsIn(tl, 'asleep')).toBe(7200);
  });

  it.each([30, 45, 60])('calls a device with a heartbeat every %i s idle', (period) => {
    const tracker = run(heartbeat(T0, T0 + 3600, period), T0 + 3600);
    const tl = tracker.timeline();
    expect(tracker.state).toBe('idle');
    expect(tl.spans).toEqual([]);
    // Idle once three heartbeats fell into the 5-minute window, then for good.
    expect(secondsIn(tl, 'idle')).toBeGreaterThanOrEqual(3600 - 3 * period - 10);
    expect(tl.segments.length).toBe(2);
    expectContiguous(tl);
  });

  it('turns a 5-minute upload into one busy span with its evidence', () => {
    const upload = transfer(T0 + 1800, T0 + 2100, 1.6e6 / 300);
    const tl = run(merge(heartbeat(T0, T0 + 3600, 30), upload), T0 + 3600).timeline();
    expect(tl.spans).toHaveLength(1);
    const span = tl.spans[0];
    expect(span.start).toBe(T0 + 1800);
    expect(span.end).toBeCloseTo(upload[upload.length - 1].ts, 6);
    expect(span.duration).toBeCloseTo(300, 0);
    expect(span.bytesUp).toBeGreaterThanOrEqual(1.6e6);
    expect(span.bytesUp).toBeLessThan(1.6e6 + 2000);
    expect(span.bytesDown).toBeLessThan(2000);
    expect(span.bytesLocal).toBe(0);
    expect(span.packets).toBeGreaterThanOrEqual(upload.length);
    expect(span.packets).toBeLessThan(upload.length + 30);
    expect(span.peakBytesPerSecond).toBeGreaterThan(5000);
    expect(span.peakBytesPerSecond).toBeLessThan(5600);
    expect(span.description).toBe('uploaded 1.6 MB over 5 min');
    const busy = tl.segments.filter((s) => s.state === 'busy');
    expect(busy).toEqual([{ state: 'busy', start: T0 + 1800, end: T0 + 2100 }]);
    expect(tl.segments[tl.segments.length - 1]).toMatchObject({ state: 'idle', end: T0 + 3600 });
    expectContiguous(tl);
  });

  it.each([
    [Direction.DOWN, 'downloaded 1.2 MB over 1 min'],
    [Direction.LOCAL, 'exchanged 1.2 MB on the LAN over 1 min'],
  ])('names a transfer by its direction (%i)', (direction, description) => {
    const tl = run(
      merge(heartbeat(T0, T0 + 3600, 30), transfer(T0 + 1800, T0 + 1860, 20_000, direction)),
      T0 + 3600,
    ).timeline();
    expect(tl.spans.map((s) => s.description)).toEqual([description]);
  });

  it('names a two-way transfer an exchange', () => {
    const both = merge(
      transfer(T0 + 1800, T0 + 1860, 10_000, Direction.UP),
      transfer(T0 + 1800, T0 + 1860, 10_000, Direction.DOWN),
    );
    const tl = run(merge(heartbeat(T0, T0 + 3600, 30), both), T0 + 3600).timeline();
    expect(tl.spans.map((s) => s.description)).toEqual(['exchanged 1.2 MB over 1 min']);
  });

  it('does not flicker when the rate hovers around the thresholds', () => {
    const packets = heartbeat(T0, T0 + 10_800, 30);
    // After two hours of heartbeats, 10 minutes of bins alternating just above and just below the enter threshold (2 kB) ...
    for (let bin = 0; bin < 60; bin++) {
      const bytes = bin % 2 === 0 ? 2200 : 1900;
      packets.push(
        ...transfer(T0 + 7200 + bin * 10, T0 + 7200 + bin * 10 + 5, bytes / 5, Direction.UP, bytes / 4),
      );
    }
    // ... and 10 minutes of hot bins separated by one or two quiet ones.
    for (let bin = 0; bin < 60; bin++) {
      if (bin % 3 === 0 || bin % 5 === 0)
        packets.push(...transfer(T0 + 8400 + bin * 10, T0 + 8400 + bin * 10 + 5, 1000, Direction.UP, 500));
    }
    const tl = run(merge(packets), T0 + 10_800).timeline();
    expect(tl.spans).toHaveLength(2);
    expect(tl.spans[0].duration).toBeGreaterThan(590);
    expect(tl.spans[1].duration).toBeGreaterThan(560);
  });

  it('does not keep a device that always streams a little permanently busy, and still sees its bursts', () => {
    const random = seeded(7);
    const packets: SyntheticPacket[] = [];
    for (let t = T0; t < T0 + 7200; t += 0.3 + 0.07 * (random() - 0.5))
      packets.push({ ts: t, size: 900, direction: Direction.UP });
    const burst = transfer(T0 + 3600, T0 + 3720, 30_000);
    const tl = run(merge(packets, burst), T0 + 7200).timeline();
    expect(secondsIn(tl, 'busy')).toBeLessThan(0.05 * 7200);
    const late = tl.spans.filter((s) => s.start > T0 + 600);
    expect(late).toHaveLength(1);
    expect(late[0].start).toBeCloseTo(T0 + 3600, 0);
    expect(late[0].end).toBeCloseTo(T0 + 3720, 0);
    expect(secondsIn(tl, 'idle')).toBeGreaterThan(0.9 * 7200);
  });

  it('takes a burst the device makes on a timer of its own for routine, not busy', () => {
    const packets = heartbeat(T0, T0 + 6 * 3600, 30);
    for (let t = T0 + 60; t < T0 + 6 * 3600; t += 180)
      packets.push(...transfer(t, t + 3, 1500, Direction.DOWN, 500));
    const tl = run(merge(packets), T0 + 6 * 3600).timeline();
    const late = tl.spans.filter((s) => s.start > T0 + 3 * 3600);
    expect(late.length).toBeGreaterThan(0);
    expect(late.every((s) => s.routine)).toBe(true);
    expect(tl.segments.filter((s) => s.state === 'busy' && s.start > T0 + 3 * 3600)).toHaveLength(0);
  });

  it('keeps calling repeated uploads at irregular times busy: events never become the background', () => {
    const random = seeded(7);
    const packets = heartbeat(T0, T0 + 12 * 3600, 30);
    const uploads: number[] = [];
    for (let t = T0 + 1800; t < T0 + 12 * 3600; t += 600 + random() * 3600) {
      uploads.push(t);
      packets.push(...transfer(t, t + 20, 1_500_000, Direction.UP, 1200));
    }
    const tl = run(merge(packets), T0 + 12 * 3600).timeline();
    const found = uploads.filter((t) => tl.spans.some((s) => !s.routine && s.start <= t + 20 && s.end >= t));
    expect(uploads.length).toBeGreaterThan(8);
    expect(found).toEqual(uploads);
  });

  describe('retries to a cloud that refuses (plumbing and refusals are no volume)', () => {
    // The MADEA Amazon plug's night without its cloud, packet for packet: every 3 s a name lookup
    // to the home's resolver (83 B, answered 99 B), an NTP request (90 B) and the ICMP "port
    // unreachable" that refuses it (118 B), all inside the home, for two hours.
    function retries(mark: boolean): { packets: SyntheticPacket[]; marks: number[] } {
      const packets: SyntheticPacket[] = [];
      const marks: number[] = [];
      const add = (ts: number, size: number, m: number): void => {
        packets.push({ ts, size, direction: Direction.LOCAL });
        marks.push(mark ? m : COUNTED);
      };
      for (let t = T0 + 3600; t < T0 + 3 * 3600; t += 3) {
        add(t, 83, PLUMBING);
        add(t + 0.002, 99, PLUMBING);
        add(t + 0.004, 90, COUNTED);
        add(t + 0.006, 118, 90);
      }
      return { packets, marks };
    }

    function runMarked(mark: boolean): ActivityTimeline {
      const quiet = heartbeat(T0, T0 + 3600, 60);
      const { packets, marks } = retries(mark);
      const tracker = new ActivityTracker();
      for (const p of quiet) tracker.push(p.ts, p.size, p.direction);
      packets.forEach((p, i) => {
        tracker.push(p.ts, p.size, p.direction, marks[i]);
      });
      tracker.flush(T0 + 3 * 3600);
      return tracker.timeline();
    }

    it('keeps a device that cannot get out awake, never busy', () => {
      const tl = runMarked(true);
      expect(tl.spans).toEqual([]);
      expect(secondsIn(tl, 'busy')).toBe(0);
      expect(secondsIn(tl, 'asleep')).toBeLessThan(3600);
      expect(tl.segments.at(-1)!.state).toBe('idle');
      // the timeline says how often, and from when to when, it was refused
      expect(tl.refusals).toEqual({ count: 2400, first: T0 + 3600.006, last: T0 + 3 * 3600 - 3 + 0.006 });
    });

    it('called it busy for hours when those packets were volume', () => {
      expect(secondsIn(runMarked(false), 'busy')).toBeGreaterThan(3600);
    });

    it('still calls a real exchange busy when it starts while refusals come in', () => {
      const { packets, marks } = retries(true);
      const tracker = new ActivityTracker();
      for (const p of heartbeat(T0, T0 + 3600, 60)) tracker.push(p.ts, p.size, p.direction);
      const upload = transfer(T0 + 7200, T0 + 7230, 400_000 / 30);
      const all = [
        ...packets.map((p, i) => ({ ...p, mark: marks[i] })),
        ...upload.map((p) => ({ ...p, mark: COUNTED })),
      ].sort((a, b) => a.ts - b.ts);
      for (const p of all) tracker.push(p.ts, p.size, p.direction, p.mark);
      tracker.flush(T0 + 3 * 3600);
      const spans = tracker.timeline().spans.filter((s) => !s.routine);
      expect(spans).toHaveLength(1);
      expect(spans[0].start).toBeGreaterThanOrEqual(T0 + 7190);
      expect(spans[0].end).toBeLessThanOrEqual(T0 + 7240);
    });
  });

  it('gives identical timelines however the replay is chunked', () => {
    const random = seeded(42);
    const parts: SyntheticPacket[][] = [heartbeat(T0, T0 + 86_400, 40)];
    for (let i = 0; i < 20; i++) {
      const start = T0 + Math.floor(random() * 86_000);
      parts.push(
        transfer(
          start,
          start + 30 + random() * 300,
          2000 + random() * 50_000,
          random() < 0.5 ? Direction.UP : Direction.DOWN,
        ),
      );
    }
    const packets = merge(...parts);
    const whole = run(packets, T0 + 86_400).timeline();
    // Live: the home's clock advances every device between packets, at arbitrary points.
    const live = new HomeActivity<string>();
    for (let i = 0; i < packets.length; i++) {
      const p = packets[i];
      if (random() < 0.01) live.advanceTo(p.ts);
      live.push('plug', p.ts, p.size, p.direction);
      if (random() < 0.05) live.push('other', p.ts, 100, Direction.LOCAL);
      if (random() < 0.001) live.tracker('plug')!.timeline();
    }
    live.flush(T0 + 86_400);
    expect(live.tracker('plug')!.timeline()).toEqual(whole);
    expect(whole.spans.length).toBeGreaterThan(5);
    expectContiguous(whole);
  });

  it('stays within its caps over a long busy day', () => {
    const packets = heartbeat(T0, T0 + 86_400, 30);
    for (let t = T0 + 60; t < T0 + 86_400; t += 120) packets.push(...transfer(t, t + 20, 5000));
    const tracker = run(
      merge(packets),
      T0 + 86_400,
      // transfers every 120 s would be a routine (idle): switch that off to count busy spans
      new ActivityTracker({ envelopeFactor: 0, routinePeriodTolerance: 0, maxSpans: 50, maxSegments: 100 }),
    );
    const tl = tracker.timeline();
    expect(tl.spans).toHaveLength(50);
    expect(tl.droppedSpans).toBe(720 - 50);
    expect(tl.segments).toHaveLength(100);
    expect(tl.droppedSegments).toBeGreaterThan(1000);
    expect(tl.end).toBe(T0 + 86_400);
    expectContiguous(tl);
  });

  describe('routines (timer-driven syncs)', () => {
    /** A 20 kB sync at each of `times` (seconds after T0) over a 30-s heartbeat, and the tracker's timeline. */
    function syncs(
      times: readonly number[],
      bytes: readonly number[] = times.map(() => 20_000),
    ): ActivityTimeline {
      const packets = heartbeat(T0, T0 + 7200, 30);
      times.forEach((t, i) => packets.push(...transfer(T0 + t, T0 + t + 10, bytes[i] / 10, Direction.DOWN)));
      return run(merge(packets), T0 + 7200).timeline();
    }

    it('recognises evenly spaced syncs of similar size as routine and counts their time idle', () => {
      const tl = syncs([1000, 1300, 1600, 1900, 2500]); // 2200 missed: still in phase at 2500
      expect(tl.spans).toHaveLength(5);
      expect(tl.spans.every((s) => s.routine && s.routinePeriod === 300)).toBe(true);
      expect(secondsIn(tl, 'busy')).toBe(0);
      expectContiguous(tl);
    });

    it('keeps unevenly spaced exchanges busy, as a person makes them', () => {
      const tl = syncs([1000, 1300, 1640, 1900]);
      expect(tl.spans.filter((s) => s.routine)).toEqual([]);
      expect(secondsIn(tl, 'busy')).toBeGreaterThan(0);
    });

    it('keeps an exchange busy when it comes out of phase or is much larger than the routine', () => {
      const tl = syncs([1000, 1300, 1600, 1750, 2200], [20_000, 20_000, 20_000, 20_000, 90_000]);
      const byStart = new Map(tl.spans.map((s) => [Math.round(s.start - T0), s.routine]));
      expect(byStart.get(1600)).toBe(true);
      expect(byStart.get(1750)).toBe(false); // between two syncs
      expect(byStart.get(2200)).toBe(false); // due, but 4.5 × the routine's size
    });

    it('calls an earlier pair of similar syncs one learned period apart routine once the period is learned', () => {
      // a second, smaller timer of the same period as the routine, seen twice before the routine is known
      const tl = syncs([1000, 1060, 1300, 1360, 1660], [8_000, 20_000, 8_000, 20_000, 20_000]);
      expect(tl.spans.map((s) => [Math.round(s.start - T0), s.routine])).toEqual([
        [1000, true],
        [1060, true],
        [1300, true],
        [1360, true],
        [1660, true],
      ]);
      expect(secondsIn(tl, 'busy')).toBe(0);
      expectContiguous(tl);
    });

    it('takes only exchanges the device starts for its own timer: evenly spaced pushes from its cloud stay busy', () => {
      // a minute's heartbeat, so the 10 s before each exchange are silent and who spoke first is known
      const at = [1005, 1305, 1605, 1905];
      const timeline = (deviceFirst: boolean): ActivityTimeline => {
        const packets = heartbeat(T0, T0 + 7200, 60);
        for (const t of at) {
          if (deviceFirst) packets.push({ ts: T0 + t, size: 300, direction: Direction.UP });
          packets.push(...transfer(T0 + t + 0.1, T0 + t + 8, 2000, Direction.DOWN));
        }
        return run(merge(packets), T0 + 7200).timeline();
      };
      const own = timeline(true);
      expect(own.spans).toHaveLength(4);
      expect(own.spans.every((s) => s.routine && Math.abs((s.routinePeriod ?? 0) - 300) < 1)).toBe(true);
      const pushed = timeline(false);
      expect(pushed.spans).toHaveLength(4);
      expect(pushed.spans.filter((s) => s.routine)).toEqual([]);
      expect(secondsIn(pushed, 'busy')).toBeGreaterThan(0);
    });

    it('gives a replay in any chunking the same routine spans', () => {
      const packets = merge(
        heartbeat(T0, T0 + 7200, 30),
        ...[1000, 1300, 1600].map((t) => transfer(T0 + t, T0 + t + 10, 2000, Direction.DOWN)),
      );
      const whole = run(packets, T0 + 7200).timeline();
      const live = new ActivityTracker();
      packets.forEach((p, i) => {
        live.push(p.ts, p.size, p.direction);
        if (i % 7 === 0) live.advanceTo(p.ts);
        if (i % 50 === 0) live.timeline();
      });
      live.flush(T0 + 7200);
      expect(live.timeline()).toEqual(whole);
    });
  });

  describe("packets unlike the device's background (a command, the status report it triggers)", () => {
    /** A 123-byte heartbeat each way every 60 s for 3 hours, plus `extra` packets. */
    function plug(extra: SyntheticPacket[], config = {}): ActivityTimeline {
      return run(
        merge(heartbeat(T0, T0 + 10_800, 60, 123), extra),
        T0 + 10_800,
        new ActivityTracker(config),
      ).timeline();
    }
    /** A 267-byte command from the cloud and the device's 235-byte answer at `t` seconds after T0. */
    const command = (t: number): SyntheticPacket[] => [
      { ts: T0 + t, size: 267, direction: Direction.DOWN },
      { ts: T0 + t + 0.02, size: 235, direction: Direction.UP },
    ];

    it("makes a 0.5 kB command a short busy span once the device's background is known", () => {
      const tl = plug(command(7237));
      expect(tl.spans).toHaveLength(1);
      const [span] = tl.spans;
      expect(span.start).toBe(T0 + 7237);
      expect(span.bytesUp + span.bytesDown).toBe(267 + 235);
      expect(span.unusualPackets).toBe(2);
      expect(span.description).toContain('unlike its usual traffic');
      expect(span.routine).toBe(false);
      expect(secondsIn(tl, 'busy')).toBe(10);
      expectContiguous(tl);
      // by volume alone it is far below the floors
      expect(plug(command(7237), { noveltyEnterPackets: 0 }).spans).toEqual([]);
    });

    it('keeps the heartbeat itself, a lone odd packet and the first hour quiet', () => {
      expect(plug([]).spans).toEqual([]);
      expect(plug([{ ts: T0 + 7237, size: 267, direction: Direction.DOWN }]).spans).toEqual([]);
      expect(plug(command(1237)).spans).toEqual([]); // 20 minutes in: no background known yet
    });

    it("needs the odd packets to carry at least a typical bin of the device's traffic", () => {
      // 500-byte heartbeats: a median bin of 1 kB; two odd 60-byte packets are less than that
      const packets = merge(heartbeat(T0, T0 + 10_800, 60, 500), [
        { ts: T0 + 7237, size: 60, direction: Direction.DOWN },
        { ts: T0 + 7237.1, size: 60, direction: Direction.UP },
      ]);
      expect(run(packets, T0 + 10_800).timeline().spans).toEqual([]);
    });

    it('does not call a span unusual once its volume alone would have made it busy', () => {
      const tl = plug(merge(command(7237), transfer(7247 + T0, 7257 + T0, 3000, Direction.DOWN)));
      expect(tl.spans).toHaveLength(1);
      expect(tl.spans[0].unusualPackets).toBeGreaterThanOrEqual(2);
      expect(tl.spans[0].description).toMatch(/^downloaded 3\d\.\d kB over 20 s$/);
    });

    it('keeps a switching session busy while the commands keep coming', () => {
      const session: SyntheticPacket[] = [];
      for (const t of [7203, 7211, 7224, 7236, 7249, 7268, 7281]) session.push(...command(t));
      const tl = plug(session);
      expect(tl.spans).toHaveLength(1);
      expect(tl.spans[0].unusualPackets).toBe(14);
      expect(secondsIn(tl, 'busy')).toBe(90);
    });
  });

  it('closes an open span on flush and refuses packets afterwards', () => {
    const tracker = new ActivityTracker();
    for (const p of transfer(T0, T0 + 60, 10_000)) tracker.push(p.ts, p.size, p.direction);
    expect(tracker.timeline().spans).toHaveLength(0);
    tracker.flush(T0 + 65);
    const tl = tracker.timeline();
    expect(tl.spans).toHaveLength(1);
    expect(tl.segments[0]).toEqual({ state: 'busy', start: T0, end: T0 + 60 });
    expect(tl.end).toBe(T0 + 70);
    expect(() => {
      tracker.push(T0 + 80, 100, Direction.UP);
    }).toThrow(/after flush/);
  });

  it('skips long gaps in constant time and is asleep across them', () => {
    const packets = merge(heartbeat(T0, T0 + 600, 30), heartbeat(T0 + 1e7, T0 + 1e7 + 600, 30));
    const tl = run(packets, T0 + 1e7 + 600).timeline();
    const gap = tl.segments.find((s) => s.start <= T0 + 5e6 && s.end > T0 + 5e6);
    expect(gap?.state).toBe('asleep');
    expect(tl.spans).toEqual([]);
  });
});
