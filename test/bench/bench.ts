/**
 * `npm run bench [-- capture.pcap ...] [--files N] [--no-memory] [--no-tshark] [--week]`
 *
 * Throughput of the engine's packet path on real MADEA data, beside reference tools run in the
 * same process on the same file:
 *   read                      openCaptureFile, batches counted
 *   read + decode             + decodePacket
 *   read + decode + views + features
 *                             + device inventory, ground truth, NAPT and VPN views, and each
 *                               view's feature vectors (the whole `telltale dataset` path but
 *                               the disk writes)
 *   tcpdump -r FILE -w /dev/null
 *   tshark -r FILE -T fields (the fields our cross-check compares)
 * and then memory over a full run of every MADEA file (2.4 million packets, gzip as shipped):
 * heap and RSS sampled every 100 000 packets.
 *
 * By default the input is N MADEA monitoring files merged into one plain pcap under the system
 * temp folder (tcpdump cannot read gzip). Pin to one core for the per-core figure:
 * `taskset -c 0 npm run bench`. `--week` then runs test/bench/week.ts: the full audit of a week of
 * one home (15.4 M packets) beside tcpdump and tshark (about 10 minutes, tshark needing 14 GB; `npm run build` first).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { openCaptureFile } from '../../src-main/capture/capture-file.ts';
import { decodePacket } from '../../src-main/decode/decode-packet.ts';
import { GroundTruth } from '../../src-main/devices/ground-truth.ts';
import { analyzeCaptures } from '../../src-main/audit/capture-analysis.ts';
import { FeatureExtractor } from '../../src-main/features/feature-extractor.ts';
import { DeviceIdentifier } from '../../src-main/inference/device-identifier.ts';
import type { ModelView } from '../../src-main/inference/model-manifest.ts';
import { runLengthsOf } from '../../src-main/inference/window-stitching.ts';
import type { ViewName, ViewPacket } from '../../src-main/views/view-packet.ts';

const DATASETS = resolve(import.meta.dirname, '../../../shared/datasets');
const MADEA = join(DATASETS, 'madea');

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    files: { type: 'string', default: '30' },
    repeat: { type: 'string', default: '3' },
    'no-memory': { type: 'boolean' },
    'no-tshark': { type: 'boolean' },
    'no-models': { type: 'boolean' },
    week: { type: 'boolean' },
    models: { type: 'string' },
  },
});

function madeaFiles(): string[] {
  const out: string[] = [];
  for (const sub of ['training', 'monitoring']) {
    const dir = join(MADEA, sub);
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir).sort()) if (f.endsWith('.gz')) out.push(join(dir, f));
  }
  return out;
}

function benchInput(): string {
  if (positionals.length === 1) return positionals[0];
  const files = madeaFiles().filter((f) => f.includes('monitoring_2023-6-13'));
  if (files.length === 0) throw new Error(`no MADEA captures under ${MADEA}; pass a capture file`);
  const n = Math.min(files.length, Number(values.files));
  const dir = join(tmpdir(), 'telltale-bench');
  mkdirSync(dir, { recursive: true });
  const out = join(dir, `madea-${n}.pcap`);
  if (!existsSync(out)) {
    // mergecap reads gzip and writes plain pcap, merging by timestamp.
    execFileSync('mergecap', ['-F', 'pcap', '-w', out, ...files.slice(0, n)]);
  }
  return out;
}

interface Measurement {
  name: string;
  packets: number;
  seconds: number;
}

const rate = (m: Measurement): number => m.packets / m.seconds;

async function best(name: string, run: () => Promise<number>): Promise<Measurement> {
  let bestSeconds = Infinity;
  let packets = 0;
  for (let i = 0; i < Number(values.repeat); i++) {
    const t0 = process.hrtime.bigint();
    packets = await run();
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    bestSeconds = Math.min(bestSeconds, seconds);
  }
  return { name, packets, seconds: bestSeconds };
}

async function readOnly(path: string): Promise<number> {
  let n = 0;
  for await (const batch of openCaptureFile(path).batches()) n += batch.length;
  return n;
}

let sink = 0;
async function readDecode(path: string): Promise<number> {
  let n = 0;
  for await (const batch of openCaptureFile(path).batches()) {
    for (let i = 0; i < batch.length; i++) sink += decodePacket(batch[i]).srcPort;
    n += batch.length;
  }
  return n;
}

/**
 * The dataset path without disk writes: inventory, ground truth, the given views and each view's
 * feature vectors for every packet, written into a reused block.
 */
