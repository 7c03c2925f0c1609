/**
 * `npx tsx test/bench/what-ifs.ts [capture] [--days 7] [--error] [--no-tshark]`
 *
 * What the defence what-ifs cost on a long capture (issue 14): by default a week of one MADEA
 * device built by test/bench/long-capture.ts. Prints the first pass (devices, observers) and the
 * what-ifs apart — seconds and peak RSS, sampled every 50 ms — beside `tshark -T fields` merely
 * extracting fields from the same file, run here in the same process (ratio printed).
 *
 * `--error`: the error the what-ifs' sampling adds, measured where both can be run — all of MADEA
 * (33 h) looked at whole and sampled to two 6-h blocks (12 of its 33 hours):
 * per what-if, the mean recognised share and the busy spans seen, whole against sampled.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { AuditCollector } from '../../src-main/audit/audit-collector.ts';
import type { WhatIf } from '../../src-main/audit/audit-types.ts';
import { analyzeCaptures } from '../../src-main/audit/capture-analysis.ts';
import { openObserverModels } from '../../src-main/audit/home-audit.ts';
import { runWhatIfs } from '../../src-main/audit/what-ifs.ts';
import { GroundTruth } from '../../src-main/devices/ground-truth.ts';
import { madeaCaptures } from '../../src-main/evaluation/datasets.ts';
import { DEFAULT_DEFENCES } from '../../src-main/views/defences.ts';
import { buildLongCapture } from './long-capture.ts';

const DATASETS = resolve(import.meta.dirname, '../../../shared/datasets');
const MODELS = resolve(import.meta.dirname, '../../models');

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    days: { type: 'string', default: '7' },
    error: { type: 'boolean' },
    'no-tshark': { type: 'boolean' },
  },
});

/** Peak RSS while `run` runs (sampled every 50 ms), and its seconds. */
async function measured<T>(run: () => Promise<T>): Promise<{ value: T; seconds: number; peakMb: number }> {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 50);
  const t0 = performance.now();
  try {
    const value = await run();
    peak = Math.max(peak, process.memoryUsage().rss);
    return { value, seconds: (performance.now() - t0) / 1000, peakMb: peak / 2 ** 20 };
  } finally {
    clearInterval(timer);
  }
}

/** The first pass and the what-ifs of one audit, each measured. */
async function audit(paths: string[], labels: string, maxSampleSeconds?: number, maxRows?: number) {
  const identifiers = await openObserverModels(MODELS, ['napt', 'vpn']);
  try {
    const collector = new AuditCollector(['napt', 'vpn']);
    collector.measureInHome = false;
    const groundTruth = GroundTruth.loadSync(labels);
    const first = await measured(async () => {
      const analysis = await analyzeCaptures(paths, {
        groundTruth,
        views: collector.views,
        ...collector.hooks(),
      });
      return collector.finish(analysis, identifiers, null);
    });
    const a = first.value;
    const runs = a.observers.flatMap((o) =>
      DEFAULT_DEFENCES.map((defence) => ({ view: o.view, defence, identifier: identifiers.get(o.view)! })),
    );
    const whatIfs = await measured(() =>
      runWhatIfs({
        paths,
        runs,
        devices: a.devices,
        baseline: a.observers,
        coverage: a.coverage,
        options: { groundTruth },
        config: {},
        maxSampleSeconds,
        maxRows,
      }),
    );
    return { audit: a, first, whatIfs };
  } finally {
    for (const identifier of identifiers.values()) await identifier.close();
  }
}

function tsharkSeconds(path: string): number | null {
  if (values['no-tshark'] === true || spawnSync('tshark', ['--version']).status !== 0) return null;
  const t0 = performance.now();
  const r = spawnSync(
    'tshark',
    [
      '-r',
      path,
      '-T',
      'fields',
      '-e',
      'frame.time_epoch',
      '-e',
      'frame.len',
      '-e',
      'eth.src',
      '-e',
      'eth.dst',
      '-e',
      'ip.src',
      '-e',
      'ip.dst',
      '-e',
      'tcp.srcport',
      '-e',
      'tcp.dstport',
      '-e',
      'udp.srcport',
      '-e',
      'udp.dstport',
    ],
    { stdio: ['ignore', 'ignore', 'ignore'], maxBuffer: 1 << 30 },
  );
  return r.status === 0 ? (performance.now() - t0) / 1000 : null;
}

