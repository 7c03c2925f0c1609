import { describe, expect, it } from 'vitest';
import {
  formatBytes,
  formatDateTime,
  formatDuration,
  formatPercent,
  setTimeZone,
  sourceSummary,
  tickLabel,
  timeTicks,
  zoneCaption,
} from '../../src-renderer/lib/format.ts';
import { deviceVerdict } from '../../src-main/shared/device-verdict.ts';
import { WebSocketApi } from '../../src-renderer/lib/ws-client.ts';
import { sortDevices } from '../../src-renderer/state/device-sort.ts';
import { href, parseRoute } from '../../src-renderer/state/router.svelte.ts';
import { row } from './fixtures.ts';

describe('routes', () => {
  it('parse and print both ways', () => {
    for (const r of [
      { page: 'home' },
      { page: 'capture' },
      { page: 'devices' },
      { page: 'device', mac: 'aa:bb:cc:dd:ee:ff' },
      { page: 'findings' },
      { page: 'findings', device: 'aa:bb:cc:dd:ee:ff' },
      { page: 'settings' },
    ] as const) {
      expect(parseRoute(href(r))).toEqual(r);
    }
    expect(parseRoute('#/nowhere')).toEqual({ page: 'home' });
    expect(parseRoute('#/device/')).toEqual({ page: 'devices' });
  });
});

describe('device sorting', () => {
  it('sorts by any column, ties in MAC order, without changing the input', () => {
    const a = row({ mac: '01', name: 'b', bytesSent: 5, state: 'idle' });
    const b = row({ mac: '02', name: 'a', bytesSent: 50, state: 'busy' });
    const c = row({ mac: '03', name: 'a', bytesSent: 1, state: null, exposure: { napt: null, vpn: null } });
    const rows = [a, b, c];
    expect(sortDevices(rows, 'name', true).map((r) => r.mac)).toEqual(['02', '03', '01']);
    expect(sortDevices(rows, 'traffic', false).map((r) => r.mac)).toEqual(['02', '01', '03']);
    expect(sortDevices(rows, 'state', false).map((r) => r.mac)).toEqual(['02', '01', '03']);
    expect(sortDevices(rows, 'napt', true)[0].mac).toBe('03');
    expect(rows.map((r) => r.mac)).toEqual(['01', '02', '03']);
  });
});

describe('formatting', () => {
  it('writes sizes, shares, durations and round time ticks', () => {
    expect([formatBytes(999), formatBytes(1500), formatBytes(2.5e6), formatBytes(3e9)]).toEqual([
      '999 B',
      '1.5 kB',
      '2.5 MB',
      '3.0 GB',
    ]);
    expect([formatPercent(0.944), formatPercent(null)]).toEqual(['94 %', '–']);
    expect([formatDuration(42), formatDuration(125), formatDuration(7260)]).toEqual([
      '42 s',
      '2 min 5 s',
      '2 h 1 min',
    ]);
    // rounded before it is split: never "1 min 60 s" or "1 h 60 min"
    expect([formatDuration(59.6), formatDuration(119.6), formatDuration(7199.9)]).toEqual([
      '1 min 0 s',
      '2 min 0 s',
      '2 h 0 min',
    ]);
    expect(timeTicks(0, 3600, 8)).toEqual([0, 600, 1200, 1800, 2400, 3000]);
  });
});

