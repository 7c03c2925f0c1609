import { describe, expect, it } from 'vitest';
import { createRendererApi, type PreloadBridge } from '../../../src-main/preload/renderer-api.ts';

function fakeBridge(
  answer: (channel: string, payload: unknown) => unknown,
  grant: (paths: string[]) => unknown = () => ({ ok: true, value: null }),
) {
  let emit: (event: unknown, payload: unknown) => void = () => undefined;
  const bridge: PreloadBridge = {
    invoke: (channel, payload) => Promise.resolve(answer(channel, payload)),
    onEvent: (l) => {
      emit = l;
      return () => undefined;
    },
    pathForFile: (f) => (f.name === 'not-a-file' ? '' : `/home/me/${f.name}`),
    grantFiles: (paths) => Promise.resolve(grant(paths)),
  };
  return {
    bridge,
    emit: (e: unknown, p: unknown) => {
      emit(e, p);
    },
  };
}

describe('the preload API', () => {
  it('passes requests through and returns the engine’s result as data', async () => {
    const { bridge } = fakeBridge((channel, payload) => ({ ok: true, value: { channel, payload } }));
    const api = createRendererApi(bridge);
    await expect(api.request('device.detail', { mac: 'aa:bb:cc:dd:ee:ff' })).resolves.toEqual({
      ok: true,
      value: { channel: 'device.detail', payload: { mac: 'aa:bb:cc:dd:ee:ff' } },
    });
    expect(Object.isFrozen(api)).toBe(true);
  });

  it('turns a thrown or malformed answer into an error as data', async () => {
    const throwing = createRendererApi(
      fakeBridge(() => {
        throw new Error('boom');
      }).bridge,
    );
    await expect(throwing.request('app.info', null)).resolves.toMatchObject({
      ok: false,
      error: { code: 'internal' },
    });
    const odd = createRendererApi(fakeBridge(() => 42).bridge);
    await expect(odd.request('app.info', null)).resolves.toMatchObject({
      ok: false,
      error: { message: 'app.info: malformed answer' },
    });
  });

  it('delivers events of the contract to their listeners only, until unsubscribed', () => {
    const { bridge, emit } = fakeBridge(() => null);
    const api = createRendererApi(bridge);
    const got: unknown[] = [];
    const off = api.on('snapshot', (s) => got.push(s));
    emit('snapshot', { seq: 1 });
    emit('unknown.event', { seq: 2 });
    off();
    emit('snapshot', { seq: 3 });
    expect(got).toEqual([{ seq: 1 }]);
  });

  it('gives the paths of dropped files once the main process granted them, and refuses items that are not files', async () => {
    const granted: string[][] = [];
    const api = createRendererApi(
      fakeBridge(
        () => null,
        (paths) => {
          granted.push(paths);
          return { ok: true, value: null };
        },
      ).bridge,
    );
    await expect(api.pathsForFiles([new File([], 'a.pcap')])).resolves.toEqual({
      ok: true,
      value: ['/home/me/a.pcap'],
    });
    expect(granted).toEqual([['/home/me/a.pcap']]);
    await expect(api.pathsForFiles([new File([], 'not-a-file')])).resolves.toMatchObject({ ok: false });
    expect(granted).toHaveLength(1);
  });

  it('passes a refused grant on as the error', async () => {
    const refused = { ok: false, error: { code: 'permission', message: 'not from the window' } };
    const api = createRendererApi(
      fakeBridge(
        () => null,
        () => refused,
      ).bridge,
    );
    await expect(api.pathsForFiles([new File([], 'a.pcap')])).resolves.toEqual(refused);
  });
});
