import { fireEvent, render, screen } from '@testing-library/svelte';
import { tick } from 'svelte';
import { describe, expect, it } from 'vitest';
import BusySpans from '../../src-renderer/components/BusySpans.svelte';
import StatusBar from '../../src-renderer/components/StatusBar.svelte';
import FindingCard from '../../src-renderer/components/FindingCard.svelte';
import RateChart from '../../src-renderer/components/RateChart.svelte';
import Timeline from '../../src-renderer/components/Timeline.svelte';
import DeviceDetailPage from '../../src-renderer/pages/DeviceDetail.svelte';
import Capture from '../../src-renderer/pages/Capture.svelte';
import InspectPanel from '../../src-renderer/components/InspectPanel.svelte';
import type { InspectDiscovery } from '../../src-main/shared/inspect-mode.ts';
import Devices from '../../src-renderer/pages/Devices.svelte';
import Home from '../../src-renderer/pages/Home.svelte';
import type { DeviceDetail } from '../../src-main/shared/ipc-contract.ts';
import { SessionState } from '../../src-renderer/state/session.svelte.ts';
import { FakeApi, finding, row, snapshot } from './fixtures.ts';

describe('FindingCard', () => {
  it('shows severity, device, observer, title, evidence and advice', () => {
    render(FindingCard, { finding: finding(), deviceName: 'Porch camera' });
    expect(screen.getByText('High')).toBeTruthy();
    expect(screen.getByRole('link', { name: 'Porch camera' }).getAttribute('href')).toBe(
      '#/device/aa%3Abb%3Acc%3A00%3A00%3A01',
    );
    expect(screen.getByText('Your ISP can tell there is a Nest Camera in your home.')).toBeTruthy();
    expect(screen.getByText('900 of its packets cross your router.')).toBeTruthy();
  });
});

describe('Timeline', () => {
  it('draws one rectangle per visible segment in each row, coloured by state', () => {
    const t0 = 1_700_000_000;
    const truth = {
      start: t0,
      end: t0 + 600,
      segments: [
        { state: 'idle' as const, start: t0, end: t0 + 300 },
        { state: 'busy' as const, start: t0 + 300, end: t0 + 360 },
        { state: 'asleep' as const, start: t0 + 360, end: t0 + 600 },
      ],
      spans: [],
      droppedSegments: 0,
      droppedSpans: 0,
    };
    const { container } = render(Timeline, {
      rows: [
        { id: 'truth', label: 'What it did', timeline: truth },
        { id: 'napt', label: 'Your ISP', timeline: null },
      ],
      start: t0,
      end: t0 + 600,
      viewStart: t0,
      viewEnd: t0 + 600,
    });
    const segs = [...container.querySelectorAll('g[data-row=truth] rect.seg')];
    // busy drawn last, over its neighbours
    expect(segs.map((r) => r.getAttribute('data-state'))).toEqual(['idle', 'asleep', 'busy']);
    expect(container.querySelectorAll('g[data-row=napt] rect.seg')).toHaveLength(0);
    expect(container.querySelector('g[data-row=napt] text.none')?.textContent).toMatch(/appear when/);
  });
});

