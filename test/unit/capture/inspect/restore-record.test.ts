import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseArpFrame } from '../../../../src-main/capture/inspect/arp-frame.ts';
import {
  createRecord,
  newRecord,
  ownerAlive,
  readRecord,
  restoreFrames,
  sendRounds,
  writeRecord,
} from '../../../../src-main/capture/inspect/restore-record.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function folder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'telltale-record-'));
  dirs.push(dir);
  return dir;
}

const FIELDS = {
  iface: 'wlan0',
  selfMac: '02:00:00:00:00:aa',
  gateway: { ip: '192.168.1.1', mac: '02:00:00:00:00:01' },
  devices: [{ ip: '192.168.1.20', mac: '02:00:00:00:00:20' }],
  settings: [{ path: '/proc/sys/net/ipv4/ip_forward', previous: '0' }],
};

describe('the restore record', () => {
  it('round-trips, is also the lock, and restores each device and the router to their true MACs', () => {
    const path = join(folder(), 'run', 'inspect-1.json');
    const record = newRecord(FIELDS);
    createRecord(path, record);
    expect(readRecord(path)).toEqual(record);
    expect(() => {
      createRecord(path, newRecord(FIELDS));
    }).toThrow(expect.objectContaining({ code: 'EEXIST' }) as Error);
    writeRecord(path, { ...record, devices: [] });
    expect(readRecord(path)?.devices).toEqual([]);
    expect(restoreFrames(record).map(parseArpFrame)).toMatchObject([
      { etherDst: '02:00:00:00:00:20', senderIp: '192.168.1.1', senderMac: '02:00:00:00:00:01' },
      { etherDst: '02:00:00:00:00:01', senderIp: '192.168.1.20', senderMac: '02:00:00:00:00:20' },
    ]);
    expect(readRecord(join(folder(), 'none.json'))).toBeNull();
  });

  it('knows its owner by more than a process number', () => {
    const record = newRecord(FIELDS);
    expect(ownerAlive(record)).toBe(true);
    // a later process given the same number, or one from before a restart, is not the owner
    expect(ownerAlive({ ...record, pidStart: '1' })).toBe(false);
    expect(ownerAlive({ ...record, bootId: 'another-boot' })).toBe(false);
    expect(ownerAlive({ ...record, pid: 2 ** 22 + 7 })).toBe(false);
  });

  it('refuses a record that would write other settings, other values, or send from a malformed address', () => {
    const path = join(folder(), 'r.json');
    const base = newRecord(FIELDS);
    for (const bad of [
      { settings: [{ path: '/proc/sys/kernel/core_pattern', previous: '1' }] },
      { settings: [{ path: '/proc/sys/net/ipv4/../../kernel/x', previous: '1' }] },
      { settings: [{ path: '/proc/sys/net/ipv4/conf/all/rp_filter', previous: '0' }] },
      { settings: [{ path: '/proc/sys/net/ipv4/ip_forward', previous: '|/bin/sh' }] },
      { settings: [{ path: '/proc/sys/net/ipv4/ip_forward', previous: '2' }] },
      { selfMac: 'not a mac' },
      { iface: 'eth0; reboot' },
      { pid: 1 },
      { pid: -1 },
      { devices: [{ ip: '192.168.1.300', mac: '02:00:00:00:00:20' }] },
      { version: 1 },
    ]) {
      writeFileSync(path, JSON.stringify({ ...base, ...bad }));
      expect(() => readRecord(path), JSON.stringify(bad)).toThrow(/not an inspect-mode restore record/);
    }
  });

  it('sends every frame of every round even when one is refused', async () => {
    const sent: number[] = [];
    const frames = [new Uint8Array([1]), new Uint8Array([2]), new Uint8Array([3])];
    const problems = await sendRounds(frames, (f) => {
      if (f[0] === 2) throw new Error('no buffer space');
      sent.push(f[0]);
    });
    expect(sent).toEqual([1, 3, 1, 3, 1, 3]);
    expect(problems).toEqual(['sending the true addresses: no buffer space']);
  });
});
