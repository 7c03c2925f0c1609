/**
 * Inspect mode in the real UI: browser mode and Chromium run inside the "laptop" namespace of a
 * home made of namespaces (test/netns.ts makeHomeLan) — test/e2e/inspect-walk.ts walks the
 * Capture page as a person would — while a device talks to "the internet" through the router.
 * Checks what the page listed, that nothing starts before consent, that the device's packets
 * arrived, and that the network is as before after Stop. Skipped, with the reason, where
 * namespaces or Chromium are not to be had.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeHomeLan, type HomeLan } from '../netns.ts';
import { e2eSkipReason, ROOT } from './browser.ts';

const reason = e2eSkipReason();
const made = reason === '' ? makeHomeLan(`te${process.pid % 100000}`, 235, 2) : reason;
const lan = typeof made === 'string' ? null : made;
if (typeof made === 'string') console.warn(`inspect mode e2e skipped: ${made}`);

function inNs(ns: string, args: string[]): ChildProcess {
  return spawn('ip', ['netns', 'exec', ns, process.execPath, '--import', 'tsx', ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function cachedMac(l: HomeLan, ns: string, ip: string): string {
  return /lladdr (\S+)/.exec(l.exec(ns, 'ip', 'neigh', 'show', ip))?.[1] ?? '';
}

describe.skipIf(lan === null)('inspect mode in Chromium', () => {
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const c of children) c.kill();
    lan?.remove();
  });

  it('lists the devices, starts only after consent, captures the ticked device, and gives it its router back on Stop', async () => {
    const l = lan as HomeLan;
    const echo = inNs(l.router.ns, ['test/netns/udp-echo.ts', 'serve', '7777']);
    children.push(echo);
    await new Promise((r) => setTimeout(r, 1000));
    const device = l.devices[0];
    const warm = inNs(device.ns, ['test/netns/udp-echo.ts', 'probe', l.internetIp, '7777', '10', '0.5']);
    await new Promise((r) => warm.on('close', r));
    const forwardBefore = l.exec(l.laptop.ns, 'cat', '/proc/sys/net/ipv4/ip_forward').trim();

    const walk = inNs(l.laptop.ns, [join('test/e2e/inspect-walk.ts')]);
    children.push(walk);
    let out = '';
    let err = '';
    walk.stdout?.on('data', (c: Buffer) => (out += c.toString()));
    walk.stderr?.on('data', (c: Buffer) => (err += c.toString()));
    const t0 = Date.now();
    while (!out.includes('started') && Date.now() - t0 < 90_000 && walk.exitCode === null)
      await new Promise((r) => setTimeout(r, 100));
    expect(out, err).toContain('started');
    const probe = inNs(device.ns, ['test/netns/udp-echo.ts', 'probe', l.internetIp, '7777', '20', '3']);
    children.push(probe);
    await new Promise((r) => walk.on('close', r));
    const seen = JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as {
      rows: { text: string; tickable: boolean }[];
      startBeforeConsent: boolean;
      startAfterConsent: boolean;
      packets: number;
      problems: string[];
      console: string[];
      csp: string[];
    };
    expect(seen.rows.map((r) => r.tickable)).toEqual([true, true, false, false]);
    expect(seen.rows[0].text).toContain(device.ip);
    expect(seen.rows[2].text).toContain(`your router — never inspected | ${l.router.ip}`);
    expect(seen.rows[3].text).toContain(`this computer — never inspected | ${l.laptop.ip}`);
    expect(seen.startBeforeConsent).toBe(true);
    expect(seen.startAfterConsent).toBe(false);
    expect(seen.packets).toBeGreaterThanOrEqual(40);
    expect(seen.problems.filter((p) => !/IPv6/.test(p))).toEqual([]);
    expect(seen.console).toEqual([]);
    expect(seen.csp).toEqual([]);
    // Stop gave the device and the router their true addresses back, and forwarding is as before
    const t1 = Date.now();
    while (Date.now() - t1 < 3000 && cachedMac(l, device.ns, l.router.ip) !== l.router.mac)
      await new Promise((r) => setTimeout(r, 100));
    expect(cachedMac(l, device.ns, l.router.ip)).toBe(l.router.mac);
    expect(cachedMac(l, l.router.ns, device.ip)).toBe(device.mac);
    expect(l.exec(l.laptop.ns, 'cat', '/proc/sys/net/ipv4/ip_forward').trim()).toBe(forwardBefore);
  });
});
