/**
 * `npx tsx test/bench/live-recognition.ts [--minutes 10] [--capture FILE --labels labels.csv]`
 *
 * What wall-clock stamping of live packets does to what the observers recognise. A real capture
 * (default: the first file of MADEA's 2023-06-12, with its labels) is replayed frame by frame at
 * its own pace into a veth pair between two network namespaces this bench makes and removes (root
 * needed); in the other namespace two live captures record it at once — libpcap's timestamps (the
 * app since the cap patch) and the wall clock on reaching JavaScript (before) — while the
 * receiver holds its event loop busy 20 ms in every 100 ms, as labelling does. Both recordings
 * then go through the same audit (bundled models, labels) and the bench prints, per device and
 * observer, the share of its packets named as it and the busy periods seen, with each clock.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { runHomeAudit } from '../../src-main/audit/home-audit.ts';
import { readCaptureFile } from '../../src-main/capture/capture-file.ts';
import { LiveCaptureSource } from '../../src-main/capture/live-capture.ts';
import type { RawPacket } from '../../src-main/capture/packet-source.ts';
import { writePcapFile } from '../../src-main/capture/pcap-writer.ts';
import { GroundTruth } from '../../src-main/devices/ground-truth.ts';
import { inVethPair } from '../netns.ts';

const SELF = import.meta.filename;
const ROOT = resolve(import.meta.dirname, '../..');
const MADEA = resolve(ROOT, '../shared/datasets/madea');
const TAG = process.env.TELLTALE_BENCH_TAG ?? `ttr${process.pid % 10000}`;
process.env.TELLTALE_BENCH_TAG = TAG;
const RECV = { ns: `${TAG}-a`, ifname: `${TAG}a` };
const SEND = { ns: `${TAG}-b`, ifname: `${TAG}b` };

interface CapLike {
  open(device: string, filter: string, bufSize: number, buffer: Buffer): string;
  send(buffer: Buffer, length: number): void;
  close(): void;
}

/** Sender: the capture's first `minutes`, each frame at its own time after the first. */
async function sender(file: string, minutes: number): Promise<void> {
  const frames: { ts: number; bytes: Uint8Array }[] = [];
  let first: number | null = null;
  await readCaptureFile(file, (batch) => {
    for (const p of batch) {
      first ??= p.ts;
      if (p.ts - first <= minutes * 60) frames.push({ ts: p.ts, bytes: p.bytes });
    }
  });
  const { Cap } = createRequire(import.meta.url)('cap') as { Cap: new () => CapLike };
  const cap = new Cap();
  // cap keeps a raw pointer to this buffer: it must outlive the handle (ARCHITECTURE.md)
  const buffer = Buffer.alloc(65535);
  cap.open(SEND.ifname, '', 10 * 1024 * 1024, buffer);
  const t0 = performance.now();
  let sent = 0;
  let skipped = 0;
  for (const f of frames) {
    const due = t0 + (f.ts - frames[0].ts) * 1000;
    const wait = due - performance.now();
    if (wait > 3) await new Promise((r) => setTimeout(r, wait - 2));
    while (performance.now() < due) {
      // the last milliseconds spun, for the frame's time
    }
    const b = Buffer.from(f.bytes);
    try {
      cap.send(b, b.length);
      sent++;
    } catch {
      skipped++; // larger than the link takes (segmentation offload on the capturing host)
    }
  }
  cap.close();
  process.stdout.write(JSON.stringify({ sent, skipped, buffer: buffer.length }));
}

