/**
 * Inspect mode in a home network made of namespaces (test/netns.ts makeHomeLan): a switch, a
 * router (which also holds 198.51.100.1, "the internet"), a laptop running `telltale inspect`,
 * and two devices that talk to the internet through the router. Nothing is sent outside the
 * namespaces; they are removed after. Skipped, with the reason, where they cannot be made.
 *
 * Bounds stated here and checked: while inspected, each device loses at most 1 % of its UDP
 * round trips to the internet and no run of losses lasts over 250 ms; the capture holds each
 * device packet once, with the MAC it was meant for; after a stop, a `kill -9` of the inspecting
 * process and a `kill -9` of its whole process group, every ARP cache holds the true MACs within
 * 3 s and the forwarding settings are as they were; where even the watchdog was killed, the next
 * start of Telltale puts the network back.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCaptureFile } from '../../src-main/capture/capture-file.ts';
import type { RawPacket } from '../../src-main/capture/packet-source.ts';
import type { InspectDiscovery } from '../../src-main/shared/inspect-mode.ts';
import { makeHomeLan, makeVethPair, type HomeLan } from '../netns.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const CLI = join(ROOT, 'src-main/cli/telltale.ts');
const ECHO = join(ROOT, 'test/netns/udp-echo.ts');
const ECHO_PORT = '7777';
const RESTORE_WITHIN_MS = 3000;
const MAX_LOSS = 0.01;
const MAX_LOSS_WINDOW_MS = 250;

const made = makeHomeLan(`ti${process.pid % 100000}`, 232);
const skip = typeof made === 'string' ? made : '';
if (skip !== '') console.warn(`inspect mode tests skipped: ${skip}`);
const lan = typeof made === 'string' ? null : made;

interface Probe {
  sent: number;
  answered: number;
  lost: number;
  rttMedianMs: number;
  rttP95Ms: number;
  longestLossMs: number;
}

function cliArgs(...args: string[]): string[] {
  return ['netns', 'exec', lan?.laptop.ns ?? '', process.execPath, '--import', 'tsx', CLI, ...args];
}

/** Runs `udp-echo.mjs probe` from a device to the internet address. */
function probe(ns: string, rate: number, seconds: number): Promise<Probe> {
  return new Promise((done, fail) => {
    const p = spawn('ip', [
      'netns',
      'exec',
      ns,
      process.execPath,
      '--import',
      'tsx',
      ECHO,
      'probe',
      lan?.internetIp ?? '',
      ECHO_PORT,
      String(rate),
      String(seconds),
    ]);
    let out = '';
    p.stdout.on('data', (c: Buffer) => (out += c.toString()));
    p.on('close', () => {
      try {
        done(JSON.parse(out) as Probe);
      } catch (error) {
        fail(new Error(`the probe printed no result: ${(error as Error).message}`));
      }
    });
  });
}

/** The MAC `ns` holds for `ip` ('' when none). */
function cachedMac(ns: string, ip: string): string {
  const line = lan?.exec(ns, 'ip', 'neigh', 'show', ip) ?? '';
  return /lladdr (\S+)/.exec(line)?.[1] ?? '';
}

function settings(): string[] {
  if (lan === null) return [];
  return [
    'ip_forward',
    'conf/all/send_redirects',
    'conf/eth0/send_redirects',
    'conf/all/accept_redirects',
    'conf/default/forwarding',
    'conf/eth0/forwarding',
  ].map((p) => lan.exec(lan.laptop.ns, 'cat', `/proc/sys/net/ipv4/${p}`).trim());
}

/** Whether user nobody can read the command line and tsx here (not where the checkout is private). */
function otherUserReads(): boolean {
  const asNobody = ['--reuid=65534', '--regid=65534', '--clear-groups'];
  const tsx = join(ROOT, 'node_modules/tsx/package.json');
  const ok = [CLI, tsx].every(
    (f) => spawnSync('setpriv', [...asNobody, 'test', '-r', f], { stdio: 'ignore' }).status === 0,
  );
  if (!ok)
    console.warn('inspect mode: the run as another user is skipped: user nobody cannot read this checkout');
  return ok;
}

/** Inspect mode's record (and lock) for the laptop's network namespace. */
function laptopRecord(): string {
  return `/run/telltale/inspect-${statSync(`/run/netns/${lan?.laptop.ns ?? ''}`).ino}.json`;
}

