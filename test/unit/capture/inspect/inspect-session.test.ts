import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  macBytes,
  parseArpFrame,
  ARP_REQUEST,
  arpFrame,
} from '../../../../src-main/capture/inspect/arp-frame.ts';
import { ArpRedirector } from '../../../../src-main/capture/inspect/arp-redirector.ts';
import {
  InspectSession,
  type InspectDeps,
  type InspectPlan,
} from '../../../../src-main/capture/inspect/inspect-session.ts';
import type { SettingsFiles } from '../../../../src-main/capture/inspect/forwarding.ts';
import { createRecord, newRecord, readRecord } from '../../../../src-main/capture/inspect/restore-record.ts';

const SELF = { ip: '192.168.1.50', mac: '02:00:00:00:00:50' };
const ROUTER = { ip: '192.168.1.1', mac: '02:00:00:00:00:01' };
const PLUG = { ip: '192.168.1.20', mac: '02:00:00:00:00:20' };
const CAMERA = { ip: '192.168.1.21', mac: '02:00:00:00:00:21' };

/** An Ethernet + IPv4 frame (20-byte header, UDP, 8 bytes of payload). */
function ipFrame(etherSrc: string, etherDst: string, ipSrc: string, ipDst: string): Uint8Array {
  const f = new Uint8Array(14 + 20 + 16);
  f.set(macBytes(etherDst), 0);
  f.set(macBytes(etherSrc), 6);
  f[12] = 0x08;
  f[13] = 0x00;
  f[14] = 0x45;
  f[23] = 17;
  f.set(ipSrc.split('.').map(Number), 26);
  f.set(ipDst.split('.').map(Number), 30);
  return f;
}

function fakeLink(): {
  sent: Uint8Array[];
  onFrame: ((f: Uint8Array) => void) | null;
  closed: boolean;
  filter: string;
} {
  return { sent: [], onFrame: null, closed: false, filter: '' };
}

/** The IPv4 settings of a host that does not forward, as /proc/sys shows them. */
function hostSettings(): Record<string, string> {
  return {
    '/proc/sys/net/ipv4/ip_forward': '0',
    '/proc/sys/net/ipv4/conf/all/send_redirects': '1',
    '/proc/sys/net/ipv4/conf/wlan0/send_redirects': '1',
    '/proc/sys/net/ipv4/conf/all/accept_redirects': '1',
    '/proc/sys/net/ipv4/conf/default/forwarding': '0',
    '/proc/sys/net/ipv4/conf/wlan0/forwarding': '0',
  };
}

