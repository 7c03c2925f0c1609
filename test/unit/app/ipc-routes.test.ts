import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import {
  checkIpcRequest,
  checkRequest,
  desktopGrants,
  grantDroppedFiles,
  EngineRequests,
  MAIN_CHANNELS,
  printsInMain,
  restartDelay,
  ROUTES,
  SessionMemory,
} from '../../../src-main/app/ipc-routes.ts';
import {
  ENGINE_CHANNELS,
  REQUEST_CHANNELS,
  type WireMessage,
} from '../../../src-main/shared/ipc-contract.ts';

describe('the IPC route table', () => {
  it('routes every channel of the contract, dialogs to main and the rest to the engine', () => {
    expect(Object.keys(ROUTES).sort()).toEqual([...REQUEST_CHANNELS].sort());
    for (const c of REQUEST_CHANNELS) expect(ROUTES[c]).toBe(MAIN_CHANNELS.includes(c) ? 'main' : 'engine');
    expect(ENGINE_CHANNELS.filter((c) => ROUTES[c] !== 'engine')).toEqual([]);
  });

  it('prints a PDF report in the main process (the app’s own Chromium), a web page report in the engine', () => {
    expect(printsInMain('report.render', { format: 'pdf' })).toBe(true);
    expect(printsInMain('report.render', { format: 'html', device: null })).toBe(false);
    expect(printsInMain('session.export', null)).toBe(false);
  });

  it('checks every message’s sender: the app window, a frame of the app, a channel of the contract', () => {
    const ok = { isAppWindow: true, frameUrl: 'app://telltale/index.html' };
    expect(checkRequest(ok, 'session.snapshot')).toEqual({ ok: true, value: 'session.snapshot' });
    expect(checkRequest({ ...ok, isAppWindow: false }, 'session.snapshot')).toMatchObject({
      ok: false,
      error: { code: 'permission' },
    });
    expect(checkRequest({ ...ok, frameUrl: 'https://evil.example/' }, 'session.snapshot')).toMatchObject({
      ok: false,
      error: { code: 'permission' },
    });
    expect(checkRequest({ ...ok, frameUrl: undefined }, 'session.snapshot')).toMatchObject({ ok: false });
    expect(checkRequest(ok, 'fs.readFile')).toMatchObject({ ok: false, error: { code: 'bad-request' } });
  });
});

describe('what the window may ask the engine to read', () => {
  const dir = mkdtempSync(join(tmpdir(), 'telltale-ipc-'));
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const app = { isAppWindow: true, frameUrl: 'app://telltale/index.html' };
  const picked = join(dir, 'picked.pcap');
  const dropped = join(dir, 'dropped.pcap');
  const other = join(dir, 'other.pcap');
  for (const f of [picked, dropped, other]) writeFileSync(f, 'x');
  mkdirSync(join(dir, 'sub'));
  symlinkSync(picked, join(dir, 'sub', 'link.pcap'));

  it('opens only files picked in a dialog or dropped on the window (by their real path)', () => {
    const grants = desktopGrants();
    grants.allowFile(picked); // what chooseCaptures does with the dialog's answer
    expect(grantDroppedFiles(app, [dropped], grants)).toEqual({ ok: true, value: null });
    expect(checkIpcRequest(app, 'capture.openFiles', { paths: [picked, dropped] }, grants)).toEqual({
      ok: true,
      value: { channel: 'capture.openFiles', payload: { paths: [picked, dropped] } },
    });
    // a link to a picked file is the picked file
    expect(
      checkIpcRequest(app, 'capture.openFiles', { paths: [join(dir, 'sub', 'link.pcap')] }, grants),
    ).toMatchObject({
      ok: true,
      value: { payload: { paths: [picked] } },
    });
    for (const request of [
      { paths: [other] },
      { paths: [picked], labels: other },
      { paths: ['/etc/shadow'] },
      { paths: ['/proc/self/environ'] },
      { paths: [`${dir}/../${dir.split('/').pop()!}/other.pcap`] },
    ]) {
      const r = checkIpcRequest(app, 'capture.openFiles', request, grants);
      expect(r, JSON.stringify(request)).toMatchObject({ ok: false, error: { code: 'permission' } });
      expect(!r.ok && r.error.message).toMatch(/open it with File ▸ Open Capture… or drop it on the window/);
    }
  });

  it('checks every payload against the contract, whatever the channel', () => {
    const grants = desktopGrants();
    const bad: [string, unknown][] = [
      ['capture.openFiles', { paths: 'x' }],
      ['capture.openFiles', { paths: [picked], colour: 1 }],
      ['capture.setSpeed', { speed: -1 }],
      ['device.rename', { mac: 1, name: 'x' }],
      ['device.detail', null],
      ['settings.update', ['theme']],
      ['dialog.openCaptures', { title: 'x' }],
      ['app.info', 'hello'],
    ];
    for (const [channel, payload] of bad)
      expect(checkIpcRequest(app, channel, payload, grants), channel).toMatchObject({
        ok: false,
        error: { code: 'bad-request' },
      });
    expect(
      checkIpcRequest(app, 'device.rename', { mac: 'aa:bb:cc:dd:ee:ff', name: null }, grants),
    ).toMatchObject({ ok: true });
    expect(checkIpcRequest({ ...app, isAppWindow: false }, 'app.info', null, grants)).toMatchObject({
      ok: false,
      error: { code: 'permission' },
    });
  });

  it('takes dropped files only from the app’s window, as a list of absolute paths', () => {
    const grants = desktopGrants();
    expect(grantDroppedFiles({ ...app, frameUrl: 'https://evil.example/' }, [other], grants)).toMatchObject({
      ok: false,
      error: { code: 'permission' },
    });
    for (const paths of ['x', [1], ['relative.pcap'], Array(2000).fill(other), ['/'.repeat(5000)]])
      expect(grantDroppedFiles(app, paths, grants)).toMatchObject({
        ok: false,
        error: { code: 'bad-request' },
      });
    expect(checkIpcRequest(app, 'capture.openFiles', { paths: [other] }, grants)).toMatchObject({
      ok: false,
    });
  });
});