function poisoned(l: HomeLan): boolean {
  return (
    l.devices.some((d) => cachedMac(d.ns, l.router.ip) === l.laptop.mac) ||
    l.devices.some((d) => cachedMac(l.router.ns, d.ip) === l.laptop.mac)
  );
}

function trueCaches(l: HomeLan, devices = l.devices): boolean {
  return devices.every(
    (d) => cachedMac(d.ns, l.router.ip) === l.router.mac && cachedMac(l.router.ns, d.ip) === d.mac,
  );
}

async function until(pred: () => boolean, ms: number): Promise<number> {
  const t0 = Date.now();
  while (!pred()) {
    if (Date.now() - t0 > ms) throw new Error(`not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return Date.now() - t0;
}

/** Starts `telltale inspect` on the devices in its own process group. */
function inspect(work: string, devices: string[], extra: string[] = []): ChildProcess {
  return spawn(
    'ip',
    cliArgs('inspect', 'eth0', ...devices.flatMap((d) => ['--device', d]), '--i-own-this-network', ...extra),
    {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
}

function exited(p: ChildProcess): Promise<{ code: number | null; out: string; err: string }> {
  let out = '';
  let err = '';
  p.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  p.stderr?.on('data', (c: Buffer) => (err += c.toString()));
  return new Promise((r) =>
    p.on('close', (code) => {
      r({ code, out, err });
    }),
  );
}

describe.skipIf(lan === null)('inspect mode in namespaces', () => {
  let echo: ChildProcess;
  let work: string;
  let before: string[];

  beforeAll(async () => {
    if (lan === null) return;
    work = mkdtempSync(join(tmpdir(), 'telltale-inspect-'));
    echo = spawn(
      'ip',
      ['netns', 'exec', lan.router.ns, process.execPath, '--import', 'tsx', ECHO, 'serve', ECHO_PORT],
      {
        stdio: 'ignore',
      },
    );
    await new Promise((r) => setTimeout(r, 300));
    // every host knows its neighbours, as in a home that has been running
    for (const d of lan.devices) await probe(d.ns, 10, 0.3);
    // a host that refuses ICMP redirects: turning forwarding on and off must not change that
    lan.exec(lan.laptop.ns, 'sysctl', '-q', '-w', 'net.ipv4.conf.all.accept_redirects=0');
    before = settings();
  });

  afterAll(() => {
    echo?.kill();
    lan?.remove();
    if (work !== undefined) rmSync(work, { recursive: true, force: true });
  });

  it('lists the router and both devices, never this computer, and changes nothing', () => {
    const l = lan as HomeLan;
    const out = execFileSync('ip', cliArgs('inspect', 'eth0'), {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    expect(out).toMatch(new RegExp(`${l.router.ip.replaceAll('.', '\\.')}\\s+${l.router.mac}.*router`));
    for (const d of l.devices) expect(out).toContain(`${d.ip}  `);
    expect(out).toMatch(/10\.232\.0\.100 .*this computer/);
    expect(out).toContain('3 found on eth0 (/24)');
    expect(settings()).toEqual(before);
    expect(trueCaches(l)).toBe(true);
  });

  it.skipIf(!otherUserReads())('says it needs root, and why, when run as another user', () => {
    const l = lan as HomeLan;
    const r = spawnSync(
      'ip',
      [
        'netns',
        'exec',
        l.laptop.ns,
        'setpriv',
        '--reuid=65534',
        '--regid=65534',
        '--clear-groups',
        process.execPath,
        '--import',
        'tsx',
        CLI,
        'inspect',
        'eth0',
      ],
      { encoding: 'utf8', env: { ...process.env, HOME: tmpdir() } },
    );
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toContain('inspect mode sends ARP frames and turns on forwarding, which needs root');
  });

  it('refuses to redirect without consent, and never the router', () => {
    const l = lan as HomeLan;
    const noConsent = spawnSync('ip', cliArgs('inspect', 'eth0', '--device', l.devices[0].ip), {
      encoding: 'utf8',
    });
    expect(noConsent.status).toBe(1);
    expect(noConsent.stderr).toContain('--i-own-this-network');
    const router = spawnSync(
      'ip',
      cliArgs('inspect', 'eth0', '--device', l.router.ip, '--i-own-this-network', '--seconds', '1'),
      { encoding: 'utf8' },
    );
    expect(router.status).toBe(2);
    expect(router.stderr).toContain('is the router: it is never inspected');
    expect(trueCaches(l)).toBe(true);
  });

  it("sees the devices' internet traffic once each, keeps them talking, and puts everything back on stop", async () => {
    const l = lan as HomeLan;
    const pcap = join(work, 'inspected.pcap');
    const run = inspect(
      work,
      l.devices.map((d) => d.ip),
      ['--seconds', '14', '--write', pcap, '--json', join(work, 'inspected.json')],
    );
    const result = exited(run);
    await until(() => poisoned(l), 10_000);
    const probes = await Promise.all(l.devices.map((d) => probe(d.ns, 50, 5)));
    for (const p of probes) {
      expect(p.lost / p.sent).toBeLessThanOrEqual(MAX_LOSS);
      expect(p.longestLossMs).toBeLessThanOrEqual(MAX_LOSS_WINDOW_MS);
    }
    console.log(`inspect mode, 2 devices at 50 datagrams/s for 5 s: ${JSON.stringify(probes)}`);
    const { code, err } = await result;
    expect(code, err).toBe(0);
    const stoppedAt = Date.now();
    await until(() => trueCaches(l), RESTORE_WITHIN_MS - (Date.now() - stoppedAt));
    expect(settings()).toEqual(before);
    expect(existsSync(laptopRecord())).toBe(false);
    // each probe datagram once, as a sniffer between device and router would see it
    const packets: RawPacket[] = [];
    await readCaptureFile(pcap, (batch) => {
      packets.push(...batch);
    });
    const mac = (b: Uint8Array, at: number): string =>
      [...b.subarray(at, at + 6)].map((x) => x.toString(16).padStart(2, '0')).join(':');
    for (const [i, d] of l.devices.entries()) {
      const upCount = packets.filter(
        (p) =>
          mac(p.bytes, 6) === d.mac &&
          p.bytes[23] === 17 &&
          ((p.bytes[36] << 8) | p.bytes[37]) === Number(ECHO_PORT),
      ).length;
      expect(upCount).toBe(probes[i].sent);
      expect(
        packets.filter((p) => mac(p.bytes, 6) === d.mac).every((p) => mac(p.bytes, 0) !== l.laptop.mac),
      ).toBe(true);
      const down = packets.filter(
        (p) => mac(p.bytes, 0) === d.mac && mac(p.bytes, 6) === l.router.mac && p.bytes[23] === 17,
      ).length;
      expect(down).toBe(probes[i].answered);
    }
    expect(packets.some((p) => mac(p.bytes, 6) === l.laptop.mac)).toBe(false);
    const summary = JSON.parse(readFileSync(join(work, 'inspected.json'), 'utf8')) as {
      forwardedCopiesLeftOut: number;
    };
    expect(summary.forwardedCopiesLeftOut).toBeGreaterThanOrEqual(probes[0].sent + probes[1].sent);
  });

  for (const kill of ['the inspecting process', 'its whole process group'] as const) {
    it(`puts everything back after kill -9 of ${kill} (the watchdog)`, async () => {
      const l = lan as HomeLan;
      const run = inspect(work, [l.devices[0].ip]);
      const result = exited(run);
      await until(() => poisoned(l), 10_000);
      expect(settings()[0]).toBe('1');
      const pid = run.pid as number;
      process.kill(kill === 'the inspecting process' ? pid : -pid, 'SIGKILL');
      await result;
      const took = await until(() => trueCaches(l) && settings().join() === before.join(), RESTORE_WITHIN_MS);
      console.log(`kill -9 of ${kill}: the network was back in ${took} ms`);
      await until(() => !existsSync(laptopRecord()), 2000);
    });
  }

  it('puts everything back at the next start when even the watchdog was killed', async () => {
    const l = lan as HomeLan;
    const run = inspect(work, [l.devices[1].ip]);
    const result = exited(run);
    await until(() => poisoned(l), 10_000);
    const watchdogs = execFileSync('pgrep', ['-f', `restore-watchdog-main.*${laptopRecord()}`], {
      encoding: 'utf8',
    })
      .trim()
      .split('\n');
    for (const w of watchdogs) process.kill(Number(w), 'SIGKILL');
    process.kill(-(run.pid as number), 'SIGKILL');
    await result;
    await new Promise((r) => setTimeout(r, 1000));
    expect(existsSync(laptopRecord())).toBe(true);
    expect(settings()[0]).toBe('1');
    const next = spawnSync('ip', cliArgs('inspect', 'eth0'), { encoding: 'utf8' });
    expect(next.status).toBe(0);
    expect(next.stderr).toContain('was undone');
    await until(() => trueCaches(l) && settings().join() === before.join(), RESTORE_WITHIN_MS);
    expect(existsSync(laptopRecord())).toBe(false);
  });

  for (const end of ['stop', 'close'] as const) {
    it(`in the engine: discovers, inspects the ticked devices live and puts everything back on ${end === 'stop' ? 'stop' : 'quit'}`, async () => {
      const l = lan as HomeLan;
      const child = spawn(
        'ip',
        [
          'netns',
          'exec',
          l.laptop.ns,
          process.execPath,
          '--import',
          'tsx',
          join(ROOT, 'test/netns/engine-inspect-run.ts'),
          join(work, `engine-${end}`),
          join(ROOT, 'test/fixtures/models'),
        ],
        { stdio: ['pipe', 'pipe', 'inherit'] },
      );
      const steps: Record<string, unknown>[] = [];
      let buffered = '';
      child.stdout.on('data', (c: Buffer) => {
        buffered += c.toString();
        const lines = buffered.split('\n');
        buffered = lines.pop() ?? '';
        for (const line of lines)
          if (line.trim() !== '') steps.push(JSON.parse(line) as Record<string, unknown>);
      });
      const closed = new Promise((r) => child.on('close', r));
      await until(() => steps.some((x) => x.step === 'started' || x.step === 'failed'), 30_000);
      const discovered = steps.find((x) => x.step === 'discovered') as
        { discovery: InspectDiscovery } | undefined;
      expect(discovered?.discovery.devices.map((d) => [d.ip, d.role])).toEqual([
        [l.router.ip, 'router'],
        ...l.devices.map((d) => [d.ip, 'device']),
      ]);
      expect(discovered?.discovery).toMatchObject({
        subnet: '10.232.0.0/24',
        gatewayIp: l.router.ip,
        noSweep: null,
        asked: 253,
      });
      expect(steps.find((x) => x.step === 'started')).toMatchObject({ ok: true, value: { kind: 'live' } });
      await until(() => poisoned(l), 10_000);
      const probes = await Promise.all(l.devices.map((d) => probe(d.ns, 20, 3)));
      child.stdin.end(`${end}\n`);
      await closed;
      const ended = steps.find((x) => x.step === 'ended') as {
        devices: { mac: string; packets: number }[];
        problems: { severity: string; message: string }[];
      };
      expect(ended.problems.filter((p) => p.severity === 'error')).toEqual([]);
      for (const [i, d] of l.devices.entries()) {
        const row = ended.devices.find((x) => x.mac === d.mac);
        expect(row?.packets ?? 0).toBeGreaterThanOrEqual(probes[i].sent + probes[i].answered);
      }
      expect(ended.devices.some((x) => x.mac === l.laptop.mac)).toBe(false);
      await until(() => trueCaches(l) && settings().join() === before.join(), RESTORE_WITHIN_MS);
      expect(existsSync(laptopRecord())).toBe(false);
    });
  }
});

describe.skipIf(lan === null)('an interface that goes away', () => {
  it('ends the capture with a plain error and keeps the process alive (cap no longer aborts)', async () => {
    const pair = makeVethPair(`tg${process.pid % 100000}`, 234);
    if (typeof pair === 'string') throw new Error(pair);
    try {
      const child = spawn(
        'ip',
        [
          'netns',
          'exec',
          pair.a.ns,
          process.execPath,
          '--import',
          'tsx',
          join(ROOT, 'test/netns/capture-until-gone.ts'),
          pair.a.ifname,
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      const result = exited(child);
      let out = '';
      child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
      await until(() => out.includes('capturing'), 20_000);
      spawnSync('ip', ['-n', pair.a.ns, 'link', 'del', pair.a.ifname]);
      const { code, err } = await result;
      expect(code, err).toBe(0);
      const report = JSON.parse(out.split('\n')[1]) as { errors: string[]; send: string };
      expect(report.errors).toHaveLength(1);
      expect(report.errors[0]).toMatch(
        /capture on \S+ stopped: the interface failed .*unplugged or turned off/,
      );
      expect(report.send).toMatch(/closed or gone/);
    } finally {
      pair.remove();
    }
  });
});