const share = (w: WhatIf): string => `${(100 * w.meanRecognisedShare).toFixed(1)} %`;
const spans = (w: WhatIf): string =>
  w.spansTotal === 0
    ? '-'
    : `${w.spansSeen}/${w.spansTotal} (${((100 * w.spansSeen) / w.spansTotal).toFixed(0)} %)`;

async function main(): Promise<void> {
  const { labels } = madeaCaptures(DATASETS);
  let path = positionals[0];
  if (path === undefined) {
    path = join(tmpdir(), `telltale-ring-${values.days}d.pcap`);
    if (!existsSync(path)) await buildLongCapture('Ring Doorbell', Number(values.days), path);
  }
  const r = await audit([path], labels);
  const packets = r.audit.packets;
  const hours = r.audit.coverage.reduce((a, c) => a + c.end - c.start, 0) / 3600;
  console.log(`${path}: ${packets} packets, ${hours.toFixed(1)} h covered`);
  console.log(
    `first pass (devices, observers): ${r.first.seconds.toFixed(1)} s, peak RSS ${r.first.peakMb.toFixed(0)} MB`,
  );
  const sample = r.whatIfs.value[0]?.sample;
  console.log(
    `what-ifs (${r.whatIfs.value.length}): ${r.whatIfs.seconds.toFixed(1)} s, peak RSS ${r.whatIfs.peakMb.toFixed(0)} MB` +
      (sample == null
        ? ', whole capture'
        : `, ${(sample.seconds / 3600).toFixed(0)} of ${(sample.ofSeconds / 3600).toFixed(0)} h sampled`),
  );
  for (const w of r.whatIfs.value)
    console.log(
      `  ${w.id.padEnd(16)} recognised ${share(w).padStart(7)}  busy spans seen ${spans(w).padEnd(14)} cost +${(100 * w.costShare).toFixed(0)} %, ${w.dummyPackets} dummies`,
    );
  const t = tsharkSeconds(path);
  if (t !== null)
    console.log(
      `tshark -T fields on the same file: ${t.toFixed(1)} s; what-ifs / tshark ${(r.whatIfs.seconds / t).toFixed(2)}, ` +
        `first pass + what-ifs / tshark ${((r.first.seconds + r.whatIfs.seconds) / t).toFixed(2)}`,
    );
  if (values.error === true) {
    const { captures } = madeaCaptures(DATASETS);
    const whole = await audit(captures, labels, Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY);
    const part = await audit(captures, labels, 12 * 3600, Number.POSITIVE_INFINITY);
    console.log(
      `\nSampling error on MADEA (${captures.length} files): whole ${whole.whatIfs.seconds.toFixed(1)} s, 12 h sampled ${part.whatIfs.seconds.toFixed(1)} s`,
    );
    for (const [i, w] of whole.whatIfs.value.entries()) {
      const s = part.whatIfs.value[i];
      const base = whole.audit.observers.find((o) => o.view === w.view)!;
      const u = s.sample?.undefended;
      // the defence's effect: the what-if against the observer without it, on the same stretch
      const wholeEffect = w.meanRecognisedShare - base.meanRecognisedShare;
      const sampledEffect = u === undefined ? NaN : s.meanRecognisedShare - u.meanRecognisedShare;
      const baseSpans = base.devices.reduce((a, r) => a + r.activity.spansSeen, 0);
      const wholeSpanEffect = w.spansTotal === 0 ? NaN : (w.spansSeen - baseSpans) / w.spansTotal;
      const sampledSpanEffect =
        u === undefined || s.spansTotal === 0 ? NaN : (s.spansSeen - u.spansSeen) / s.spansTotal;
      console.log(
        `  ${w.id.padEnd(16)} recognised ${share(w).padStart(7)} whole, ${share(s).padStart(7)} sampled; ` +
          `effect ${(100 * wholeEffect).toFixed(1)} points whole, ${(100 * sampledEffect).toFixed(1)} sampled; ` +
          `busy spans seen ${spans(w)} whole, ${spans(s)} sampled; effect ${(100 * wholeSpanEffect).toFixed(0)} / ${(100 * sampledSpanEffect).toFixed(0)} points`,
      );
    }
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : e);
  process.exit(1);
});
