import { describe, expect, it } from 'vitest';
import { busySpan as span } from '../activity/synthetic-traffic.ts';
import {
  ACTION_SECONDS,
  parseNkuPhases,
  parseNkuTime,
  parseSsiPlugReadme,
  scoreBusyDetection,
  ssiPlugPhases,
  truthOnGrid,
  TRUTH_BUSY,
  TRUTH_IDLE,
  TRUTH_UNSCORED,
} from '../../../src-main/evaluation/activity-evaluation.ts';
import type { ActivityTimeline } from '../../../src-main/activity/activity-timeline.ts';
import { HomeActivity } from '../../../src-main/activity/home-activity.ts';
import { Direction } from '../../../src-main/views/view-packet.ts';

describe('NKU phase files', () => {
  it('reads local times as UTC+8', () => {
    expect(parseNkuTime('2024-04-16_15:28:09')).toBe(Date.UTC(2024, 3, 16, 7, 28, 9) / 1000);
    expect(() => parseNkuTime('2024-04-16 15:28:09')).toThrow();
  });

  it('parses phases with comments and CRLF, idle_* idle and the rest busy', () => {
    const text =
      '# Config informations\r\n# phase start_time end_time duration\r\n' +
      'setup 2024-04-16_15:28:09 2024-04-16_15:28:51 42\r\nidle_on_local 2024-04-16_15:29:08 2024-04-16_15:44:14 900\r\n\r\n';
    const phases = parseNkuPhases(text);
    expect(phases).toHaveLength(2);
    expect(phases[0]).toMatchObject({ name: 'setup', kind: 'busy' });
    expect(phases[0].end - phases[0].start).toBe(42);
    expect(phases[1]).toMatchObject({ name: 'idle_on_local', kind: 'idle' });
    expect(() => parseNkuPhases('setup 2024-04-16_15:28:09')).toThrow(/expected/);
  });
});

describe('SSI README', () => {
  const readme = [
    '### White Ambience Smart LED',
    '| 0.000000  |  started passive measurements |',
    '| 10.5 | Turning the light off |',
    '### Smart Power Plug',
    '#### Passive measurements',
    '| 0.000000 | Start of passive measurements |',
    '| 38359.388236 | End of passive measurements |',
    '#### Active measurements',
    '| Time stamp   |      Description      | ',
    '|----------|-------------|',
    '| 0.000000 | Start of active measurements |',
    '| 5.679150 | Set countdown timer |',
    '| 2986.242717 | Start of manual "ON" and "OFF" switching via companion application |',
    '| 3513.448806 | End of manual "ON" and "OFF" switching via companion application |',
    '| 3567.003089 | End of active measurements |',
  ].join('\n');

  it('reads only the plug tables', () => {
    const log = parseSsiPlugReadme(readme);
    expect(log.passive.map((r) => r.offset)).toEqual([0, 38359.388236]);
    expect(log.active).toHaveLength(5);
  });

  it('turns rows into idle and busy windows', () => {
    const phases = ssiPlugPhases(parseSsiPlugReadme(readme), 1000, 100_000);
    expect(phases.filter((p) => p.kind === 'idle')).toEqual([
      { name: 'passive', kind: 'idle', start: 1000, end: 1000 + 38359.388236 },
      { name: 'active capture', kind: 'idle', start: 100_000, end: 100_000 + 3567.003089 },
    ]);
    const busy = phases.filter((p) => p.kind === 'busy');
    expect(busy).toHaveLength(2);
    expect(busy[0]).toMatchObject({ start: 100_005.67915, end: 100_005.67915 + ACTION_SECONDS });
    expect(busy[1].start).toBeCloseTo(102_986.242717, 6);
    expect(busy[1].end).toBeCloseTo(103_513.448806 + ACTION_SECONDS, 6);
  });
});

