import { describe, expect, it } from 'vitest';
import { REQUEST_CHANNELS, type RequestChannel } from '../../../src-main/shared/ipc-contract.ts';
import { checkPayload, MAX_PATHS, quoteValue } from '../../../src-main/shared/request-validation.ts';

/** A payload the renderer really sends on each channel (src-renderer/state/session.svelte.ts). */
const VALID: Record<RequestChannel, unknown> = {
  'app.info': null,
  'capture.interfaces': null,
  'capture.openFiles': {
    paths: ['/home/me/a.pcap', '/home/me/b.pcapng.gz'],
    speed: 10,
    labels: '/home/me/l.csv',
  },
  'capture.openSample': null,
  'capture.startLive': { interface: 'eth0', filter: 'not port 22' },
  'capture.pause': null,
  'capture.resume': null,
  'capture.stop': null,
  'capture.setSpeed': { speed: 'max' },
  'session.snapshot': null,
  'session.export': null,
  'report.render': { format: 'pdf', device: 'aa:bb:cc:dd:ee:ff', paper: 'Letter' },
  'session.exportCsv': null,
  'session.exportPackets': { view: 'vpn', part: 3 },
  'device.detail': { mac: 'aa:bb:cc:dd:ee:ff' },
  'device.rename': { mac: 'aa:bb:cc:dd:ee:ff', name: 'Front door' },
  'device.setCategory': { mac: 'aa:bb:cc:dd:ee:ff', category: null },
  'settings.get': null,
  'settings.update': { theme: 'dark', captureFilter: '' },
  'dialog.openCaptures': null,
};

describe('checkPayload', () => {
  it('passes what the UI sends on every channel, unchanged', () => {
    for (const channel of REQUEST_CHANNELS)
      expect(checkPayload(channel, VALID[channel]), channel).toEqual({ ok: true, value: VALID[channel] });
  });

  it('refuses the wrong shape on every channel with a bad-request that names the channel', () => {
    for (const channel of REQUEST_CHANNELS) {
      const r = checkPayload(channel, [VALID[channel]]);
      expect(r, channel).toMatchObject({ ok: false, error: { code: 'bad-request' } });
      expect(!r.ok && r.error.message.startsWith(`${channel}:`)).toBe(true);
    }
  });

  it('bounds what a request may carry', () => {
    expect(checkPayload('capture.openFiles', { paths: Array(MAX_PATHS + 1).fill('/a') })).toMatchObject({
      ok: false,
    });
    expect(checkPayload('capture.openFiles', { paths: ['/a'.repeat(3000)] })).toMatchObject({ ok: false });
    expect(checkPayload('capture.startLive', { interface: 'eth0', filter: 'x'.repeat(1001) })).toMatchObject({
      ok: false,
    });
    expect(checkPayload('capture.setSpeed', { speed: Infinity })).toMatchObject({ ok: false });
    expect(checkPayload('report.render', { format: 'docx' })).toMatchObject({ ok: false });
    for (const bad of [
      { view: 'lan', part: 0 },
      { view: 'napt', part: -1 },
      { view: 'napt', part: 1.5 },
      { view: 'napt', part: '0' },
      { view: 'napt', part: 2_000_000 },
      { view: 'napt' },
    ])
      expect(checkPayload('session.exportPackets', bad), JSON.stringify(bad)).toMatchObject({
        ok: false,
        error: { code: 'bad-request' },
      });
    expect(checkPayload('report.render', { format: 'html', paper: 'A3' })).toMatchObject({ ok: false });
    expect(checkPayload('report.render', { format: 'html', device: 'x'.repeat(65) })).toMatchObject({
      ok: false,
    });
    expect(checkPayload('capture.openFiles', { paths: ['/a'], labels: '' })).toEqual({
      ok: true,
      value: { paths: ['/a'], labels: null },
    });
  });

  it('quotes at most a few dozen characters of what a client sent', () => {
    expect(quoteValue('x'.repeat(1000)).length).toBeLessThan(50);
    expect(quoteValue({ a: 1 })).toBe('an object');
    expect(quoteValue([1])).toBe('a list');
    expect(quoteValue(undefined)).toBe('undefined');
  });
});
