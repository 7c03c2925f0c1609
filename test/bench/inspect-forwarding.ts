/**
 * `npx tsx test/bench/inspect-forwarding.ts [--rate 200] [--seconds 10] [--megabytes 50]`
 *
 * What inspect mode costs the devices it redirects, measured in a home network made of
 * namespaces (test/netns.ts makeHomeLan; needs root, skipped with the reason otherwise): one
 * device's UDP round trips to "the internet" (loss, longest loss window, RTT median / p95) and
 * a TCP download from it (megabits/s), for
 *   direct       no inspection: the reference, run in the same process on the same network
 *   kernel       `telltale inspect` (ARP redirection, the kernel forwards; what Telltale uses)
 *   user space   the same redirection with forwarding done in JavaScript through libpcap
 *                (each frame captured, its MACs rewritten, sent again with cap.send) — the
 *                alternative the issue asked to measure
 * and, for kernel and user space, the ratio of each figure to direct's. With ethtool, every
 * interface's offloads are turned off first, so frames carry their checksums and fit the MTU as
 * on a real network (libpcap forwards frames as they are).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { macBytes } from '../../src-main/capture/inspect/arp-frame.ts';
import { ArpRedirector } from '../../src-main/capture/inspect/arp-redirector.ts';
import { frameLinks } from '../../src-main/capture/inspect/inspect-capture.ts';
import { openFrameChannel } from '../../src-main/capture/live-capture.ts';
import { makeHomeLan, type HomeLan } from '../netns.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '200' },
    seconds: { type: 'string', default: '10' },
    megabytes: { type: 'string', default: '50' },
    // internal: the user-space forwarder, run inside the laptop's namespace
    forwarder: { type: 'string' },
  },
});

interface Probe {
  sent: number;
  lost: number;
  rttMedianMs: number | null;
  rttP95Ms: number | null;
  longestLossMs: number;
}

/** The user-space forwarder: `--forwarder self-ip,self-mac,router-ip,router-mac,device-ip,device-mac`. */
function runForwarder(spec: string): void {
  const [selfIp, selfMac, routerIp, routerMac, deviceIp, deviceMac] = spec.split(',');
  const self = { ip: selfIp, mac: selfMac };
  const router = { ip: routerIp, mac: routerMac };
  const device = { ip: deviceIp, mac: deviceMac };
  const selfBytes = macBytes(selfMac);
  const toDevice = macBytes(deviceMac);
  const toRouter = macBytes(routerMac);
  const device4 = deviceIp.split('.').map(Number);
  const failed = { frames: 0, largest: 0, forwarded: 0 };
  const link = openFrameChannel('eth0', `ether dst ${selfMac} and ip and not dst host ${selfIp}`, (frame) => {
    const forDevice = device4.every((b, i) => frame[30 + i] === b);
    frame.set(forDevice ? toDevice : toRouter, 0);
    frame.set(selfBytes, 6);
    try {
      link.send(frame);
      failed.forwarded++;
    } catch {
      // a frame the interface refuses (larger than its MTU: the kernel coalesced it): lost
      failed.frames++;
      failed.largest = Math.max(failed.largest, frame.length);
    }
  });
  const redirector = new ArpRedirector(self, router, [device]);
  redirector.start(frameLinks('eth0'));
  process.stdout.write('forwarding\n');
  process.stdin.resume();
  process.stdin.on('end', () => {
    void redirector.stop().then(() => {
      link.close();
      process.stderr.write(
        `user-space forwarder: ${failed.forwarded} frames sent on, ${failed.frames} could not be (largest ${failed.largest} bytes)\n`,
      );
      process.exit(0);
    });
  });
}

function inNs(ns: string, args: string[]): ChildProcess {
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '--import', 'tsx', ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    cwd: ROOT,
  });
  child.stderr.on('data', (c: Buffer) => process.stderr.write(c));
  return child;
}

function output(p: ChildProcess): Promise<string> {
  let out = '';
  p.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  return new Promise((r) =>
    p.on('close', () => {
      r(out);
    }),
  );
}

async function waitFor(p: ChildProcess, text: string, ms: number): Promise<void> {
  let seen = '';
  await new Promise<void>((resolveWait, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`no "${text}" within ${ms} ms`));
    }, ms);
    const check = (c: Buffer): void => {
      seen += c.toString();
      if (seen.includes(text)) {
        clearTimeout(timer);
        resolveWait();
      }
    };
    p.stdout?.on('data', check);
    p.stderr?.on('data', check);
  });
}