describe('EngineRequests', () => {
  it('matches answers to requests by id and fails open ones when the engine goes away', async () => {
    const sent: WireMessage[] = [];
    const r = new EngineRequests();
    const a = r.send((m) => sent.push(m), 'app.info', null);
    const b = r.send((m) => sent.push(m), 'session.snapshot', null);
    expect(sent.map((m) => m.type === 'request' && m.channel)).toEqual(['app.info', 'session.snapshot']);
    const ids = sent.map((m) => (m.type === 'request' ? m.id : -1));
    r.receive(ids[1], { ok: true, value: 'snap' });
    await expect(b).resolves.toEqual({ ok: true, value: 'snap' });
    r.failAll('gone');
    await expect(a).resolves.toEqual({ ok: false, error: { code: 'unavailable', message: 'gone' } });
    expect(r.size).toBe(0);
  });

  it('fails a request the engine never answers, and one it cannot send', async () => {
    vi.useFakeTimers();
    try {
      const r = new EngineRequests(1000);
      const p = r.send(() => undefined, 'app.info', null);
      vi.advanceTimersByTime(1001);
      await expect(p).resolves.toMatchObject({ ok: false, error: { code: 'unavailable' } });
      const q = r.send(
        () => {
          throw new Error('port closed');
        },
        'app.info',
        null,
      );
      await expect(q).resolves.toMatchObject({
        ok: false,
        error: { message: expect.stringContaining('port closed') as string },
      });
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('engine restarts', () => {
  it('remembers the last capture that opened, to reopen it at full speed', () => {
    const m = new SessionMemory();
    expect(m.reopenRequest()).toBeNull();
    m.note('capture.openFiles', { paths: ['/a.pcap'], speed: 10 }, { ok: true, value: null });
    m.note(
      'capture.openFiles',
      { paths: ['/bad.pcap'] },
      { ok: false, error: { code: 'not-found', message: 'x' } },
    );
    m.note('session.snapshot', null, { ok: true, value: null });
    m.note('capture.stop', null, { ok: true, value: null });
    expect(m.reopenRequest()).toEqual({
      channel: 'capture.openFiles',
      payload: { paths: ['/a.pcap'], speed: 'max' },
    });
  });

  it('restarts a live capture that was running, not one the person stopped', () => {
    const m = new SessionMemory();
    m.note('capture.openFiles', { paths: ['/a.pcap'] }, { ok: true, value: null });
    m.note('capture.startLive', { interface: 'eth0', filter: 'tcp' }, { ok: true, value: null });
    expect(m.reopenRequest()).toEqual({
      channel: 'capture.startLive',
      payload: { interface: 'eth0', filter: 'tcp' },
    });
    m.note('capture.stop', null, { ok: true, value: null });
    expect(m.reopenRequest()).toBeNull();
    // the router's capture over SSH likewise
    const router = { host: '192.168.1.1', user: 'root', interface: 'br-lan', port: null };
    m.note('capture.startRouter', router, { ok: true, value: null });
    expect(m.reopenRequest()).toEqual({ channel: 'capture.startRouter', payload: router });
    m.note('capture.stop', null, { ok: true, value: null });
    expect(m.reopenRequest()).toBeNull();
  });

  it('backs off from half a second to thirty', () => {
    expect([0, 1, 2, 3, 10].map(restartDelay)).toEqual([500, 1000, 2000, 4000, 30_000]);
  });
});