describe('Timeline and RateChart', () => {
  const t0 = 1_700_000_000;
  const day = 86_400;

  it('keeps a busy span of seconds visible on a day-long axis', () => {
    const truth = {
      start: t0,
      end: t0 + day,
      segments: [
        { state: 'idle' as const, start: t0, end: t0 + 3600 },
        { state: 'busy' as const, start: t0 + 3600, end: t0 + 3605 },
        { state: 'idle' as const, start: t0 + 3605, end: t0 + day },
      ],
      spans: [],
      droppedSegments: 0,
      droppedSpans: 0,
    };
    const { container } = render(Timeline, {
      rows: [{ id: 'truth', label: 'What it did', timeline: truth }],
      start: t0,
      end: t0 + day,
      viewStart: t0,
      viewEnd: t0 + day,
    });
    const busy = container.querySelector('g[data-row=truth] rect.seg[data-state=busy]')!;
    expect(Number(busy.getAttribute('width'))).toBeGreaterThanOrEqual(3);
  });

  it('puts one moment at one x in the timeline and the traffic chart, and breaks the packet line at gaps', () => {
    const point = (t: number) => ({ t: t0 + t, bytesUp: 100, bytesDown: 100, bytesLocal: 0, packets: 5 });
    const chart = render(RateChart, {
      points: [point(0), point(60), point(120), point(3600), point(3660)],
      viewStart: t0,
      viewEnd: t0 + 7200,
    });
    // two runs of neighbouring minutes: two lines, none across the hour between them
    expect(chart.container.querySelectorAll('polyline.packets')).toHaveLength(2);
    const timeline = render(Timeline, {
      rows: [{ id: 'truth', label: 'What it did', timeline: null }],
      start: t0,
      end: t0 + 7200,
      viewStart: t0,
      viewEnd: t0 + 7200,
    });
    const ticks = (c: HTMLElement, sel: string) =>
      [...c.querySelectorAll(sel)].map((e) => e.getAttribute('x'));
    expect(ticks(chart.container, 'text.tick')).toEqual(ticks(timeline.container, 'g.axis text'));
    expect(ticks(chart.container, 'text.tick').length).toBeGreaterThan(1);
  });
});

