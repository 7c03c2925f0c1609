/**
 * `npx tsx test/bench/live-timestamps.ts [--seconds 60] [--rates 1000,20000,50000] [--alone]`
 *
 * What live capture's timestamps and losses are, measured through a veth pair between two
 * network namespaces this bench makes and removes (root needed; nothing touches the machine's
 * own interfaces). A sender in one namespace sends numbered UDP datagrams of 60–1400 bytes at each
 * rate for the given seconds; in the other, three captures run at once on the same interface:
 *   Telltale, libpcap's timestamps   LiveCaptureSource as the app opens it (our cap patch)
 *   Telltale, wall clock             the same, stamping each packet when it reaches JavaScript
 *                                    (what cap gave before the patch)
 *   tcpdump -w (reference)           the kernel's own count and timestamps
 * and the receiver holds its event loop busy for 20 ms every 100 ms, as the engine's labelling does.
 * Printed per rate: datagrams sent; received by each capture (share of those sent); drops that
 * libpcap / the kernel and our own queue counted; and the error of each capture's inter-arrival
 * times against tcpdump's (median and 95th percentile, and the share of gaps off by over 1 ms) —
 * the models read inter-arrival times, so this is what wall-clock stamping does to them. --alone
 * runs Telltale's libpcap capture only, as the app does (two captures in one process share it).
 */
import { spawn, spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { readCaptureFile } from '../../src-main/capture/capture-file.ts';
import { LiveCaptureSource } from '../../src-main/capture/live-capture.ts';
import type { RawPacket } from '../../src-main/capture/packet-source.ts';
import { inVethPair } from '../netns.ts';

const SELF = import.meta.filename;
// the sender and receiver run as children inside the namespaces: they take the parent's names
const TAG = process.env.TELLTALE_BENCH_TAG ?? `ttb${process.pid % 10000}`;
process.env.TELLTALE_BENCH_TAG = TAG;
// a: the receiver, b: the sender (test/netns.ts)
const END = {
  recv: { ns: `${TAG}-a`, ifname: `${TAG}a`, ip: '10.232.0.1' },
  send: { ns: `${TAG}-b`, ifname: `${TAG}b`, ip: '10.232.0.2' },
};
const RECV_NS = END.recv.ns;
const RECV_IF = END.recv.ifname;
const RECV_IP = END.recv.ip;
const SEND_NS = END.send.ns;
const PORT = 9999;

/** The datagram's number, from its first 4 payload bytes (Ethernet 14 + IPv4 20 + UDP 8). */
function seqOf(p: RawPacket): number {
  return p.bytes.length >= 46 ? new DataView(p.bytes.buffer, p.bytes.byteOffset + 42, 4).getUint32(0) : -1;
}

/** Sender: `count` numbered datagrams at `rate` per second, paced in 1-ms slices. */
async function sender(rate: number, seconds: number): Promise<void> {
  const socket = createSocket('udp4');
  const total = Math.round(rate * seconds);
  const t0 = performance.now();
  let sent = 0;
  const payload = Buffer.alloc(1400);
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * rate));
    while (sent < due) {
      payload.writeUInt32BE(sent, 0);
      const size = 60 + ((sent * 7919) % 1340);
      socket.send(payload.subarray(0, size), PORT, RECV_IP);
      sent++;
    }
    await new Promise((r) => setImmediate(r));
  }
  await new Promise((r) => setTimeout(r, 200));
  socket.close();
  process.stdout.write(JSON.stringify({ sent }));
}

