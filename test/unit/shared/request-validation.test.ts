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
  'capture.startRouter': { host: 'openwrt.lan', user: 'root', interface: 'br-lan', port: null },
  'inspect.discover': { interface: 'wlan0' },
  'capture.startInspect': { interface: 'wlan0', devices: ['aa:bb:cc:dd:ee:ff'], consent: true },
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

  it('starts inspect mode only with consent and plain MAC addresses', () => {
    const base = { interface: 'wlan0', devices: ['AA:BB:CC:DD:EE:01'], consent: true };
    expect(checkPayload('capture.startInspect', base)).toEqual({
      ok: true,
      value: { ...base, devices: ['aa:bb:cc:dd:ee:01'] },
    });
    for (const [bad, why] of [
      [{ ...base, consent: false }, /consent/],
      [{ ...base, consent: 'yes' }, /consent/],
      [{ interface: 'wlan0', devices: ['aa:bb:cc:dd:ee:01'] }, /consent/],
      [{ ...base, devices: [] }, /MAC addresses/],
      [{ ...base, devices: ['192.168.1.20'] }, /not a MAC address/],
      [{ ...base, devices: Array.from({ length: 65 }, () => 'aa:bb:cc:dd:ee:01') }, /at most 64/],
      [{ ...base, extra: 1 }, /extra/],
    ] as const)
      expect(checkPayload('capture.startInspect', bad), JSON.stringify(bad)).toMatchObject({
        ok: false,
        error: { code: 'bad-request', message: expect.stringMatching(why) as unknown },
      });
  });

  it('lets nothing but plain names through to the router capture (no ssh option, nothing for its shell)', () => {
    const base = { host: '192.168.1.1', user: 'root', interface: 'br-lan', port: 2222 };
    expect(checkPayload('capture.startRouter', base)).toEqual({ ok: true, value: base });
    expect(checkPayload('capture.startRouter', { ...base, user: '' })).toEqual({
      ok: true,
      value: { ...base, user: null },
    });
    for (const bad of [
      { ...base, host: '-oProxyCommand=touch /tmp/x' },
      { ...base, host: 'router;reboot' },
      { ...base, user: '-l' },
      { ...base, user: 'root@evil' },
      { ...base, interface: 'br-lan; rm -rf /' },
      { ...base, interface: '$(reboot)' },
      { ...base, interface: '-w/tmp/x' },
      { ...base, port: 0 },
      { ...base, port: 70000 },
      { ...base, port: '22' },
      { ...base, command: 'tcpdump' },
    ])
      expect(checkPayload('capture.startRouter', bad), JSON.stringify(bad)).toMatchObject({
        ok: false,
        error: { code: 'bad-request' },
      });
  });

  it('quotes at most a few dozen characters of what a client sent', () => {
    expect(quoteValue('x'.repeat(1000)).length).toBeLessThan(50);
    expect(quoteValue({ a: 1 })).toBe('an object');
    expect(quoteValue([1])).toBe('a list');
    expect(quoteValue(undefined)).toBe('undefined');
  });
});