const dirs: string[] = [];
afterEach(() => {
  vi.useRealTimers();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function setup(files: SettingsFiles | null = null): {
  plan: InspectPlan;
  deps: InspectDeps;
  link: ReturnType<typeof fakeLink>;
  watchdog: { started: string[]; disarmed: number };
  values: Record<string, string>;
} {
  const dir = mkdtempSync(join(tmpdir(), 'telltale-inspect-'));
  dirs.push(dir);
  const link = fakeLink();
  const watchdog = { started: [] as string[], disarmed: 0 };
  const values = hostSettings();
  const plan: InspectPlan = {
    net: { iface: 'wlan0', self: SELF, prefix: 24, gatewayIp: ROUTER.ip },
    gateway: ROUTER,
    devices: [PLUG, CAMERA],
    recordPath: join(dir, 'inspect-restore.json'),
  };
  const deps: InspectDeps = {
    openLink: (filter, onFrame) => {
      link.filter = filter;
      link.onFrame = onFrame;
      return {
        send: (f) => link.sent.push(f),
        close: () => {
          link.closed = true;
        },
      };
    },
    startWatchdog: (path, session) => {
      // the record is on disk before the watchdog starts, and before anything is changed
      expect(JSON.parse(readFileSync(path, 'utf8'))).toMatchObject({
        session,
        pid: process.pid,
        devices: [PLUG, CAMERA],
      });
      expect(values['/proc/sys/net/ipv4/ip_forward']).toBe('0');
      watchdog.started.push(path);
      return Promise.resolve({
        pid: 1,
        disarm: () => {
          watchdog.disarmed++;
        },
      });
    },
    files: files ?? {
      read: (p) => values[p],
      write: (p, v) => (values[p] = v),
      interfaces: () => ['all', 'default', 'wlan0'],
    },
    redirector: { intervalMs: 60_000 },
  };
  return { plan, deps, link, watchdog, values };
}

const noRecovery = (): Promise<null> => Promise.resolve(null);

describe('an inspect session', () => {
  it('writes the record, starts the watchdog, forwards, redirects; and on stop puts it all back in reverse', async () => {
    const { plan, deps, link, watchdog, values } = setup();
    const before = { ...values };
    const session = await InspectSession.start(plan, deps, noRecovery);
    expect(values['/proc/sys/net/ipv4/ip_forward']).toBe('1');
    expect(values['/proc/sys/net/ipv4/conf/all/send_redirects']).toBe('0');
    expect(link.filter).toBe('arp');
    // one round: each device told the router is here, the router told each device is here
    expect(link.sent.map(parseArpFrame).map((m) => [m?.etherDst, m?.senderIp, m?.senderMac])).toEqual([
      [PLUG.mac, ROUTER.ip, SELF.mac],
      [ROUTER.mac, PLUG.ip, SELF.mac],
      [CAMERA.mac, ROUTER.ip, SELF.mac],
      [ROUTER.mac, CAMERA.ip, SELF.mac],
    ]);
    link.sent.length = 0;
    expect(await session.stop()).toEqual([]);
    // three rounds of the truth, then the settings, the record and the watchdog
    const truth = link.sent.map(parseArpFrame);
    expect(truth).toHaveLength(12);
    expect(truth.slice(0, 4).map((m) => [m?.etherDst, m?.senderIp, m?.senderMac])).toEqual([
      [PLUG.mac, ROUTER.ip, ROUTER.mac],
      [ROUTER.mac, PLUG.ip, PLUG.mac],
      [CAMERA.mac, ROUTER.ip, ROUTER.mac],
      [ROUTER.mac, CAMERA.ip, CAMERA.mac],
    ]);
    expect(link.closed).toBe(true);
    expect(values['/proc/sys/net/ipv4/ip_forward']).toBe('0');
    expect(values['/proc/sys/net/ipv4/conf/all/send_redirects']).toBe('1');
    expect(values).toEqual(before);
    expect(existsSync(plan.recordPath)).toBe(false);
    expect(watchdog.disarmed).toBe(1);
    expect(await session.stop()).toEqual([]); // twice is harmless
    expect(watchdog.disarmed).toBe(1);
  });

  it("puts back a dead session's changes before reading how the computer was, and refuses while the owner lives", async () => {
    const { plan, deps, values } = setup();
    // a Telltale that died left forwarding on, and its record says it was off
    values['/proc/sys/net/ipv4/ip_forward'] = '1';
    const dead = {
      ...newRecord({
        iface: 'wlan0',
        selfMac: SELF.mac,
        gateway: ROUTER,
        devices: [PLUG],
        settings: [{ path: '/proc/sys/net/ipv4/ip_forward', previous: '0' }],
      }),
      pid: 2 ** 22 + 11,
    };
    createRecord(plan.recordPath, dead);
    const recover = (path: string): Promise<string> => {
      const r = readRecord(path);
      for (const x of r?.settings ?? []) values[x.path] = x.previous;
      rmSync(path);
      return Promise.resolve('undone');
    };
    const session = await InspectSession.start(plan, deps, recover);
    expect(values['/proc/sys/net/ipv4/ip_forward']).toBe('1');
    await session.stop();
    expect(values['/proc/sys/net/ipv4/ip_forward']).toBe('0');
    // a record whose owner runs (this process) is a session in progress: refused
    createRecord(
      plan.recordPath,
      newRecord({ iface: 'wlan0', selfMac: SELF.mac, gateway: ROUTER, devices: [PLUG], settings: [] }),
    );
    await expect(InspectSession.start(plan, deps, recover)).rejects.toThrow(
      /another Telltale .* is inspecting this network/,
    );
  });

  it('never takes the router or this computer, or a device off the network', async () => {
    for (const [devices, why] of [
      [[ROUTER], /is the router/],
      [[{ ip: SELF.ip, mac: '02:00:00:00:00:99' }], /is this computer/],
      [[{ ip: '10.0.0.5', mac: '02:00:00:00:00:98' }], /not on wlan0's network/],
      [[PLUG, PLUG], /chosen twice/],
      [[], /no devices/],
    ] as const) {
      const { plan, deps, values } = setup();
      await expect(
        InspectSession.start({ ...plan, devices: [...devices] }, deps, noRecovery),
      ).rejects.toThrow(why);
      expect(values['/proc/sys/net/ipv4/ip_forward']).toBe('0');
      expect(existsSync(plan.recordPath)).toBe(false);
    }
  });

  it('changes nothing when forwarding cannot be turned on (and says how to get the right)', async () => {
    const values = hostSettings();
    const { plan, deps, link, watchdog } = setup({
      read: (p) => values[p],
      write: (p, v) => {
        if (p.endsWith('all/send_redirects')) throw new Error('EACCES: permission denied');
        values[p] = v;
      },
      interfaces: () => ['all', 'default', 'wlan0'],
    });
    deps.startWatchdog = () =>
      Promise.resolve({
        pid: 1,
        disarm: () => {
          watchdog.disarmed++;
        },
      });
    await expect(InspectSession.start(plan, deps, noRecovery)).rejects.toThrow(/needs root/);
    expect(values['/proc/sys/net/ipv4/ip_forward']).toBe('0');
    expect(link.sent).toHaveLength(0);
    expect(existsSync(plan.recordPath)).toBe(false);
    expect(watchdog.disarmed).toBe(1);
  });

  it("captures each packet once, with the MAC it was meant for, and none of this computer's own", async () => {
    const { plan, deps } = setup();
    const session = await InspectSession.start(plan, deps, noRecovery);
    // the plug's packet to the internet, redirected to this computer: kept, router's MAC back
    const up = ipFrame(PLUG.mac, SELF.mac, PLUG.ip, '93.184.216.34');
    expect(session.keepFrame(up)).toBe(true);
    expect(up.subarray(0, 6)).toEqual(macBytes(ROUTER.mac));
    // the copy this computer forwards on to the router: left out
    expect(session.keepFrame(ipFrame(SELF.mac, ROUTER.mac, PLUG.ip, '93.184.216.34'))).toBe(false);
    // the answer, redirected to this computer: kept, the plug's MAC back
    const down = ipFrame(ROUTER.mac, SELF.mac, '93.184.216.34', PLUG.ip);
    expect(session.keepFrame(down)).toBe(true);
    expect(down.subarray(0, 6)).toEqual(macBytes(PLUG.mac));
    expect(session.keepFrame(ipFrame(SELF.mac, PLUG.mac, '93.184.216.34', PLUG.ip))).toBe(false);
    // plug to camera through this computer: the camera's MAC back
    const local = ipFrame(PLUG.mac, SELF.mac, PLUG.ip, CAMERA.ip);
    expect(session.keepFrame(local)).toBe(true);
    expect(local.subarray(0, 6)).toEqual(macBytes(CAMERA.mac));
    // this computer's own traffic with the router, and a device talking to this computer: not the home's
    expect(session.keepFrame(ipFrame(ROUTER.mac, SELF.mac, '93.184.216.34', SELF.ip))).toBe(false);
    expect(session.keepFrame(ipFrame(PLUG.mac, SELF.mac, PLUG.ip, SELF.ip))).toBe(false);
    // the router's traffic for hosts not inspected never reaches here; its broadcasts are kept
    expect(session.keepFrame(ipFrame(ROUTER.mac, 'ff:ff:ff:ff:ff:ff', ROUTER.ip, '192.168.1.255'))).toBe(
      true,
    );
    expect(session.counts).toEqual({ redirected: 3, forwarded: 2 });
    expect(session.captureFilter()).toBe(
      `ether src ${PLUG.mac} or ether src ${CAMERA.mac} or ether src ${ROUTER.mac} or ether src ${SELF.mac}`,
    );
    await session.stop();
  });

  it('says once per device when one uses IPv6 beyond its own link (redirection covers IPv4 only)', async () => {
    const { plan, deps } = setup();
    const heard: string[] = [];
    deps.onIpv6 = (device, address) => heard.push(`${device.ip} ${address}`);
    const session = await InspectSession.start(plan, deps, noRecovery);
    const v6 = (mac: string, source: number[]): Uint8Array => {
      const f = new Uint8Array(14 + 40 + 8);
      f.set(macBytes('33:33:00:00:00:01'), 0);
      f.set(macBytes(mac), 6);
      f[12] = 0x86;
      f[13] = 0xdd;
      f[14] = 0x60;
      f.set(source, 22);
      return f;
    };
    const linkLocal = [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x20];
    const global = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x20];
    expect(session.keepFrame(v6(PLUG.mac, linkLocal))).toBe(true);
    expect(heard).toEqual([]);
    session.keepFrame(v6(PLUG.mac, global));
    session.keepFrame(v6(PLUG.mac, global));
    session.keepFrame(v6(ROUTER.mac, global)); // the router is not inspected
    expect(heard).toEqual(['192.168.1.20 2001:db8::20']);
    await session.stop();
  });

  it('stops and gives the devices their router back when this computer does not pass their traffic on', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] });
    const { plan, deps, values } = setup();
    const problems: string[] = [];
    deps.onProblem = (m) => problems.push(m);
    const session = await InspectSession.start(plan, deps, noRecovery);
    for (let i = 0; i < 25; i++) session.keepFrame(ipFrame(PLUG.mac, SELF.mac, PLUG.ip, '93.184.216.34'));
    vi.advanceTimersByTime(6000);
    vi.useRealTimers();
    await session.stop();
    await new Promise((r) => setTimeout(r, 0));
    expect(session.active).toBe(false);
    expect(values['/proc/sys/net/ipv4/ip_forward']).toBe('0');
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/passed none on.*FORWARD.*keep working/);
  });
});

