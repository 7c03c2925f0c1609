import { describe, expect, it } from 'vitest';
import { SessionState } from '../../src-renderer/state/session.svelte.ts';
import { FakeApi, row, snapshot } from './fixtures.ts';

function api(): FakeApi {
  return new FakeApi({
    'app.info': () => ({ ok: true, value: { mode: 'browser' } }),
    'settings.get': () => ({
      ok: true,
      value: { theme: 'system', defaultSpeed: 'max', defaultInterface: null, captureFilter: '' },
    }),
    'session.snapshot': () => ({ ok: true, value: snapshot({ sessionId: 's2', seq: 10 }) }),
    'capture.openFiles': () => ({
      ok: true,
      value: { sessionId: 's2', kind: 'files', names: ['x.pcap'], speed: 'max' },
    }),
    'device.rename': (p) => ({
      ok: true,
      value: row({ name: (p as { name: string }).name, nameSource: 'user' }),
    }),
    'capture.pause': () => ({ ok: false, error: { code: 'not-found', message: 'no capture session' } }),
  });
}

describe('SessionState', () => {
  it('drops snapshots older than the one shown, of any session', async () => {
    const a = api();
    const s = new SessionState();
    await s.attach(a);
    expect(s.snapshot?.sessionId).toBe('s2');
    expect(s.accept(snapshot({ sessionId: 's2', seq: 9 }))).toBe(false);
    expect(s.accept(snapshot({ sessionId: 's1', seq: 8 }))).toBe(false);
    expect(s.accept(snapshot({ sessionId: 's2', seq: 11, status: 'analysing' }))).toBe(true);
    expect(s.status).toBe('analysing');
  });

  it('follows a session the engine opened without being asked by this page (File ▸ Open Capture…, another tab)', async () => {
    const a = api();
    const s = new SessionState();
    await s.attach(a);
    await s.openPaths(['/x.pcap'], 'max');
    expect(s.snapshot?.sessionId).toBe('s2');
    // the menu opened another capture: the engine now runs session s3 and says so
    a.emit('snapshot', snapshot({ sessionId: 's3', seq: 12, status: 'replaying', devices: [] }));
    expect(s.snapshot?.sessionId).toBe('s3');
    expect(s.status).toBe('replaying');
    expect(s.devices).toEqual([]);
  });

  it('takes the snapshots of a new engine (a restarted server), whose numbering starts again', async () => {
    const a = api();
    const s = new SessionState();
    await s.attach(a);
    a.emit('snapshot', snapshot({ engineId: 'e2', sessionId: 'none', seq: 1, status: 'idle' }));
    expect(s.snapshot?.engineId).toBe('e2');
    a.emit('snapshot', snapshot({ engineId: 'e2', sessionId: 's4', seq: 2 }));
    expect(s.snapshot?.sessionId).toBe('s4');
  });

  it('takes the next session after the engine restarts, and forgets what it showed', async () => {
    const a = api();
    const s = new SessionState();
    await s.attach(a);
    a.emit('engine.status', { state: 'restarting', message: 'exited' });
    expect(s.snapshot).toBeNull();
    expect(s.engine.state).toBe('restarting');
    a.emit('snapshot', snapshot({ sessionId: 's9', seq: 100 }));
    expect(s.snapshot?.sessionId).toBe('s9');
  });

  it('puts a renamed row in place at once and keeps the last error as data', async () => {
    const a = api();
    const s = new SessionState();
    await s.attach(a);
    await s.rename('aa:bb:cc:00:00:01', 'Porch camera');
    expect(s.devices[0].name).toBe('Porch camera');
    expect(a.calls.at(-1)).toEqual({
      channel: 'device.rename',
      payload: { mac: 'aa:bb:cc:00:00:01', name: 'Porch camera' },
    });
    await s.pause();
    expect(s.error).toEqual({ code: 'not-found', message: 'no capture session' });
    s.clearError();
    expect(s.error).toBeNull();
  });

  it('uploads dropped files and opens them by path', async () => {
    const a = api();
    const s = new SessionState();
    await s.attach(a);
    await s.openFiles([new File(['x'], 'home.pcap')], 10);
    expect(a.calls.find((c) => c.channel === 'capture.openFiles')?.payload).toEqual({
      paths: ['/uploads/home.pcap'],
      speed: 10,
    });
  });

  it('takes a .csv among the files as the labels file, one at most and never alone', async () => {
    const a = api();
    const s = new SessionState();
    await s.attach(a);
    await s.openFiles(
      [new File(['x'], 'a.pcap'), new File(['m'], 'labels.CSV'), new File(['y'], 'b.pcapng')],
      'max',
    );
    expect(a.calls.find((c) => c.channel === 'capture.openFiles')?.payload).toEqual({
      paths: ['/uploads/a.pcap', '/uploads/b.pcapng'],
      speed: 'max',
      labels: '/uploads/labels.CSV',
    });
    const before = a.calls.length;
    expect(await s.openFiles([new File(['m'], 'labels.csv')], 'max')).toBe(false);
    expect(s.error?.message).toMatch(/choose it together with the capture files/);
    expect(
      await s.openFiles(
        [new File(['x'], 'a.pcap'), new File(['m'], 'l1.csv'), new File(['n'], 'l2.csv')],
        'max',
      ),
    ).toBe(false);
    expect(s.error?.message).toBe('Choose one labels file (.csv) at most.');
    // nothing was uploaded or opened for the refused choices
    expect(a.calls.length).toBe(before);
  });
});