async function measure(
  lan: HomeLan,
  rate: number,
  seconds: number,
): Promise<{ probe: Probe; mbps: number; error: string | null }> {
  const device = lan.devices[0];
  const probe = JSON.parse(
    await output(
      inNs(device.ns, [
        'test/netns/udp-echo.ts',
        'probe',
        lan.internetIp,
        '7777',
        String(rate),
        String(seconds),
      ]),
    ),
  ) as Probe;
  const bulk = JSON.parse(
    await output(inNs(device.ns, ['test/netns/tcp-bulk.ts', 'fetch', lan.internetIp, '7778'])),
  ) as {
    mbps?: number;
    error?: string;
  };
  return { probe, mbps: bulk.mbps ?? 0, error: bulk.error ?? null };
}

async function main(): Promise<void> {
  const rate = Number(values.rate);
  const seconds = Number(values.seconds);
  const bytes = Number(values.megabytes) * 1e6;
  const lan = makeHomeLan('ttbf', 233, 1);
  if (typeof lan === 'string') {
    console.log(`inspect forwarding: ${lan}; skipped`);
    return;
  }
  // a veth pair hands frames on with their checksums left to "the hardware" and coalesced past
  // the MTU; a real network's frames carry their checksums and fit the MTU. Every mode runs on
  // frames like a real network's (ethtool), so libpcap can forward them as they are.
  const wire = spawnSync('sh', ['-c', 'command -v ethtool']).status === 0;
  if (wire)
    for (const h of [lan.router, lan.laptop, ...lan.devices])
      spawnSync(
        'ip',
        [
          'netns',
          'exec',
          h.ns,
          'ethtool',
          '-K',
          h.ifname,
          'tx',
          'off',
          'tso',
          'off',
          'gso',
          'off',
          'gro',
          'off',
        ],
        {
          stdio: 'ignore',
        },
      );
  else
    console.log(
      'no ethtool (apt-get install ethtool): the user-space forwarder meets offloaded checksums and fails',
    );
  const work = mkdtempSync(join(tmpdir(), 'telltale-inspect-bench-'));
  const servers = [
    inNs(lan.router.ns, ['test/netns/udp-echo.ts', 'serve', '7777']),
    inNs(lan.router.ns, ['test/netns/tcp-bulk.ts', 'serve', '7778', String(bytes)]),
  ];
  try {
    await new Promise((r) => setTimeout(r, 1500));
    const device = lan.devices[0];
    const rows: { mode: string; probe: Probe; mbps: number; error: string | null }[] = [];
    rows.push({ mode: 'direct', ...(await measure(lan, rate, seconds)) });

    const cli = inNs(lan.laptop.ns, [
      'src-main/cli/telltale.ts',
      'inspect',
      'eth0',
      '--data',
      work,
      '--device',
      device.ip,
      '--i-own-this-network',
    ]);
    await waitFor(cli, 'Inspecting', 30_000);
    await new Promise((r) => setTimeout(r, 1000));
    rows.push({ mode: 'kernel', ...(await measure(lan, rate, seconds)) });
    cli.kill('SIGINT');
    await output(cli);

    const forwarder = inNs(lan.laptop.ns, [
      'test/bench/inspect-forwarding.ts',
      '--forwarder',
      [lan.laptop.ip, lan.laptop.mac, lan.router.ip, lan.router.mac, device.ip, device.mac].join(','),
    ]);
    await waitFor(forwarder, 'forwarding', 30_000);
    await new Promise((r) => setTimeout(r, 1000));
    rows.push({ mode: 'user space', ...(await measure(lan, rate, seconds)) });
    forwarder.stdin?.end();
    await output(forwarder);

    const direct = rows[0];
    console.log(
      `inspect mode's cost to a redirected device (${rate} UDP round trips/s for ${seconds} s; a ${values.megabytes} MB TCP download), ` +
        `namespaces on ${process.arch}:`,
    );
    console.log(
      'mode        lost    longest loss  RTT median  RTT p95   download     vs direct (download, RTT median)',
    );
    for (const r of rows) {
      const ratio = (a: number | null, b: number | null): string =>
        a === null || b === null || b === 0 ? '–' : `${(a / b).toFixed(2)}×`;
      console.log(
        `${r.mode.padEnd(11)} ${`${((100 * r.probe.lost) / r.probe.sent).toFixed(1)} %`.padStart(6)}  ${`${r.probe.longestLossMs} ms`.padStart(12)}  ` +
          `${`${r.probe.rttMedianMs ?? '–'} ms`.padStart(10)}  ${`${r.probe.rttP95Ms ?? '–'} ms`.padStart(8)}  ${`${r.mbps} Mb/s`.padStart(11)}  ` +
          (r === direct
            ? 'reference'
            : `${ratio(r.mbps, direct.mbps)}, ${ratio(r.probe.rttMedianMs, direct.probe.rttMedianMs)}`) +
          (r.error === null ? '' : ` (download: ${r.error})`),
      );
    }
  } finally {
    for (const s of servers) s.kill();
    lan.remove();
    rmSync(work, { recursive: true, force: true });
  }
}

if (values.forwarder !== undefined) runForwarder(values.forwarder);
else await main();