describe('the redirector', () => {
  it('answers a device asking for the router, and the router asking for a device, at once but not more often than the gap', () => {
    const sent: Uint8Array[] = [];
    let onFrame: (f: Uint8Array) => void = () => undefined;
    const r = new ArpRedirector(SELF, ROUTER, [PLUG], { intervalMs: 60_000, answerGapMs: 200 });
    r.start((_filter, cb) => {
      onFrame = cb;
      return { send: (f) => sent.push(f), close: () => undefined };
    });
    sent.length = 0;
    const ask = (from: { ip: string; mac: string }, ip: string): Uint8Array =>
      arpFrame({
        etherSrc: from.mac,
        etherDst: 'ff:ff:ff:ff:ff:ff',
        op: ARP_REQUEST,
        senderMac: from.mac,
        senderIp: from.ip,
        targetMac: '00:00:00:00:00:00',
        targetIp: ip,
      });
    onFrame(ask(PLUG, ROUTER.ip));
    onFrame(ask(PLUG, ROUTER.ip)); // within the gap: not answered again
    onFrame(ask(ROUTER, PLUG.ip));
    onFrame(ask(ROUTER, CAMERA.ip)); // not inspected: left alone
    onFrame(ask(CAMERA, ROUTER.ip)); // not inspected: left alone
    expect(sent.map(parseArpFrame).map((m) => [m?.etherDst, m?.senderIp, m?.senderMac])).toEqual([
      [PLUG.mac, ROUTER.ip, SELF.mac],
      [ROUTER.mac, PLUG.ip, SELF.mac],
    ]);
    expect(r.answered).toBe(2);
    void r.stop();
  });
});
