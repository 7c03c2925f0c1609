import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  applySettings,
  forwardingSettings,
  restoreSettings,
  type SettingsFiles,
} from '../../../../src-main/capture/inspect/forwarding.ts';
import {
  readRecord,
  restoreFrames,
  writeRecord,
} from '../../../../src-main/capture/inspect/restore-record.ts';
import { parseArpFrame } from '../../../../src-main/capture/inspect/arp-frame.ts';

function fakeFiles(
  values: Record<string, string>,
  refuse: string | null = null,
): SettingsFiles & { values: Record<string, string> } {
  return {
    values,
    read: (path) => {
      if (!(path in values)) throw new Error(`ENOENT: ${path}`);
      return values[path];
    },
    write: (path, value) => {
      if (path === refuse) throw new Error('EACCES: permission denied');
      values[path] = value;
    },
  };
}

describe('forwarding settings', () => {
  it('turns forwarding on and ICMP redirects off for the session, and puts back only what it changed', () => {
    const files = fakeFiles({
      '/proc/sys/net/ipv4/ip_forward': '0',
      '/proc/sys/net/ipv4/conf/all/send_redirects': '1',
      '/proc/sys/net/ipv4/conf/wlan0/send_redirects': '0',
    });
    const saved = applySettings(forwardingSettings('wlan0'), files);
    expect(files.values).toEqual({
      '/proc/sys/net/ipv4/ip_forward': '1',
      '/proc/sys/net/ipv4/conf/all/send_redirects': '0',
      '/proc/sys/net/ipv4/conf/wlan0/send_redirects': '0',
    });
    expect(saved.map((s) => s.path)).toEqual([
      '/proc/sys/net/ipv4/ip_forward',
      '/proc/sys/net/ipv4/conf/all/send_redirects',
    ]);
    expect(restoreSettings(saved, files)).toEqual([]);
    expect(files.values['/proc/sys/net/ipv4/ip_forward']).toBe('0');
    expect(files.values['/proc/sys/net/ipv4/conf/all/send_redirects']).toBe('1');
  });

  it('puts back what it had changed when a later setting is refused, and says how to get the right', () => {
    const files = fakeFiles(
      {
        '/proc/sys/net/ipv4/ip_forward': '0',
        '/proc/sys/net/ipv4/conf/all/send_redirects': '1',
        '/proc/sys/net/ipv4/conf/wlan0/send_redirects': '1',
      },
      '/proc/sys/net/ipv4/conf/all/send_redirects',
    );
    expect(() => applySettings(forwardingSettings('wlan0'), files)).toThrow(
      /net\.ipv4\.conf\.all\.send_redirects.*needs root/,
    );
    expect(files.values['/proc/sys/net/ipv4/ip_forward']).toBe('0');
  });

  it('takes only interface names', () => {
    expect(() => forwardingSettings('../../kernel')).toThrow(/not an interface name/);
  });
});

describe('the restore record', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('round-trips, and restores each device and the router to their true MACs', () => {
    const dir = mkdtempSync(join(tmpdir(), 'telltale-record-'));
    dirs.push(dir);
    const path = join(dir, 'inspect-restore.json');
    const record = {
      version: 1 as const,
      pid: 4242,
      iface: 'wlan0',
      selfMac: '02:00:00:00:00:aa',
      gateway: { ip: '192.168.1.1', mac: '02:00:00:00:00:01' },
      devices: [{ ip: '192.168.1.20', mac: '02:00:00:00:00:20' }],
      settings: [{ path: '/proc/sys/net/ipv4/ip_forward', previous: '0' }],
      startedAt: 1,
    };
    writeRecord(path, record);
    expect(readRecord(path)).toEqual(record);
    expect(restoreFrames(record).map(parseArpFrame)).toMatchObject([
      { etherDst: '02:00:00:00:00:20', senderIp: '192.168.1.1', senderMac: '02:00:00:00:00:01' },
      { etherDst: '02:00:00:00:00:01', senderIp: '192.168.1.20', senderMac: '02:00:00:00:00:20' },
    ]);
    expect(readRecord(join(dir, 'none.json'))).toBeNull();
  });

  it('refuses a record that would write outside the IPv4 network settings', () => {
    const dir = mkdtempSync(join(tmpdir(), 'telltale-record-'));
    dirs.push(dir);
    const path = join(dir, 'r.json');
    const base = {
      version: 1,
      pid: 1,
      iface: 'wlan0',
      selfMac: '02:00:00:00:00:aa',
      gateway: { ip: '192.168.1.1', mac: '02:00:00:00:00:01' },
      devices: [],
      startedAt: 1,
    };
    for (const settings of [
      [{ path: '/proc/sys/kernel/core_pattern', previous: '1' }],
      [{ path: '/proc/sys/net/ipv4/../../kernel/x', previous: '1' }],
      [{ path: '/proc/sys/net/ipv4/ip_forward', previous: '|/bin/sh' }],
    ]) {
      writeFileSync(path, JSON.stringify({ ...base, settings }));
      expect(() => readRecord(path)).toThrow(/not an inspect-mode restore record/);
    }
  });
});