/** Receiver: both clocks until told to stop (its standard input closes), then a pcap of each. */
async function receiver(out: string): Promise<void> {
  const sources = {
    libpcap: new LiveCaptureSource(RECV.ifname, { queueLimit: 1 << 20 }),
    wall: new LiveCaptureSource(RECV.ifname, { queueLimit: 1 << 20, clock: 'wall-clock' }),
  };
  const got: Record<keyof typeof sources, RawPacket[]> = { libpcap: [], wall: [] };
  const reading = Promise.all(
    (Object.keys(sources) as (keyof typeof sources)[]).map(async (k) => {
      for await (const batch of sources[k].batches()) got[k].push(...batch);
    }),
  );
  const busy = setInterval(() => {
    const until = Date.now() + 20;
    while (Date.now() < until) {
      // the engine's labelling holds the loop about so long
    }
  }, 100);
  process.stdout.write('ready\n');
  await new Promise<void>((r) =>
    process.stdin
      .on('end', () => {
        r();
      })
      .resume(),
  );
  clearInterval(busy);
  for (const s of Object.values(sources)) s.stop();
  await reading;
  for (const k of Object.keys(sources) as (keyof typeof sources)[])
    writePcapFile(join(out, `${k}.pcap`), got[k], sources[k].linkType);
  process.stdout.write(JSON.stringify({ libpcap: got.libpcap.length, wall: got.wall.length }));
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      minutes: { type: 'string', default: '10' },
      capture: { type: 'string', default: join(MADEA, 'monitoring/monitoring_2023-6-12_21_50_58.cap.gz') },
      labels: { type: 'string', default: join(MADEA, 'labels.csv') },
      sender: { type: 'boolean' },
      receiver: { type: 'string' },
    },
  });
  if (values.sender === true) return sender(values.capture, Number(values.minutes));
  if (values.receiver !== undefined) return receiver(values.receiver);
  await inVethPair('live-recognition', TAG, 233, async (_pair, work) => {
    // no addresses answer on the receiving side: it only listens
    const recv = spawn(
      'ip',
      ['netns', 'exec', RECV.ns, process.execPath, '--import', 'tsx', SELF, '--receiver', work],
      {
        stdio: ['pipe', 'pipe', 'inherit'],
      },
    );
    let out = '';
    recv.stdout.on('data', (c: Buffer) => (out += c.toString()));
    while (!out.includes('ready\n')) await new Promise((r) => setTimeout(r, 50));
    const send = spawnSync(
      'ip',
      [
        'netns',
        'exec',
        SEND.ns,
        process.execPath,
        '--import',
        'tsx',
        SELF,
        '--sender',
        '--minutes',
        values.minutes,
        '--capture',
        values.capture,
      ],
      { encoding: 'utf8', maxBuffer: 1 << 20 },
    );
    await new Promise((r) => setTimeout(r, 2000));
    recv.stdin.end();
    await new Promise<void>((r) =>
      recv.on('exit', () => {
        r();
      }),
    );
    if (send.status !== 0) throw new Error(`the sender failed: ${send.stderr}`);
    const sent = JSON.parse(send.stdout) as { sent: number; skipped: number };
    const received = JSON.parse(out.slice(out.indexOf('ready\n') + 6)) as { libpcap: number; wall: number };
    console.log(
      `${values.capture.split('/').pop()}, first ${values.minutes} min: ${sent.sent} frames replayed (${sent.skipped} too large for the link); recorded ${received.libpcap} with libpcap's timestamps, ${received.wall} with the wall clock`,
    );
    const groundTruth = await GroundTruth.load(values.labels);
    const audits = {
      libpcap: (
        await runHomeAudit([join(work, 'libpcap.pcap')], { modelsDir: join(ROOT, 'models'), groundTruth })
      ).audit,
      wall: (await runHomeAudit([join(work, 'wall.pcap')], { modelsDir: join(ROOT, 'models'), groundTruth }))
        .audit,
    };
    console.log(
      '\ndevice                          observer  named as it: libpcap  wall clock   busy seen: libpcap  wall clock',
    );
    for (const d of audits.libpcap.devices) {
      for (const o of audits.libpcap.observers) {
        const a = o.devices.find((r) => r.mac === d.mac);
        const b = audits.wall.observers.find((x) => x.view === o.view)?.devices.find((r) => r.mac === d.mac);
        if (a === undefined || b === undefined || a.identity.packets < 20) continue;
        const pct = (x: number) => `${Math.round(100 * x)} %`;
        console.log(
          `${(d.trueLabel ?? d.name).padEnd(32)}${o.view.padEnd(10)}${pct(a.identity.recognisedShare).padStart(20)}${pct(b.identity.recognisedShare).padStart(12)}${`${a.activity.spansSeen}/${a.activity.spansTotal}`.padStart(21)}${`${b.activity.spansSeen}/${b.activity.spansTotal}`.padStart(12)}`,
        );
      }
    }
    for (const o of audits.libpcap.observers) {
      const w = audits.wall.observers.find((x) => x.view === o.view)!;
      console.log(
        `${o.view}: mean share named right ${(100 * o.meanRecognisedShare).toFixed(1)} % with libpcap's timestamps, ${(100 * w.meanRecognisedShare).toFixed(1)} % with the wall clock`,
      );
    }
  });
}

await main();
