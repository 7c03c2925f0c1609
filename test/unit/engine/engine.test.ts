/**
 * The engine's route table and session behaviour with the small fixture models: errors as data,
 * a replay to the end, snapshots at most once per interval and stamped with the session id, and a
 * rename that is kept on disk for the next engine.
 */
import { createSocket, type Socket } from 'node:dgram';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findDumpcap } from '../../../src-main/capture/dumpcap.ts';
import { LiveCaptureSource } from '../../../src-main/capture/live-capture.ts';
import type { CaptureError } from '../../../src-main/capture/packet-source.ts';
import { Engine } from '../../../src-main/engine/engine.ts';
import { findChromium } from '../../../src-main/report/chromium.ts';
import type { Snapshot } from '../../../src-main/shared/ipc-contract.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const MODELS = join(ROOT, 'test/fixtures/models');
const CAPTURE = join(ROOT, 'test/fixtures/decode/tuya-plug-active-1-600.pcap');
const PLUG = '38:1f:8d:b0:c9:01';

/** Null when this process may capture on loopback, else why it may not (tried once, up front). */
function liveCaptureRefusal(): CaptureError | null {
  const probe = new LiveCaptureSource('lo', { filter: 'udp port 9' });
  const opened = probe.open();
  probe.stop();
  return opened ? null : probe.errors[0];
}

const refusal = liveCaptureRefusal();
if (refusal !== null) console.warn(`live capture not permitted here: ${refusal.message}`);

