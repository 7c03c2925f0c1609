import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseArpFrame } from '../../../../src-main/capture/inspect/arp-frame.ts';
import {
  readRecord,
  restoreFrames,
  writeRecord,
} from '../../../../src-main/capture/inspect/restore-record.ts';

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