describe('BusySpans', () => {
  const t0 = 1_700_000_000;
  const span = (start: number, description: string, routinePeriod: number | null = null) => ({
    start: t0 + start,
    end: t0 + start + 4,
    duration: 4,
    packets: 6,
    bytesUp: 500,
    bytesDown: 400,
    bytesLocal: 0,
    peakBytesPerSecond: 90,
    peakPacketsPerSecond: 0.6,
    unusualPackets: 2,
    description,
    routine: routinePeriod !== null,
    routinePeriod,
    binStart: t0 + start - (start % 10),
    binEnd: t0 + start - (start % 10) + 10,
  });

  it('lists busy spans newest first, counts the rest and the routine ones, and zooms on Show', async () => {
    const shown: [number, number][] = [];
    const { container } = render(BusySpans, {
      spans: [
        span(100, 'exchanged 900 B over 4 s, unlike its usual traffic'),
        span(1600, 'a sync', 1500),
        span(3100, 'a sync', 1500),
        span(3700, 'uploaded 1.6 MB over 5 min'),
        span(4600, 'a sync', 1500),
      ],
      limit: 1,
      onShow: (a: number, b: number) => shown.push([a, b]),
    });
    const rows = [...container.querySelectorAll('tbody tr')];
    expect(rows.map((r) => r.getAttribute('data-start'))).toEqual([String(t0 + 3700)]);
    expect(screen.getByText('uploaded 1.6 MB over 5 min')).toBeTruthy();
    expect(screen.getByText('… and 1 earlier busy period.')).toBeTruthy();
    expect(
      screen.getByText(/3 exchanges on the device's own timer \(every 25 min\) count as idle/),
    ).toBeTruthy();
    await fireEvent.click(screen.getByRole('button', { name: 'Show' }));
    expect(shown).toEqual([[t0 + 3700, t0 + 3710]]);
  });

  it('says so when the device was never busy', () => {
    render(BusySpans, { spans: [] });
    expect(screen.getByText('It was never busy in this capture.')).toBeTruthy();
  });
});

describe('Devices page', () => {
  it('lists devices, sorts on a header click and renames on Enter', async () => {
    const api = new FakeApi({
      'device.rename': (p) => ({
        ok: true,
        value: row({ name: (p as { name: string }).name, nameSource: 'user' }),
      }),
    });
    const session = new SessionState(api);
    session.snapshot = snapshot({
      devices: [
        row(),
        row({ mac: 'aa:bb:cc:00:00:02', name: 'Amazon Plug', bytesSent: 10, bytesReceived: 10 }),
      ],
    });
    const { container } = render(Devices, { session });
    const names = () => [...container.querySelectorAll('tbody tr td.name a')].map((a) => a.textContent);
    expect(names()).toEqual(['Nest Camera', 'Amazon Plug']); // most traffic first
    await fireEvent.click(screen.getByRole('button', { name: /^Name/ }));
    expect(names()).toEqual(['Amazon Plug', 'Nest Camera']);
    await fireEvent.click(screen.getByRole('button', { name: 'Rename Nest Camera' }));
    const input = screen.getByRole('textbox', { name: 'New name for Nest Camera' });
    await fireEvent.input(input, { target: { value: 'Porch camera' } });
    await fireEvent.keyDown(input, { key: 'Enter' });
    await tick();
    await new Promise((r) => setTimeout(r, 0));
    expect(api.calls.at(-1)).toEqual({
      channel: 'device.rename',
      payload: { mac: 'aa:bb:cc:00:00:01', name: 'Porch camera' },
    });
    expect(names()).toContain('Porch camera');
  });

  it('has one tab stop per row, the name; F2 renames and Shift+F2 corrects the type from it, and the focus comes back', async () => {
    const session = new SessionState(new FakeApi());
    session.snapshot = snapshot({
      devices: [row(), row({ mac: 'aa:bb:cc:00:00:02', name: 'Amazon Plug', nameSource: 'user' })],
    });
    const { container } = render(Devices, { session });
    for (const tr of container.querySelectorAll('tbody tr')) {
      const stops = [...tr.querySelectorAll<HTMLElement>('a[href], button, input')].filter(
        (el) => el.tabIndex >= 0,
      );
      expect(stops.map((el) => el.tagName)).toEqual(['A']);
    }
    const link = screen.getByRole('link', { name: 'Nest Camera' });
    link.focus();
    await fireEvent.keyDown(link, { key: 'F2' });
    const input = screen.getByRole('textbox', { name: 'New name for Nest Camera' });
    await fireEvent.keyDown(input, { key: 'Escape' });
    await tick();
    await tick();
    expect(document.activeElement?.textContent).toBe('Nest Camera');
    await fireEvent.keyDown(screen.getByRole('link', { name: 'Nest Camera' }), { key: 'F2', shiftKey: true });
    expect(screen.getByRole('textbox', { name: 'Type of Nest Camera' })).toBeTruthy();
  });
});

describe('Home page', () => {
  it('counts devices by evidence: told apart by an observer trained on the home, recognised by the catalog, too little traffic', () => {
    const session = new SessionState(new FakeApi());
    const plug = row({
      mac: 'aa:bb:cc:00:00:02',
      name: 'Amazon Plug',
      exposure: {
        napt: {
          className: 'Amazon Plug',
          classSource: 'labels',
          recognisedShare: 0.9,
          agreement: 0.9,
          busyRecall: 0.1,
          spansSeen: 4,
          spansTotal: 5,
          falseBusyPerDay: 0.5,
          busySecondsSeen: 600,
          packets: 50,
          evidence: 'recognised',
          catalogClass: 'Nest Camera',
          catalogShare: 0.9,
          catalogPlatform: null,
          catalogRight: true,
          wideCatalog: null,
          category: null,
          inHome: { measured: true, unmeasured: null, recognisedShare: 0.97, interval: [0.95, 0.99] },
        },
        vpn: {
          className: 'Amazon Plug',
          classSource: 'labels',
          recognisedShare: 0.2,
          agreement: 0.5,
          busyRecall: 0,
          spansSeen: 0,
          spansTotal: 5,
          falseBusyPerDay: 0.5,
          busySecondsSeen: 600,
          packets: 50,
          evidence: 'not-recognised',
          catalogClass: 'Nest Camera',
          catalogShare: 0.9,
          catalogPlatform: null,
          catalogRight: true,
          wideCatalog: null,
          category: null,
          inHome: {
            measured: false,
            unmeasured: 'too-little-traffic',
            recognisedShare: null,
            interval: null,
          },
        },
      },
    });
    session.snapshot = snapshot({
      status: 'capturing',
      source: { sessionId: 's1', kind: 'live', names: ['eth0'], speed: 'max' },
      devices: [row(), plug],
    });
    render(Home, { session });
    expect(screen.getByTestId('identifiable-napt').textContent).toBe('Nest Camera, Amazon Plug');
    // the catalog's device-level test rejected the plug for the VPN carrier: not counted there
    expect(screen.getByTestId('identifiable-vpn').textContent).toBe('Nest Camera');
    expect(screen.getByTestId('tells-napt').textContent).toBe('Nest Camera, Amazon Plug');
    expect(screen.getByTestId('tells-vpn').textContent).toBe('Nest Camera');
    expect(screen.getByText(/could tell 1 of 1 devices apart/)).toBeTruthy();
    expect(screen.getByText(/^1 device: too little traffic to tell$/)).toBeTruthy();
    expect(screen.getByTestId('leaking-napt').textContent).toBe('Nest Camera');
    expect(screen.getAllByText(/^Live: what was captured so far/)).toHaveLength(2);
  });

  it('counts a device the catalog does not recognise but the category model names apart, with its kind', () => {
    const session = new SessionState(new FakeApi());
    const base = row().exposure.napt!;
    const siren = row({
      mac: 'aa:bb:cc:00:00:03',
      name: 'DCH-S220',
      exposure: {
        napt: {
          ...base,
          evidence: 'looks-like',
          category: { named: 'sensor', guess: 'sensor', probability: 0.98, threshold: 0.95 },
        },
        vpn: {
          ...base,
          evidence: 'not-recognised',
          category: { named: null, guess: 'sensor', probability: 0.6, threshold: 0.95 },
        },
      },
    });
    session.snapshot = snapshot({ devices: [siren] });
    render(Home, { session });
    expect(screen.getByTestId('looks-like-napt').textContent).toBe('DCH-S220 (sensor)');
    expect(screen.queryByTestId('looks-like-vpn')).toBeNull();
    expect(
      screen.getByText(/^1 device looks like a kind of device it can name, though not which model$/),
    ).toBeTruthy();
  });
});

describe('Home page: a phone is listed, never counted among the smart-home devices', () => {
  it('counts the smart-home devices only, and names the phone plainly', () => {
    const session = new SessionState(new FakeApi({}));
    const camera = row();
    const phone = row({ mac: 'aa:bb:cc:00:00:09', name: 'Pixel 6 Phone', category: 'NON-IOT:phone' });
    session.snapshot = snapshot({ devices: [camera, phone] });
    const { container } = render(Home, { session });
    expect(container.querySelector('.big')?.textContent).toBe('1');
    expect(screen.getByTestId('other-devices').textContent).toBe(
      'and 1 other device (phones, computers, the router)',
    );
    // the phone's exposure (the fixture's: recognised) is not counted for the ISP
    expect(screen.getAllByText("Telltale's catalog recognises 1 of your 1 smart-home devices")).toHaveLength(
      2,
    );
    expect(screen.getByTestId('other-device-links').textContent?.replace(/\s+/g, ' ').trim()).toBe(
      'Also on your network, not counted: Pixel 6 Phone (phone).',
    );
    // one card per smart-home device, with its kind, verdict and action
    expect(screen.getAllByTestId('device-card')).toHaveLength(1);
    expect(container.textContent).not.toContain('NON-IOT');
  });
});

describe('Home page: who the devices talk to', () => {
  it('lists the sites by data with their share and devices, and the DNS and clear-text findings there', () => {
    const session = new SessionState(new FakeApi({}));
    const plug = row({ mac: 'aa:bb:cc:00:00:02', name: 'Amazon Plug' });
    session.snapshot = snapshot({
      devices: [row(), plug],
      sites: [
        {
          site: 'nest.com',
          packets: 900,
          bytes: 750_000,
          devices: [{ mac: 'aa:bb:cc:00:00:01', bytes: 750_000 }],
        },
        {
          site: null,
          packets: 300,
          bytes: 250_000,
          devices: [
            { mac: 'aa:bb:cc:00:00:02', bytes: 200_000 },
            { mac: 'aa:bb:cc:00:00:01', bytes: 50_000 },
          ],
        },
      ],
      findings: [
        finding({
          id: 'dns:napt:home',
          kind: 'dns',
          device: null,
          title: 'Your home looks up 40 names in clear text.',
        }),
      ],
    });
    render(Home, { session });
    const rows = [...screen.getByTestId('home-sites').querySelectorAll('tbody tr')].map((tr) =>
      [...tr.querySelectorAll('td')].map((td) => td.textContent?.replace(/\s+/g, ' ').trim()),
    );
    expect(rows).toEqual([
      ['nest.com', '750.0 kB (75 %)', 'Nest Camera'],
      ['addresses never looked up by name', '250.0 kB (25 %)', 'Amazon Plug, Nest Camera'],
    ]);
    expect(screen.getByText('Your home looks up 40 names in clear text.')).toBeTruthy();
  });
});

describe('Device page: a device that stays inside the home', () => {
  it('offers no defence what-ifs, since no outsider sees anything to hide', async () => {
    const t0 = 1_700_000_000;
    const napt = row().exposure.napt!;
    const inside = row({
      mac: 'aa:bb:cc:00:00:07',
      name: 'Smoke detector',
      exposure: {
        napt: { ...napt, packets: 0, spansSeen: 0, spansTotal: 0, busyRecall: 1 },
        vpn: { ...napt, packets: 0, spansSeen: 0, spansTotal: 0, busyRecall: 1 },
      },
    });
    const timeline = {
      start: t0,
      end: t0 + 600,
      segments: [],
      spans: [],
      droppedSegments: 0,
      droppedSpans: 0,
    };
    const detail: DeviceDetail = {
      row: inside,
      coverage: [{ start: t0, end: t0 + 600 }],
      truth: timeline,
      inferred: { napt: null, vpn: null },
      rates: [],
      destinations: { names: [], services: [], sites: [], remotePeerCount: 0 },
      findings: [],
      whatIfs: [
        {
          id: 'napt-pad-16',
          view: 'napt',
          description: 'padding to multiples of 16 bytes',
          recognisedShare: 0,
          agreement: 1,
          busyRecall: 1,
          spansSeen: 0,
          spansTotal: 0,
          costShare: 0.04,
          sample: null,
          undefended: null,
        },
      ],
    };
    const session = new SessionState(new FakeApi({ 'device.detail': () => ({ ok: true, value: detail }) }));
    await session.attach(new FakeApi({ 'device.detail': () => ({ ok: true, value: detail }) }));
    session.snapshot = snapshot({ devices: [inside] });
    const { container } = render(DeviceDetailPage, { session, mac: inside.mac });
    await screen.findByTestId('no-what-ifs');
    expect(container.textContent).not.toContain('padding to multiples of 16 bytes');
  });
});

describe('Capture page: from the router over SSH', () => {
  it('shows the command it will run, refuses what is not a plain name, and starts with the fields as given', async () => {
    const api = new FakeApi({
      'capture.startRouter': () => ({
        ok: true,
        value: { sessionId: 's2', kind: 'live', names: ['ssh root@192.168.1.1 (br-lan)'], speed: 'max' },
      }),
    });
    const session = new SessionState(api);
    render(Capture, { session });
    const host = screen.getByTestId('router-host');
    const start = () => screen.getByTestId('router-capture').querySelector('button')!;
    await fireEvent.input(host, { target: { value: '192.168.1.1;reboot' } });
    expect(screen.getByRole('alert').textContent).toMatch(/must be a host name or an IP address/);
    expect(start().disabled).toBe(true);
    await fireEvent.input(host, { target: { value: '192.168.1.1' } });
    expect(screen.queryByRole('alert')).toBeNull();
    expect(screen.getByTestId('router-command').textContent).toBe(
      'ssh root@192.168.1.1 tcpdump -i br-lan -U -s 0 -w - not port 22',
    );
    await fireEvent.click(start());
    await tick();
    expect(api.calls.find((c) => c.channel === 'capture.startRouter')?.payload).toEqual({
      host: '192.168.1.1',
      user: 'root',
      interface: 'br-lan',
      port: null,
    });
  });
});

describe('StatusBar', () => {
  it('says the what-ifs are still being worked out after the audit, with their progress, and "Done" once they end', () => {
    const session = new SessionState(new FakeApi({}));
    session.snapshot = snapshot({
      source: { sessionId: 's1', kind: 'files', names: ['home.pcap'], speed: 'max' },
      whatIfsPending: { stage: 'what ifs: reading the capture again', fraction: 0.4 },
    });
    const { container, unmount } = render(StatusBar, { session });
    // not "Done" while the defences are still being tried
    expect(container.querySelector('.state')?.textContent).toBe('Trying defences');
    const pending = screen.getByTestId('what-ifs-pending');
    expect(pending.textContent).toBe(
      'Working out what defences would change (what ifs: reading the capture again)…',
    );
    expect(
      (container.querySelector('progress[aria-label^="Working out"]') as HTMLProgressElement).value,
    ).toBeCloseTo(0.4, 5);
    unmount();
    session.snapshot = snapshot({ whatIfsPending: null });
    const done = render(StatusBar, { session });
    expect(screen.queryByTestId('what-ifs-pending')).toBeNull();
    expect(done.container.querySelector('.state')?.textContent).toBe('Done');
  });
});

describe('Inspect mode panel', () => {
  it('lists what discovery found, never lets the router or this computer be ticked, and starts only after consent', async () => {
    const discovery: InspectDiscovery = {
      interface: 'wlan0',
      self: { ip: '192.168.1.50', mac: 'aa:bb:cc:00:00:50' },
      subnet: '192.168.1.0/24',
      gatewayIp: '192.168.1.1',
      devices: [
        { mac: 'aa:bb:cc:00:00:01', ip: '192.168.1.1', vendor: 'AVM', name: null, role: 'router' },
        {
          mac: 'aa:bb:cc:00:00:20',
          ip: '192.168.1.20',
          vendor: 'Amazon Technologies Inc.',
          name: 'Kitchen plug',
          role: 'device',
        },
        { mac: 'aa:bb:cc:00:00:21', ip: '192.168.1.21', vendor: 'Ring LLC', name: null, role: 'device' },
      ],
      noSweep: null,
      asked: 253,
      seconds: 3.4,
    };
    const api = new FakeApi({
      'inspect.discover': () => ({ ok: true, value: discovery }),
      'capture.startInspect': () => ({ ok: false, error: { code: 'unavailable', message: 'not here' } }),
    });
    const session = new SessionState(api);
    const wlan = { name: 'wlan0', description: null, addresses: ['192.168.1.50'], loopback: false, sees: '' };
    render(InspectPanel, { session, interfaces: [wlan], chosen: 'wlan0' });
    await fireEvent.click(screen.getByTestId('inspect-look'));
    await tick();
    await tick();
    expect(api.calls.at(-1)).toEqual({ channel: 'inspect.discover', payload: { interface: 'wlan0' } });
    expect(screen.getByText('2 found on 192.168.1.0/24 in 3 s. Tick the ones to inspect.')).toBeTruthy();
    const boxes = screen
      .getByTestId('inspect-devices')
      .querySelectorAll<HTMLInputElement>('input[type=checkbox]');
    expect([...boxes].map((b) => b.disabled)).toEqual([false, false, true, true]);
    const start = screen.getByTestId('inspect-start') as HTMLButtonElement;
    await fireEvent.click(screen.getByLabelText('Kitchen plug'));
    expect(start.disabled).toBe(true); // no consent yet
    await fireEvent.click(screen.getByTestId('inspect-consent-tick'));
    expect(start.disabled).toBe(false);
    expect(start.textContent).toBe('Start inspecting 1 device');
    await fireEvent.click(start);
    expect(api.calls.at(-1)).toEqual({
      channel: 'capture.startInspect',
      payload: { interface: 'wlan0', devices: ['aa:bb:cc:00:00:20'], consent: true },
    });
  });
});