const dirs: string[] = [];
const engines: Engine[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.close();
  for (const e of engines.splice(0)) await e.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function engine(
  dataDir = mkdtempSync(join(tmpdir(), 'telltale-engine-')),
  interval = 50,
  liveAuditIntervalMs?: number,
  modelsDir = MODELS,
) {
  dirs.push(dataDir);
  const snapshots: { at: number; s: Snapshot }[] = [];
  const e = new Engine({
    dataDir,
    modelsDir,
    mode: 'browser',
    version: 'test',
    snapshotIntervalMs: interval,
    liveAuditIntervalMs,
    emit: (_event, s) => snapshots.push({ at: Date.now(), s }),
  });
  engines.push(e);
  return { e, snapshots, dataDir };
}

async function until(pred: () => boolean, ms = 30_000): Promise<void> {
  const t0 = Date.now();
  while (!pred()) {
    if (Date.now() - t0 > ms) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * A free loopback UDP port (a socket is bound to it, so datagrams sent there are this test's
 * only) and a socket to send from.
 */
async function udpPort(): Promise<{ port: number; sender: Socket }> {
  const receiver = createSocket('udp4');
  const sender = createSocket('udp4');
  sockets.push(receiver, sender);
  await new Promise<void>((resolve) => receiver.bind(0, '127.0.0.1', resolve));
  return { port: receiver.address().port, sender };
}

describe('Engine', () => {
  it('answers with errors as data: bad payloads, missing files, no session', async () => {
    const { e } = engine();
    await expect(e.handle('capture.openFiles', { paths: [] })).resolves.toMatchObject({
      ok: false,
      error: { code: 'bad-request' },
    });
    await expect(e.handle('capture.openFiles', { paths: ['/no/such.pcap'] })).resolves.toEqual({
      ok: false,
      error: { code: 'not-found', message: '/no/such.pcap: no such file' },
    });
    await expect(e.handle('capture.setSpeed', { speed: 10 })).resolves.toMatchObject({
      ok: false,
      error: { code: 'not-found', message: 'no capture session: open a capture file first' },
    });
    await expect(e.handle('device.rename', { mac: 'nope', name: 'x' })).resolves.toMatchObject({
      ok: false,
      error: { code: 'bad-request' },
    });
    await expect(e.handle('device.detail', { mac: PLUG })).resolves.toMatchObject({
      ok: false,
      error: { code: 'not-found' },
    });
    await expect(e.handle('dialog.openCaptures', null)).resolves.toMatchObject({
      ok: false,
      error: { code: 'unavailable' },
    });
    await expect(e.handle('settings.update', { theme: 'neon' })).resolves.toMatchObject({
      ok: false,
      error: { code: 'bad-request' },
    });
    const info = await e.handle('app.info', null);
    expect(info).toMatchObject({
      ok: true,
      value: { mode: 'browser', models: [{ id: 'fixture-rf-napt' }, {}, {}] },
    });
  });

  it('replays a capture to the end, audits it and sends snapshots no closer than the interval', async () => {
    const { e, snapshots } = engine(undefined, 50);
    const opened = await e.handle('capture.openFiles', { paths: [CAPTURE], speed: 'max' });
    expect(opened).toEqual({
      ok: true,
      value: {
        sessionId: expect.any(String) as unknown,
        kind: 'files',
        names: ['tuya-plug-active-1-600.pcap'],
        speed: 'max',
      },
    });
    await until(() => snapshots.some((x) => x.s.status === 'done' && x.s.whatIfs.length > 0));
    // every snapshot is of the session the open answered with, from one engine
    const ids = new Set(snapshots.map((x) => x.s.sessionId));
    expect([...ids]).toEqual([opened.ok && (opened.value as { sessionId: string }).sessionId]);
    expect(new Set(snapshots.map((x) => x.s.engineId)).size).toBe(1);
    const seqs = snapshots.map((x) => x.s.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    for (let i = 1; i < snapshots.length; i++)
      expect(snapshots[i].at - snapshots[i - 1].at).toBeGreaterThanOrEqual(45);
    const last = snapshots[snapshots.length - 1].s;
    // "done" came before the what-ifs, which were marked pending until they ended
    const firstDone = snapshots.findIndex((x) => x.s.status === 'done');
    expect(snapshots[firstDone].s.whatIfs).toEqual([]);
    expect(snapshots.slice(firstDone).some((x) => x.s.whatIfsPending !== null)).toBe(true);
    expect(last.whatIfsPending).toBeNull();
    expect(last.progress.packets).toBe(600);
    expect(last.devices.map((d) => d.mac)).toEqual([PLUG]);
    expect(last.observers?.map((o) => o.view)).toEqual(['napt', 'vpn']);
    expect(last.findings.length).toBeGreaterThan(0);
    // a file that is no capture is refused, and the session on screen stays
    const notes = join(mkdtempSync(join(tmpdir(), 'telltale-notes-')), 'notes.pcap');
    dirs.push(dirname(notes));
    writeFileSync(notes, 'not a capture at all\n');
    await expect(e.handle('capture.openFiles', { paths: [notes], speed: 'max' })).resolves.toMatchObject({
      ok: false,
      error: {
        code: 'bad-request',
        message: 'notes.pcap is not a capture file (pcap, pcapng or gzip): nothing was opened',
      },
    });
    const kept = (await e.handle('session.snapshot', null)) as { ok: true; value: Snapshot };
    expect([kept.value.sessionId, kept.value.status]).toEqual([last.sessionId, 'done']);
    // the findings quote times in the zone the person chose, with its offset
    const quoted = (f: { title: string }): boolean => / e\.g\. \d{4}-\d\d-\d\d /.test(f.title);
    expect(last.findings.some(quoted)).toBe(true);
    await e.handle('settings.update', { timeZone: 'Asia/Shanghai' });
    const shanghai = (await e.handle('session.snapshot', null)) as { ok: true; value: Snapshot };
    const times = shanghai.value.findings.filter(quoted).map((f) => f.title);
    expect(times.length).toBeGreaterThan(0);
    for (const t of times) expect(t).toMatch(/ UTC\+08:00 /);
    await expect(e.handle('settings.update', { timeZone: 'Mars/Olympus' })).resolves.toMatchObject({
      ok: false,
      error: { code: 'bad-request' },
    });
    const detail = await e.handle('device.detail', { mac: PLUG });
    expect(detail).toMatchObject({ ok: true });
    if (detail.ok) {
      const d = detail.value as { truth: { segments: unknown[] }; rates: unknown[] };
      expect(d.truth.segments.length).toBeGreaterThan(0);
      expect(d.rates.length).toBeGreaterThan(0);
    }
    const exported = await e.handle('session.export', null);
    expect(
      exported.ok && (JSON.parse((exported.value as { json: string }).json) as { format: string }).format,
    ).toBe('telltale-session');
    // the audit as CSV: devices, busy spans, findings, each with its header and rows
    const csv = await e.handle('session.exportCsv', null);
    const files = csv.ok ? (csv.value as { files: { fileName: string; csv: string }[] }).files : [];
    expect(files.map((f) => f.fileName.replace(/^telltale-[\d-]+-/, ''))).toEqual([
      'devices.csv',
      'busy-spans.csv',
      'findings.csv',
    ]);
    expect(files[0].csv.split('\n')[1]).toMatch(new RegExp(`^${PLUG},`));
    expect(files[2].csv.trim().split('\n').length).toBe(1 + last.findings.length);
    // each packet the ISP sees with the model's answer, made on request and handed over in parts
    const first = await e.handle('session.exportPackets', { view: 'napt', part: 0 });
    expect(first).toMatchObject({ ok: true, value: { part: 0, parts: 1 } });
    const packets = first.ok ? (first.value as { fileName: string; rows: number; csv: string }) : null;
    expect(packets?.fileName).toMatch(/^telltale-[\d-]+-packets-napt\.csv$/);
    const lines = packets?.csv.trim().split('\n') ?? [];
    expect(lines[0]).toBe('row,ts,device_mac,true_label,predicted,confidence');
    expect(lines.length - 1).toBe(packets?.rows);
    expect(packets?.rows).toBeGreaterThan(100);
    expect(packets?.rows).toBeLessThanOrEqual(600);
    for (const line of lines.slice(1)) expect(line.split(',')[2]).toBe(PLUG);
    await expect(e.handle('session.exportPackets', { view: 'napt', part: 1 })).resolves.toMatchObject({
      ok: false,
      error: { code: 'bad-request', message: 'part 1 does not exist: the export has 1' },
    });
    await expect(e.handle('session.exportPackets', { view: 'vpn', part: 2 })).resolves.toMatchObject({
      ok: false,
      error: { code: 'bad-request', message: 'ask for part 0 first: it makes the file' },
    });
    // the privacy report of the finished audit: the home's, and one device's section alone
    const page = await e.handle('report.render', { format: 'html' });
    expect(page).toMatchObject({ ok: true, value: { mime: 'text/html', encoding: 'utf8' } });
    const html = page.ok ? (page.value as { data: string }).data : '';
    expect(html).toContain('Your household');
    expect(html).toContain('tuya-plug-active-1-600.pcap');
    const one = await e.handle('report.render', { format: 'html', device: PLUG.toUpperCase() });
    expect(one.ok && (one.value as { data: string }).data).not.toContain('Your household');
    expect(one.ok && (one.value as { fileName: string }).fileName).toMatch(/-381f8db0c901\.html$/);
    await expect(
      e.handle('report.render', { format: 'html', device: 'aa:bb:cc:dd:ee:ff' }),
    ).resolves.toMatchObject({
      ok: false,
      error: { code: 'not-found' },
    });
    if (findChromium() !== null) {
      const pdf = await e.handle('report.render', { format: 'pdf', paper: 'Letter' });
      expect(pdf).toMatchObject({ ok: true, value: { mime: 'application/pdf', encoding: 'base64' } });
      const bytes = Buffer.from(pdf.ok ? (pdf.value as { data: string }).data : '', 'base64');
      expect(bytes.subarray(0, 5).toString()).toBe('%PDF-');
    }
  }, 60_000);

  it('opens the sample capture that ships beside the models, with its labels', async () => {
    const models = mkdtempSync(join(tmpdir(), 'telltale-models-'));
    dirs.push(models);
    const { e, snapshots } = engine(undefined, 50, undefined, models);
    // no sample there: said plainly
    await expect(e.handle('capture.openSample', null)).resolves.toMatchObject({
      ok: false,
      error: { code: 'not-found', message: 'this installation has no sample capture (models/samples)' },
    });
    cpSync(resolve(ROOT, 'models/samples'), join(models, 'samples'), { recursive: true });
    const opened = await e.handle('capture.openSample', null);
    expect(opened).toMatchObject({
      ok: true,
      value: { kind: 'files', names: ['xiaobai-camera-setup.pcap', 'xiaodu-plug-setup.pcap'] },
    });
    await until(() => snapshots.some((x) => x.s.status === 'done'));
    const snap = (await e.handle('session.snapshot', null)) as { ok: true; value: Snapshot };
    // the labels file named the devices
    expect(snap.value.devices.map((d) => d.trueLabel).sort()).toEqual([
      'Baidu Xiaodu Plug',
      'Xiaobai Y2 Camera',
    ]);
  });

  it('makes no report before the audit is done', async () => {
    const { e } = engine();
    await expect(e.handle('report.render', { format: 'html' })).resolves.toMatchObject({
      ok: false,
      error: { code: 'not-found', message: 'no capture session: open a capture file first' },
    });
    await e.handle('capture.openFiles', { paths: [CAPTURE], speed: 1 });
    await expect(e.handle('report.render', { format: 'pdf' })).resolves.toMatchObject({
      ok: false,
      error: { code: 'unavailable' },
    });
    await expect(e.handle('session.exportPackets', { view: 'napt', part: 0 })).resolves.toMatchObject({
      ok: false,
      error: {
        code: 'unavailable',
        message: expect.stringMatching(/^per-packet labels are made from the finished audit/) as unknown,
      },
    });
  });

  it('saves nothing when a rename or a type correction is refused', async () => {
    const { e, snapshots, dataDir } = engine();
    await expect(e.handle('device.rename', { mac: PLUG, name: 'Desk lamp' })).resolves.toMatchObject({
      ok: false,
      error: { code: 'not-found', message: 'no capture session: open a capture file first' },
    });
    await expect(e.handle('device.setCategory', { mac: PLUG, category: 'plug' })).resolves.toMatchObject({
      ok: false,
    });
    await e.handle('capture.openFiles', { paths: [CAPTURE] });
    await until(() => snapshots.some((x) => x.s.status === 'done'));
    await expect(
      e.handle('device.rename', { mac: 'aa:bb:cc:dd:ee:ff', name: 'Ghost' }),
    ).resolves.toMatchObject({
      ok: false,
      error: { code: 'not-found' },
    });
    expect(existsSync(join(dataDir, 'devices.json'))).toBe(false);
  });

  it('starts with a damaged data file moved aside, and says so in the app info and every session', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'telltale-engine-'));
    writeFileSync(join(dataDir, 'devices.json'), '{"devices": {');
    writeFileSync(join(dataDir, 'settings.json'), '[]');
    const { e, snapshots } = engine(dataDir);
    expect(e.notices).toHaveLength(2);
    const info = await e.handle('app.info', null);
    expect(info.ok && (info.value as { notices: string[] }).notices).toEqual(e.notices);
    expect(e.snapshot().problems.map((p) => p.message)).toEqual(expect.arrayContaining([...e.notices]));
    await e.handle('capture.openFiles', { paths: [CAPTURE] });
    await until(() => snapshots.some((x) => x.s.status === 'done'));
    expect(snapshots.at(-1)!.s.problems.map((p) => p.message)).toEqual(
      expect.arrayContaining([...e.notices]),
    );
    expect(readdirSync(dataDir).filter((f) => f.includes('.damaged-'))).toHaveLength(2);
  });

  it('checks every payload against the contract before any work', async () => {
    const { e } = engine();
    const bad: [string, unknown][] = [
      ['capture.openFiles', { paths: ['/x'], extra: 1 }],
      ['capture.openFiles', { paths: [42] }],
      ['capture.openFiles', { paths: ['/x'], speed: 0 }],
      ['capture.openFiles', { paths: ['/x\u0000y'] }],
      ['capture.openFiles', 'paths'],
      ['capture.startLive', { interface: '' }],
      ['capture.setSpeed', { speed: 'warp' }],
      ['device.rename', { mac: PLUG, name: 'x'.repeat(5000) }],
      ['device.rename', { mac: [PLUG], name: 'x' }],
      ['settings.update', { theme: 'dark', colour: 'red' }],
      ['session.snapshot', [1, 2]],
      ['no.such.channel', null],
    ];
    for (const [channel, payload] of bad)
      await expect(e.handle(channel as 'app.info', payload), channel).resolves.toMatchObject({
        ok: false,
        error: { code: 'bad-request' },
      });
  });

  it('keeps a rename per MAC on disk, for the next engine and the next session', async () => {
    const { e, snapshots, dataDir } = engine();
    await e.handle('capture.openFiles', { paths: [CAPTURE] });
    await until(() => snapshots.some((x) => x.s.status === 'done'));
    const renamed = await e.handle('device.rename', { mac: PLUG, name: '  Desk\nlamp  ' });
    expect(renamed).toMatchObject({ ok: true, value: { name: 'Desk lamp', nameSource: 'user' } });
    expect(JSON.parse(readFileSync(join(dataDir, 'devices.json'), 'utf8'))).toEqual({
      devices: { [PLUG]: { name: 'Desk lamp' } },
    });
    await e.close();
    const next = engine(dataDir);
    await next.e.handle('capture.openFiles', { paths: [CAPTURE] });
    await until(() => next.snapshots.some((x) => x.s.status === 'done'));
    const row = next.snapshots[next.snapshots.length - 1].s.devices[0];
    expect([row.name, row.nameSource]).toEqual(['Desk lamp', 'user']);
    expect(next.snapshots.at(-1)!.s.findings.some((f) => f.title.includes('Desk lamp'))).toBe(true);
    await expect(next.e.handle('device.rename', { mac: PLUG, name: null })).resolves.toMatchObject({
      ok: true,
      value: { nameSource: 'auto' },
    });
  });

  it.skipIf(refusal !== null)(
    'captures live on loopback until stopped, then audits what it saw',
    async () => {
      const { e, snapshots } = engine();
      await expect(e.handle('capture.startLive', { interface: 'no-such-if0' })).resolves.toMatchObject({
        ok: false,
        error: { code: 'not-found' },
      });
      const { port, sender } = await udpPort();
      const started = await e.handle('capture.startLive', { interface: 'lo', filter: `udp port ${port}` });
      expect(started).toMatchObject({ ok: true, value: { kind: 'live', names: ['lo'], speed: 'max' } });
      const progress = () => snapshots.at(-1)!.s.progress;
      // the capture opens in the background: knock (10-byte datagrams, 52 bytes on the wire) until
      // it has seen one, then send five of 100 bytes (142 on the wire), which all come after the knocks
      const knocking = setInterval(() => {
        sender.send(Buffer.alloc(10), port, '127.0.0.1');
      }, 20);
      try {
        await until(() => progress().packets > 0, 10_000);
      } finally {
        clearInterval(knocking);
      }
      for (let i = 0; i < 5; i++) sender.send(Buffer.alloc(100), port, '127.0.0.1');
      // k knocks and j of the five: bytes - 52 × (packets - 5) = 260 + 90 j, which is 710 only once j = 5
      const fiveSeen = ({ packets, bytes }: { packets: number; bytes: number }) =>
        bytes - 52 * (packets - 5) === 5 * 142;
      await until(() => fiveSeen(progress()), 10_000);
      await e.handle('capture.stop', null);
      await until(() => ['stopped', 'error'].includes(snapshots.at(-1)!.s.status));
      const last = snapshots.at(-1)!.s;
      expect(last.status).toBe('stopped');
      expect(last.problems.filter((p) => p.severity === 'error')).toEqual([]);
      expect(last.progress.packets).toBeGreaterThanOrEqual(6);
      expect(fiveSeen(last.progress)).toBe(true);
      expect(last.observers?.map((o) => o.view)).toEqual(['napt', 'vpn']);
    },
  );

  it.skipIf(refusal !== null || findDumpcap() === null)(
    "captures through Wireshark's dumpcap where libpcap is refused in this process, with libpcap's timestamps",
    async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'telltale-engine-'));
      dirs.push(dataDir);
      const snapshots: Snapshot[] = [];
      const e = new Engine({
        dataDir,
        modelsDir: MODELS,
        mode: 'browser',
        version: 'test',
        snapshotIntervalMs: 50,
        liveBackend: 'dumpcap',
        emit: (_event, s) => snapshots.push(s),
      });
      engines.push(e);
      const { port, sender } = await udpPort();
      const started = await e.handle('capture.startLive', { interface: 'lo', filter: `udp port ${port}` });
      expect(started).toMatchObject({
        ok: true,
        value: { kind: 'live', names: ["lo (through Wireshark's dumpcap)"] },
      });
      const knocking = setInterval(() => {
        sender.send(Buffer.alloc(10), port, '127.0.0.1');
      }, 20);
      try {
        await until(() => (snapshots.at(-1)?.progress.packets ?? 0) >= 5, 15_000);
      } finally {
        clearInterval(knocking);
      }
      await e.handle('capture.stop', null);
      await until(() => ['stopped', 'error'].includes(snapshots.at(-1)!.status), 15_000);
      const last = snapshots.at(-1)!;
      expect(last.status).toBe('stopped');
      expect(last.problems.filter((p) => p.severity === 'error')).toEqual([]);
      expect(last.progress.packets).toBeGreaterThanOrEqual(5);
      expect(last.progress.timestamps).toBe('libpcap');
    },
  );

  it.skipIf(refusal !== null)('analyses a live capture while it runs, every interval', async () => {
    const { e, snapshots } = engine(undefined, 50, 300);
    const { port, sender } = await udpPort();
    await e.handle('capture.startLive', { interface: 'lo', filter: `udp port ${port}` });
    const sending = setInterval(() => {
      sender.send(Buffer.alloc(80), port, '127.0.0.1');
    }, 20);
    try {
      await until(
        () =>
          snapshots.at(-1)!.s.status === 'error' ||
          snapshots.some((x) => x.s.status === 'capturing' && x.s.observers !== null),
        20_000,
      );
    } finally {
      clearInterval(sending);
    }
    expect(snapshots.at(-1)!.s.status).toBe('capturing');
    const live = snapshots.find((x) => x.s.status === 'capturing' && x.s.observers !== null)!.s;
    expect(live.observers!.map((o) => o.view)).toEqual(['napt', 'vpn']);
    expect(live.progress.packets).toBeGreaterThan(0);
    await e.handle('capture.stop', null);
    await until(() => snapshots.at(-1)!.s.status === 'stopped');
    expect(snapshots.at(-1)!.s.observers).not.toBeNull();
  });

  it.runIf(refusal?.kind === 'permission')(
    'ends a live session in the error state, saying capturing is not permitted and how to get the right',
    async () => {
      const { e, snapshots } = engine();
      const started = await e.handle('capture.startLive', { interface: 'lo', filter: 'udp port 9' });
      expect(started).toMatchObject({ ok: true, value: { kind: 'live', names: ['lo'] } });
      await until(() => snapshots.at(-1)!.s.status === 'error');
      const last = snapshots.at(-1)!.s;
      expect(last.progress.packets).toBe(0);
      expect(last.problems.filter((p) => p.severity === 'error').map((p) => p.message)).toEqual([
        expect.stringMatching(
          /^lo: capturing here is not permitted: give Node the capture rights once \(sudo setcap cap_net_raw,cap_net_admin=eip .+\), or run Telltale as root$/,
        ),
      ]);
    },
  );

  it('stops a paced replay, and a new session gets a new id', async () => {
    const { e, snapshots } = engine();
    await e.handle('capture.openFiles', { paths: [CAPTURE], speed: 1 });
    await until(() => snapshots.some((x) => x.s.status === 'replaying' && x.s.progress.packets > 0));
    await expect(e.handle('capture.pause', null)).resolves.toEqual({ ok: true, value: null });
    await until(() => snapshots.at(-1)!.s.status === 'paused');
    await e.handle('capture.stop', null);
    await until(() => snapshots.at(-1)!.s.status === 'stopped');
    const first = snapshots.at(-1)!.s.sessionId;
    expect(snapshots.at(-1)!.s.progress.packets).toBeLessThan(600);
    await e.handle('capture.openFiles', { paths: [CAPTURE] });
    await until(() => snapshots.at(-1)!.s.status === 'done');
    expect(snapshots.at(-1)!.s.sessionId).not.toBe(first);
  });
});
