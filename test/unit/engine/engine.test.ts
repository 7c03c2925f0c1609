/**
 * The engine's route table and session behaviour with the small fixture models: errors as data,
 * a replay to the end, snapshots at most once per interval and stamped with the session id, and a
 * rename that is kept on disk for the next engine.
 */
import { createSocket } from 'node:dgram';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Engine } from '../../../src-main/engine/engine.ts';
import type { Snapshot } from '../../../src-main/shared/ipc-contract.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const MODELS = join(ROOT, 'test/fixtures/models');
const CAPTURE = join(ROOT, 'test/fixtures/decode/tuya-plug-active-1-600.pcap');
const PLUG = '38:1f:8d:b0:c9:01';

const dirs: string[] = [];
const engines: Engine[] = [];
afterEach(async () => {
  for (const e of engines.splice(0)) await e.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function engine(
  dataDir = mkdtempSync(join(tmpdir(), 'telltale-engine-')),
  interval = 50,
  liveAuditIntervalMs?: number,
) {
  dirs.push(dataDir);
  const snapshots: { at: number; s: Snapshot }[] = [];
  const e = new Engine({
    dataDir,
    modelsDir: MODELS,
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
      value: { kind: 'files', names: ['tuya-plug-active-1-600.pcap'], speed: 'max' },
    });
    await until(() => snapshots.some((x) => x.s.status === 'done' && x.s.whatIfs.length > 0));
    const ids = new Set(snapshots.map((x) => x.s.sessionId));
    expect(ids.size).toBe(1);
    const seqs = snapshots.map((x) => x.s.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    for (let i = 1; i < snapshots.length; i++)
      expect(snapshots[i].at - snapshots[i - 1].at).toBeGreaterThanOrEqual(45);
    const last = snapshots[snapshots.length - 1].s;
    expect(last.progress.packets).toBe(600);
    expect(last.devices.map((d) => d.mac)).toEqual([PLUG]);
    expect(last.observers?.map((o) => o.view)).toEqual(['napt', 'vpn']);
    expect(last.findings.length).toBeGreaterThan(0);
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

  it('captures live on loopback until stopped, then audits what it saw (or says capturing is not permitted)', async () => {
    const { e, snapshots } = engine();
    await expect(e.handle('capture.startLive', { interface: 'no-such-if0' })).resolves.toMatchObject({
      ok: false,
      error: { code: 'not-found' },
    });
    const port = 46_000 + (process.pid % 900);
    const started = await e.handle('capture.startLive', { interface: 'lo', filter: `udp port ${port}` });
    expect(started).toEqual({ ok: true, value: { kind: 'live', names: ['lo'], speed: 'max' } });
    await new Promise((r) => setTimeout(r, 300));
    const socket = createSocket('udp4');
    for (let i = 0; i < 5; i++) socket.send(Buffer.alloc(100), port, '127.0.0.1');
    await new Promise((r) => setTimeout(r, 500));
    socket.close();
    await e.handle('capture.stop', null);
    await until(() => ['stopped', 'error'].includes(snapshots.at(-1)!.s.status));
    const last = snapshots.at(-1)!.s;
    if (last.status === 'error') {
      expect(last.problems.map((p) => p.message).join(' ')).toMatch(/not permitted: run Telltale as root/);
    } else {
      expect(last.progress.packets).toBe(5);
      expect(last.observers?.map((o) => o.view)).toEqual(['napt', 'vpn']);
    }
  });

  it('analyses a live capture while it runs, every interval (or says capturing is not permitted)', async () => {
    const { e, snapshots } = engine(undefined, 50, 300);
    const port = 47_000 + (process.pid % 900);
    await e.handle('capture.startLive', { interface: 'lo', filter: `udp port ${port}` });
    const socket = createSocket('udp4');
    const sender = setInterval(() => {
      socket.send(Buffer.alloc(80), port, '127.0.0.1');
    }, 20);
    try {
      await until(
        () =>
          snapshots.at(-1)!.s.status === 'error' ||
          snapshots.some((x) => x.s.status === 'capturing' && x.s.observers !== null),
        20_000,
      );
    } finally {
      clearInterval(sender);
      socket.close();
    }
    const last = snapshots.at(-1)!.s;
    if (last.status === 'error') {
      expect(last.problems.map((p) => p.message).join(' ')).toMatch(/not permitted: run Telltale as root/);
      return;
    }
    const live = snapshots.find((x) => x.s.status === 'capturing' && x.s.observers !== null)!.s;
    expect(live.observers!.map((o) => o.view)).toEqual(['napt', 'vpn']);
    expect(live.progress.packets).toBeGreaterThan(0);
    await e.handle('capture.stop', null);
    await until(() => snapshots.at(-1)!.s.status === 'stopped');
    expect(snapshots.at(-1)!.s.observers).not.toBeNull();
  });

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