describe('ground truth and scoring', () => {
  const phases = [
    { name: 'idle', kind: 'idle' as const, start: 0, end: 300 },
    { name: 'on', kind: 'busy' as const, start: 305, end: 325 },
    { name: 'idle2', kind: 'idle' as const, start: 330, end: 600 },
  ];

  it('marks busy bins, guarded idle bins and uncovered time', () => {
    const truth = truthOnGrid(phases, [{ start: 0, end: 500 }], 0, 60, 10, 30);
    // the first 30 s of an idle phase are its setup change, not scored
    expect([truth[0], truth[2]]).toEqual([TRUTH_UNSCORED, TRUTH_UNSCORED]);
    expect(truth[3]).toBe(TRUTH_IDLE);
    expect(truth[26]).toBe(TRUTH_IDLE); // 260–270: 35 s before the action
    expect(truth[27]).toBe(TRUTH_UNSCORED); // within 30 s of it
    expect([truth[30], truth[31], truth[32]]).toEqual([TRUTH_BUSY, TRUTH_BUSY, TRUTH_BUSY]);
    expect(truth[35]).toBe(TRUTH_UNSCORED);
    expect(truth[36]).toBe(TRUTH_IDLE);
    expect(truth[55]).toBe(TRUTH_UNSCORED); // not captured
  });

  it('scores a timeline against the phases', () => {
    const timeline: ActivityTimeline = {
      start: 0,
      end: 500,
      segments: [
        { state: 'idle', start: 0, end: 100 },
        { state: 'busy', start: 100, end: 110 },
        { state: 'idle', start: 110, end: 310 },
        { state: 'busy', start: 310, end: 330 },
        { state: 'idle', start: 330, end: 500 },
      ],
      spans: [span(100, 110), span(200, 205, true), span(310, 330)],
      droppedSegments: 0,
      droppedSpans: 0,
    };
    const s = scoreBusyDetection(timeline, phases, [{ start: 0, end: 500 }]);
    expect(s).toMatchObject({ tp: 2, fn: 1, fp: 1, busyBins: 3, events: 1, eventsDetected: 1 });
    expect(s.idleBusyMinutes).toBeCloseTo(10 / 60, 10);
    // the span in idle time is a false one; the routine one and the one on the action are not
    expect(s.falseSpans).toBe(1);
    expect(s.falseSpansPerIdleHour).toBeCloseTo(1 / ((s.idleBins * 10) / 3600), 10);
    expect(s.missedActions).toEqual([]);
  });

  it('finds an action by a span just before its logged time (a log written after the fact), and does not call that span false', () => {
    const timeline: ActivityTimeline = {
      start: 0,
      end: 500,
      segments: [
        { state: 'idle', start: 0, end: 250 },
        { state: 'busy', start: 250, end: 260 },
        { state: 'idle', start: 260, end: 500 },
      ],
      spans: [span(250, 260)],
      droppedSegments: 0,
      droppedSpans: 0,
    };
    // the span ends 45 s before the window: within EVENT_MATCH_SECONDS, so the action is found
    const s = scoreBusyDetection(timeline, phases, [{ start: 0, end: 500 }]);
    expect(s).toMatchObject({ events: 1, eventsDetected: 1, falseSpans: 0, tp: 0 });
    expect(s.missedActions).toEqual([]);
    // a routine span there finds nothing
    const routine = scoreBusyDetection({ ...timeline, spans: [span(250, 260, true)] }, phases, [
      { start: 0, end: 500 },
    ]);
    expect(routine).toMatchObject({ eventsDetected: 0 });
  });

  it('lists a missed action with the busy span nearest to it', () => {
    const timeline: ActivityTimeline = {
      start: 0,
      end: 500,
      segments: [
        { state: 'idle', start: 0, end: 230 },
        { state: 'busy', start: 230, end: 240 },
        { state: 'idle', start: 240, end: 500 },
      ],
      spans: [span(40, 50), span(230, 240)],
      droppedSegments: 0,
      droppedSpans: 0,
    };
    const s = scoreBusyDetection(timeline, phases, [{ start: 0, end: 500 }]);
    expect(s).toMatchObject({ events: 1, eventsDetected: 0 });
    // the span 75 s before the logged action is the nearest (and, 65 s from its window, a false
    // one); the one 265 s before is out of reach
    expect(s.missedActions).toEqual([{ name: 'on', start: 305, end: 325, nearestSpanOffset: -75 }]);
    expect(s.falseSpans).toBe(2);
    const far = scoreBusyDetection({ ...timeline, spans: [span(40, 50)] }, phases, [{ start: 0, end: 500 }]);
    expect(far.missedActions[0].nearestSpanOffset).toBeNull();
  });

  it('does not score the setup change at the edges of an idle phase', () => {
    const two = [
      { name: 'idle_on', kind: 'idle' as const, start: 0, end: 300 },
      { name: 'idle_off', kind: 'idle' as const, start: 320, end: 600 },
    ];
    const truth = truthOnGrid(two, [{ start: 0, end: 600 }], 0, 60, 10, 30);
    expect(truth[26]).toBe(TRUTH_IDLE); // 260–270
    expect([truth[27], truth[30], truth[32], truth[34]]).toEqual([
      TRUTH_UNSCORED,
      TRUTH_UNSCORED,
      TRUTH_UNSCORED,
      TRUTH_UNSCORED,
    ]);
    expect(truth[35]).toBe(TRUTH_IDLE); // 350–360
    // a span at the switch-over is no false alarm
    const timeline: ActivityTimeline = {
      start: 0,
      end: 600,
      segments: [
        { state: 'idle', start: 0, end: 310 },
        { state: 'busy', start: 310, end: 325 },
        { state: 'idle', start: 325, end: 600 },
      ],
      spans: [span(310, 325)],
      droppedSegments: 0,
      droppedSpans: 0,
    };
    expect(scoreBusyDetection(timeline, two, [{ start: 0, end: 600 }]).falseSpans).toBe(0);
  });
});

describe('HomeActivity', () => {
  it('keeps one timeline per key and caps the number of devices', () => {
    const home = new HomeActivity<number>({}, 2);
    home.push(0, 100, 100, Direction.UP);
    home.push(1, 101, 100, Direction.DOWN);
    home.push(2, 102, 100, Direction.DOWN);
    expect(home.keys()).toEqual([0, 1]);
    expect(home.droppedPackets).toBe(1);
    home.flush();
    const timelines = home.timelines();
    expect(timelines.get(0)?.end).toBe(110);
    expect(timelines.get(1)?.segments).toEqual([{ state: 'asleep', start: 100, end: 110 }]);
  });
});