/** Receiver: both Telltale captures for `seconds` + 2 s, then their packets' numbers and times. */
async function receiver(seconds: number): Promise<void> {
  const filter = `udp port ${PORT}`;
  const alone = process.env.TELLTALE_BENCH_ALONE === '1';
  const pcap = new LiveCaptureSource(RECV_IF, { filter });
  const wall = new LiveCaptureSource(RECV_IF, { filter, clock: 'wall-clock' });
  if (!pcap.open() || (!alone && !wall.open()))
    throw new Error([...pcap.errors, ...wall.errors].map((e) => e.message).join('; '));
  const got: Record<'pcap' | 'wall', [number, number][]> = { pcap: [], wall: [] };
  const read = async (source: LiveCaptureSource, into: [number, number][]) => {
    for await (const batch of source.batches()) for (const p of batch) into.push([seqOf(p), p.ts]);
  };
  const reading = Promise.all([read(pcap, got.pcap), ...(alone ? [] : [read(wall, got.wall)])]);
  // the engine labels packets in slices of tens of milliseconds: hold the loop as it does
  const busy = setInterval(() => {
    const until = Date.now() + 20;
    while (Date.now() < until) {
      // busy
    }
  }, 100);
  process.stdout.write('ready\n');
  await new Promise((r) => setTimeout(r, (seconds + 2) * 1000));
  clearInterval(busy);
  pcap.stop();
  wall.stop();
  await reading;
  process.stdout.write(
    JSON.stringify({
      pcap: got.pcap,
      wall: got.wall,
      drops: {
        pcap: { libpcap: pcap.pcapDropped, queue: pcap.queueDropped },
        wall: { libpcap: wall.pcapDropped, queue: wall.queueDropped },
      },
      timestamps: { pcap: pcap.timestamps, wall: wall.timestamps },
    }),
  );
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/** Inter-arrival errors of `got` against the reference times, over packets both saw consecutively. */
function iatErrors(got: [number, number][], reference: Map<number, number>): number[] {
  const errors: number[] = [];
  for (let i = 1; i < got.length; i++) {
    const [a, ta] = got[i - 1];
    const [b, tb] = got[i];
    if (b !== a + 1) continue;
    const ra = reference.get(a);
    const rb = reference.get(b);
    if (ra === undefined || rb === undefined) continue;
    errors.push(Math.abs(tb - ta - (rb - ra)));
  }
  return errors.sort((x, y) => x - y);
}

async function runRate(rate: number, seconds: number, work: string): Promise<void> {
  const ref = join(work, `ref-${rate}.pcap`);
  const tcpdump = spawn(
    'ip',
    [
      'netns',
      'exec',
      RECV_NS,
      'tcpdump',
      '-i',
      RECV_IF,
      '-U',
      '-s',
      '128',
      '-B',
      '16384',
      '-w',
      ref,
      `udp port ${PORT}`,
    ],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  const recv = spawn(
    'ip',
    ['netns', 'exec', RECV_NS, process.execPath, '--import', 'tsx', SELF, '--receiver', String(seconds)],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let out = '';
  recv.stdout.on('data', (c: Buffer) => (out += c.toString()));
  while (!out.includes('ready\n')) await new Promise((r) => setTimeout(r, 50));
  await new Promise((r) => setTimeout(r, 1000)); // tcpdump is listening by now
  const send = spawnSync(
    'ip',
    [
      'netns',
      'exec',
      SEND_NS,
      process.execPath,
      '--import',
      'tsx',
      SELF,
      '--sender',
      String(rate),
      String(seconds),
    ],
    {
      encoding: 'utf8',
    },
  );
  const { sent } = JSON.parse(send.stdout) as { sent: number };
  await new Promise<void>((r) =>
    recv.on('exit', () => {
      r();
    }),
  );
  tcpdump.kill('SIGINT');
  await new Promise<void>((r) =>
    tcpdump.on('exit', () => {
      r();
    }),
  );
  const result = JSON.parse(out.slice(out.indexOf('ready\n') + 6)) as {
    pcap: [number, number][];
    wall: [number, number][];
    drops: Record<'pcap' | 'wall', { libpcap: number; queue: number }>;
    timestamps: Record<'pcap' | 'wall', string>;
  };
  const reference = new Map<number, number>();
  await readCaptureFile(ref, (batch) => {
    for (const p of batch) reference.set(seqOf(p), p.ts);
  });
  console.log(
    `\n${rate} datagrams/s for ${seconds} s: ${sent} sent (${Math.round(sent / seconds)}/s achieved)`,
  );
  console.log(
    'capture                          received  of sent  drops (libpcap+kernel / our queue)  IAT error median  p95      > 1 ms',
  );
  const row = (name: string, got: [number, number][] | null, drops: string) => {
    const n = got === null ? reference.size : got.length;
    const errors = got === null ? [] : iatErrors(got, reference);
    const over = errors.filter((e) => e > 0.001).length;
    console.log(
      `${name.padEnd(32)} ${String(n).padStart(8)}   ${`${((100 * n) / Math.max(1, sent)).toFixed(1)} %`.padStart(7)}  ${drops.padStart(34)}  ${
        got === null
          ? '(reference)'.padStart(16)
          : `${(quantile(errors, 0.5) * 1e6).toFixed(0)} µs`.padStart(16)
      }  ${got === null ? '' : `${(quantile(errors, 0.95) * 1e6).toFixed(0)} µs`.padStart(8)}  ${
        got === null ? '' : `${((100 * over) / Math.max(1, errors.length)).toFixed(1)} %`.padStart(7)
      }`,
    );
  };
  row(
    `Telltale, ${result.timestamps.pcap} timestamps`,
    result.pcap,
    `${result.drops.pcap.libpcap} / ${result.drops.pcap.queue}`,
  );
  if (result.timestamps.wall !== null)
    row(
      `Telltale, ${result.timestamps.wall} timestamps`,
      result.wall,
      `${result.drops.wall.libpcap} / ${result.drops.wall.queue}`,
    );
  row('tcpdump -w (reference)', null, '–');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    allowPositionals: true,
    options: {
      seconds: { type: 'string', default: '60' },
      rates: { type: 'string', default: '1000,20000,50000' },
      alone: { type: 'boolean' },
      sender: { type: 'string' },
      receiver: { type: 'string' },
    },
  });
  const rest = process.argv.slice(2).filter((a) => !a.startsWith('--'));
  if (values.sender !== undefined) return sender(Number(values.sender), Number(rest.at(-1)));
  if (values.receiver !== undefined) return receiver(Number(values.receiver));
  const seconds = Number(values.seconds);
  // --alone: Telltale's libpcap capture only (the app's case: one capture), beside tcpdump
  if (values.alone === true) process.env.TELLTALE_BENCH_ALONE = '1';
  await inVethPair('live-timestamps', TAG, 232, async (_pair, work) => {
    for (const rate of values.rates.split(',').map(Number)) await runRate(rate, seconds, work);
  });
}

await main();