/** A WebSocket stand-in the test drives by hand. */
class FakeSocket {
  static last: FakeSocket | null = null;
  readyState = 0;
  sent: string[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((e: { data: string }) => void) | null = null;
  onclose: (() => void) | null = null;
  constructor(readonly url: string) {
    FakeSocket.last = this;
  }
  send(text: string): void {
    this.sent.push(text);
  }
  close(): void {
    this.readyState = 3;
    this.onclose?.();
  }
  open(): void {
    this.readyState = 1;
    this.onopen?.();
  }
}

describe('WebSocketApi', () => {
  it('queues requests until open, matches answers by id, passes events, and fails requests when the connection drops', async () => {
    const states: string[] = [];
    const api = new WebSocketApi({
      url: 'ws://127.0.0.1:1/api?token=t',
      uploadUrl: 'http://127.0.0.1:1/upload?token=t',
      onConnection: (s) => states.push(s),
      WebSocketImpl: FakeSocket as unknown as typeof WebSocket,
    });
    const ws = FakeSocket.last!;
    const info = api.request('app.info', null);
    expect(ws.sent).toEqual([]);
    ws.open();
    const sent = JSON.parse(ws.sent[0]) as { id: number; channel: string };
    expect(sent.channel).toBe('app.info');
    ws.onmessage?.({
      data: JSON.stringify({ type: 'response', id: sent.id, result: { ok: true, value: 42 } }),
    });
    await expect(info).resolves.toEqual({ ok: true, value: 42 });
    const got: unknown[] = [];
    api.on('snapshot', (s) => got.push(s));
    ws.onmessage?.({ data: JSON.stringify({ type: 'event', event: 'snapshot', payload: { seq: 3 } }) });
    ws.onmessage?.({ data: 'not json' });
    expect(got).toEqual([{ seq: 3 }]);
    const pending = api.request('session.snapshot', null);
    api.close();
    await expect(pending).resolves.toMatchObject({ ok: false, error: { code: 'unavailable' } });
    expect(states).toEqual(['connecting', 'open']);
  });
});

describe('tick labels', () => {
  it('show seconds for a few minutes, minutes for hours and the date for days', () => {
    const t = new Date(2024, 3, 16, 7, 28, 30).getTime() / 1000;
    expect(tickLabel(t, 40)).toBe('07:28:30');
    expect(tickLabel(t, 3600)).toBe('07:28');
    expect(tickLabel(t, 3 * 86400)).toBe('04-16 07:28');
  });
});

describe('times in the chosen zone', () => {
  // 2023-06-13 19:47:05 UTC
  const T = Date.UTC(2023, 5, 13, 19, 47, 5) / 1000;

  it('shows every time in the zone and names it', () => {
    setTimeZone('Europe/Berlin');
    expect(formatDateTime(T)).toBe('2023-06-13 21:47');
    expect(zoneCaption(T)).toBe('Europe/Berlin, UTC+02:00');
    setTimeZone('UTC');
    expect(formatDateTime(T)).toBe('2023-06-13 19:47');
    expect(zoneCaption(T)).toBe('UTC');
    setTimeZone(null);
  });

  it("puts axis ticks on the zone's round hours, also at a half-hour offset", () => {
    setTimeZone('Asia/Kolkata');
    const ticks = timeTicks(T, T + 6 * 3600, 8);
    expect(ticks.map((t) => tickLabel(t, 6 * 3600))).toEqual([
      '02:00',
      '03:00',
      '04:00',
      '05:00',
      '06:00',
      '07:00',
    ]);
    setTimeZone(null);
  });

  it('sums up many files in one line', () => {
    setTimeZone('UTC');
    expect(sourceSummary({ kind: 'files', names: ['a.pcap'] }, T, T + 60)).toBe('a.pcap');
    expect(sourceSummary({ kind: 'files', names: ['a.pcap', 'b.pcap', 'c.pcap'] }, T, T + 3600)).toBe(
      '3 files · 2023-06-13 19:47 – 2023-06-13 20:47',
    );
    expect(sourceSummary({ kind: 'live', names: ['eth0'] }, T, T + 60)).toBe('eth0');
    setTimeZone(null);
  });
});

describe('a verdict per device', () => {
  const base = row();
  const napt = base.exposure.napt!;
  const vpn = base.exposure.vpn!;
  const with_ = (n: Partial<typeof napt>, v: Partial<typeof vpn> | null = {}) =>
    row({ exposure: { napt: { ...napt, ...n }, vpn: v === null ? null : { ...vpn, ...v } } });

  it('says what the ISP learns, and whether a VPN hides it', () => {
    // recognised and 4 of 5 busy spans seen by both observers
    expect(deviceVerdict(base, true)).toEqual({
      kind: 'what-when',
      text: 'Your ISP can tell what it is and when it is in use; a VPN would not hide it',
    });
    // the VPN carrier neither names it nor sees it busy
    const hidden = with_({}, { evidence: 'not-recognised', inHome: null, spansSeen: 0 });
    expect(deviceVerdict(hidden, true).text).toBe(
      'Your ISP can tell what it is and when it is in use; a VPN would hide it',
    );
    // busy spans seen, identity not told (the catalog named it wrongly, the in-home observer low)
    const when = with_(
      {
        catalogRight: false,
        wideCatalog: null,
        inHome: { measured: true, unmeasured: null, recognisedShare: 0.6, interval: [0.5, 0.7] },
      },
      { catalogRight: false, inHome: null },
    );
    expect(deviceVerdict(when, true)).toEqual({
      kind: 'when',
      text: 'Your ISP can tell when it is in use, not what it is; a VPN would not hide it',
    });
    const blind = { evidence: 'not-recognised' as const, inHome: null, spansSeen: 1 };
    expect(deviceVerdict(with_(blind, blind), true).kind).toBe('little');
  });

  it('says a device that never leaves the home stays inside, and nothing before the analysis', () => {
    expect(deviceVerdict(with_({ packets: 0 }), true)).toEqual({
      kind: 'inside',
      text: 'Stays inside your home: your ISP sees none of its traffic',
    });
    expect(deviceVerdict(base, false).kind).toBe('not-analysed');
  });
});