async function fullPipeline(
  paths: readonly string[],
  groundTruth: GroundTruth,
  views: readonly ViewName[],
  onPackets?: (n: number) => void,
): Promise<number> {
  const extractors = new Map(views.map((v) => [v, new FeatureExtractor(v)]));
  const blocks = new Map(views.map((v) => [v, new Float32Array(4096 * extractors.get(v)!.length)]));
  const rows = new Map(views.map((v) => [v, 0]));
  const analysis = await analyzeCaptures(paths, {
    groundTruth,
    views,
    onViewPacket: (view: ViewName, vp: ViewPacket) => {
      const e = extractors.get(view)!;
      const row = rows.get(view)!;
      e.extract(vp, blocks.get(view)!, (row & 4095) * e.length);
      rows.set(view, row + 1);
    },
    onSegmentStart: () => {
      for (const e of extractors.values()) e.reset();
    },
    onProgress:
      onPackets === undefined
        ? undefined
        : (p) => {
            onPackets(p.packets);
          },
  });
  return analysis.packets;
}

function timeCommand(cmd: string, args: string[]): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 30 });
  if (r.error !== undefined || r.status !== 0)
    throw new Error(`${cmd} failed: ${r.error?.message ?? r.stderr.toString()}`);
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

function fmt(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : `${(n / 1e3).toFixed(1)} k`;
}

async function main(): Promise<void> {
  const input = benchInput();
  const labels = GroundTruth.loadSync(join(MADEA, 'labels.csv'));
  const mb = statSync(input).size / 1e6;
  console.log(
    `Telltale benchmark — ${input} (${mb.toFixed(0)} MB), node ${process.version}, best of ${values.repeat}`,
  );
  console.log(
    '(JavaScript runs on one thread; pin with `taskset -c 0 npm run bench` for a strict one-core figure)\n',
  );

  const ours: Measurement[] = [];
  ours.push(await best('read', () => readOnly(input)));
  ours.push(await best('read + decode', () => readDecode(input)));
  ours.push(
    await best('read + decode + NAPT view + features', () => fullPipeline([input], labels, ['napt'])),
  );
  ours.push(await best('read + decode + VPN view + features', () => fullPipeline([input], labels, ['vpn'])));
  ours.push(
    await best('read + decode + NAPT & VPN views + features', () =>
      fullPipeline([input], labels, ['napt', 'vpn']),
    ),
  );
  ours.push(
    await best('read + decode + all 3 views + features', () =>
      fullPipeline([input], labels, ['lan', 'napt', 'vpn']),
    ),
  );
  const packets = ours[0].packets;

  const refs: Measurement[] = [];
  if (spawnSync('tcpdump', ['--version']).status === 0) {
    let s = Infinity;
    for (let i = 0; i < Number(values.repeat); i++)
      s = Math.min(s, timeCommand('tcpdump', ['-r', input, '-w', '/dev/null']));
    refs.push({ name: 'tcpdump -r -w /dev/null', packets, seconds: s });
  }
  if (values['no-tshark'] !== true && spawnSync('tshark', ['--version']).status === 0) {
    // tshark dissects at tens of thousands of packets/s: time it on the first 100 000 packets.
    const count = Math.min(packets, 100_000);
    const fields = [
      'frame.len',
      'eth.src',
      'eth.dst',
      'ip.src',
      'ip.dst',
      'ipv6.src',
      'ipv6.dst',
      'tcp.srcport',
      'tcp.dstport',
      'udp.srcport',
      'udp.dstport',
      'ip.proto',
      'dns.qry.name',
      'tls.handshake.extensions_server_name',
      'dhcp.option.hostname',
    ];
    const s = timeCommand('tshark', [
      '-n',
      '-r',
      input,
      '-c',
      String(count),
      '-T',
      'fields',
      ...fields.flatMap((f) => ['-e', f]),
    ]);
    refs.push({ name: `tshark -r -T fields (first ${fmt(count)} packets)`, packets: count, seconds: s });
  }

  console.log(`${packets} packets\n`);
  const width = 44;
  console.log(
    `${'stage'.padEnd(width)} ${'packets/s'.padStart(10)}  ${'vs tcpdump'.padStart(10)}  ${'vs tshark'.padStart(10)}`,
  );
  const tcpdump = refs.find((r) => r.name.startsWith('tcpdump'));
  const tshark = refs.find((r) => r.name.startsWith('tshark'));
  for (const m of [...ours, ...refs]) {
    const r = rate(m);
    const vsTcpdump = tcpdump === undefined ? '-' : `${(r / rate(tcpdump)).toFixed(2)}x`;
    const vsTshark = tshark === undefined ? '-' : `${(r / rate(tshark)).toFixed(1)}x`;
    console.log(
      `${m.name.padEnd(width)} ${fmt(r).padStart(10)}  ${vsTcpdump.padStart(10)}  ${vsTshark.padStart(10)}`,
    );
  }
  console.log('\nTarget: read + decode + one observer view + its features >= 1 M packets/s on one core');
  for (const m of ours.slice(2, 4)) {
    console.log(`  ${m.name}: ${fmt(rate(m))}/s — ${rate(m) >= 1e6 ? 'met' : 'NOT met'}`);
  }

  if (values['no-models'] !== true) await modelThroughput(input, labels);

  if (values['no-memory'] !== true) {
    const all = madeaFiles();
    console.log(
      `\nMemory: NAPT and VPN views with features over all ${all.length} MADEA files (gzip as shipped)`,
    );
    const samples: { packets: number; heap: number; rss: number }[] = [];
    let next = 100_000;
    const t0 = process.hrtime.bigint();
    const total = await fullPipeline(all, labels, ['napt', 'vpn'], (p) => {
      if (p >= next) {
        next += 100_000;
        const m = process.memoryUsage();
        samples.push({ packets: p, heap: m.heapUsed / 1e6, rss: m.rss / 1e6 });
      }
    });
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const later = samples.slice(Math.floor(samples.length / 4));
    const heaps = later.map((s) => s.heap);
    const rss = later.map((s) => s.rss);
    console.log(`${total} packets in ${seconds.toFixed(1)} s (${fmt(total / seconds)}/s, gzip included)`);
    for (const s of samples.filter((_, i) => i % 4 === 0)) {
      console.log(
        `  at ${fmt(s.packets).padStart(8)} packets: heap ${s.heap.toFixed(0).padStart(4)} MB, rss ${s.rss.toFixed(0).padStart(4)} MB`,
      );
    }
    console.log(
      `After the first quarter: heap ${Math.min(...heaps).toFixed(0)}–${Math.max(...heaps).toFixed(0)} MB, rss ${Math.min(...rss).toFixed(0)}–${Math.max(...rss).toFixed(0)} MB`,
    );
  }
  if (sink === 42) console.log('');
  if (values.week === true) {
    console.log('\nA week of one home (test/bench/week.ts)');
    const r = spawnSync('npx', ['tsx', join(import.meta.dirname, 'week.ts')], { stdio: 'inherit' });
    if (r.status !== 0) throw new Error('the week benchmark failed');
  }
}

/** One view's feature rows of the bench input, with the capture segments as runs. */
async function viewFeatures(
  path: string,
  groundTruth: GroundTruth,
  view: ModelView,
): Promise<{ features: Float32Array; n: number; runs: number[] }> {
  const extractor = new FeatureExtractor(view);
  const f = extractor.length;
  let features = new Float32Array(1 << 16);
  let segments = new Int32Array(1 << 16);
  let n = 0;
  let segment = 0;
  await analyzeCaptures([path], {
    groundTruth,
    views: [view],
    onViewPacket: (_view: ViewName, vp: ViewPacket) => {
      if ((n + 1) * f > features.length) {
        const grown = new Float32Array(features.length * 2);
        grown.set(features);
        features = grown;
      }
      if (n === segments.length) {
        const grown = new Int32Array(segments.length * 2);
        grown.set(segments);
        segments = grown;
      }
      extractor.extract(vp, features, n * f);
      segments[n++] = segment;
    },
    onSegmentStart: (s) => {
      segment = s;
      extractor.reset();
    },
  });
  return { features, n, runs: runLengthsOf(n, (a, b) => segments[a] === segments[b]) };
}

/**
 * Inference throughput: the default NAPT and VPN models of models/ (or --models DIR) through the
 * runtime — worker thread, onnxruntime-node, windowing and stitching — on the bench input's
 * features (computed beforehand, not timed).
 */
async function modelThroughput(input: string, groundTruth: GroundTruth): Promise<void> {
  const dir = values.models ?? resolve(import.meta.dirname, '../../models');
  if (!existsSync(join(dir, 'manifest.json'))) {
    console.log(`\nModels: no ${join(dir, 'manifest.json')}; skipped (pass --models DIR)`);
    return;
  }
  console.log(
    `\nModel throughput (${dir}, default model per view, features precomputed, best of ${values.repeat})`,
  );
  const results = new Map<ModelView, number>();
  for (const view of ['napt', 'vpn'] as const) {
    const { features, n, runs } = await viewFeatures(input, groundTruth, view);
    const identifier = await DeviceIdentifier.open(dir, view);
    try {
      await identifier.labelRuns(features, Math.min(n, 5000), [Math.min(n, 5000)]); // warm-up
      const m = await best(`${view} ${identifier.model.id}`, async () => {
        await identifier.labelRuns(features, n, runs);
        return n;
      });
      results.set(view, rate(m));
      const model = identifier.model;
      console.log(
        `  ${m.name.padEnd(40)} ${fmt(rate(m)).padStart(10)} packets/s  (${model.kind}, window ${model.window}, ${n} packets)`,
      );
    } finally {
      await identifier.close();
    }
  }
  const vpn = results.get('vpn') ?? 0;
  console.log(
    `Target: >= 200 000 packets/s for the default VPN model (2 cores): ${fmt(vpn)}/s — ${vpn >= 200_000 ? 'met' : 'NOT met'}`,
  );
}

await main();
