/**
 * `telltale batch <capture or folder...> [--per capture|folder] [--labels labels.csv] [--jobs N]
 * [--jsonl FILE] [--csv FILE] [--shard K/N] [--models DIR] [--vpn-profile NAME]`: the audit of
 * many captures on worker threads, one result per capture (or per folder: a folder's captures are
 * one home), a progress line, a summary table, and results as JSON lines and CSV written as each
 * finishes. `--shard K/N` audits every N-th job from the K-th (jobs in sorted order), so a corpus
 * split across machines by any scheduler gives results that concatenate (`cat`, and the CSV with
 * its header once: `tail -n +2`).
 */
import { appendFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { batchCsvHeader, batchCsvRows, type BatchResult } from '../audit/batch-summary.ts';
import { runBatch, type BatchJob } from '../engine/batch-runner.ts';
import type { TunnelProfileName } from '../views/tunnel-profiles.ts';
import { type CliIo, ExitCode, UsageError } from './cli-io.ts';
import { formatTable } from './format-table.ts';
import { ProgressBar } from './progress-bar.ts';

export interface BatchArgs {
  inputs: string[];
  per: 'capture' | 'folder';
  labels: string | null;
  jobs: number;
  jsonl: string | null;
  csv: string | null;
  shard: { index: number; count: number } | null;
  modelsDir: string;
  vpnProfile: TunnelProfileName | undefined;
}

/** Capture files by name: pcap, pcapng or cap, plain or gzip. */
const CAPTURE_NAME = /\.(pcap|pcapng|cap)(\.gz)?$/i;

/** Every capture file under `path` (a file is itself), sorted. */
function capturesUnder(path: string): string[] {
  const info = statSync(path, { throwIfNoEntry: false });
  if (info === undefined) throw new UsageError(`${path}: no such file or folder`);
  if (info.isFile()) return [path];
  if (!info.isDirectory()) throw new UsageError(`${path}: not a file or folder`);
  const out: string[] = [];
  for (const entry of readdirSync(path, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const full = join(path, entry.name);
    if (entry.isDirectory()) out.push(...capturesUnder(full));
    else if (entry.isFile() && CAPTURE_NAME.test(entry.name)) out.push(full);
  }
  return out;
}

/** `K/N` with 1 ≤ K ≤ N. */
export function parseShard(text: string): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = m === null ? NaN : Number(m[1]);
  const count = m === null ? NaN : Number(m[2]);
  if (!(count >= 1 && index >= 1 && index <= count))
    throw new UsageError(
      `--shard: "${text}" is not K/N with 1 ≤ K ≤ N (e.g. 2/8: the second of eight shares)`,
    );
  return { index, count };
}

/** The jobs: one per capture, or one per folder holding captures; in sorted order, then the shard's share. */
export function batchJobs(
  args: Pick<BatchArgs, 'inputs' | 'per' | 'labels' | 'shard' | 'modelsDir' | 'vpnProfile'>,
): BatchJob[] {
  const files = [...new Set(args.inputs.flatMap((p) => capturesUnder(resolve(p))))].sort();
  if (files.length === 0)
    throw new UsageError('no capture files (.pcap, .pcapng, .cap, optionally .gz) in the inputs');
  const groups = new Map<string, string[]>();
  for (const f of files) {
    const key = args.per === 'folder' ? dirname(f) : f;
    groups.set(key, [...(groups.get(key) ?? []), f]);
  }
  const base = process.cwd();
  const all = [...groups].map(([key, members], id) => ({
    id,
    name: relative(base, key) || basename(key),
    files: members,
    labels: args.labels,
    modelsDir: args.modelsDir,
    vpnProfile: args.vpnProfile,
  }));
  const shard = args.shard;
  return shard === null ? all : all.filter((_, i) => i % shard.count === shard.index - 1);
}

function percent(x: number | null): string {
  return x === null ? '-' : `${Math.round(x * 100)} %`;
}

function hours(r: BatchResult): string {
  return r.start === null || r.end === null ? '-' : ((r.end - r.start) / 3600).toFixed(1);
}

export function batchTable(results: readonly BatchResult[]): string {
  const view = (r: BatchResult, v: string) => r.observers.find((o) => o.view === v);
  return formatTable(
    [
      { header: 'capture', max: 40 },
      { header: 'packets', align: 'right' },
      { header: 'hours', align: 'right' },
      { header: 'devices', align: 'right' },
      { header: 'ISP: catalog recognises', align: 'right' },
      { header: 'ISP: in-home', align: 'right' },
      { header: 'ISP: busy seen', align: 'right' },
      { header: 'VPN: catalog recognises', align: 'right' },
      { header: 'VPN: in-home', align: 'right' },
      { header: 'seconds', align: 'right' },
      { header: 'problem', max: 50 },
    ],
    results.map((r) => {
      const isp = view(r, 'napt');
      const vpn = view(r, 'vpn');
      return [
        // the end of a long path names the capture
        r.name.length > 40 ? `…${r.name.slice(-39)}` : r.name,
        String(r.packets),
        hours(r),
        String(r.devices.length),
        isp === undefined ? '-' : `${isp.recognised} / ${isp.seen}`,
        percent(isp?.inHomeMean ?? null),
        isp === undefined ? '-' : `${isp.spansSeen} / ${isp.spansTotal}`,
        vpn === undefined ? '-' : `${vpn.recognised} / ${vpn.seen}`,
        percent(vpn?.inHomeMean ?? null),
        r.seconds.toFixed(1),
        r.error ?? (r.problems.length === 0 ? '' : `${r.problems.length} read problem(s)`),
      ];
    }),
  );
}

const VIEWS = ['napt', 'vpn'];

export async function runBatchCommand(args: BatchArgs, io: CliIo): Promise<number> {
  const jobs = batchJobs(args);
  if (args.jsonl !== null) writeFileSync(args.jsonl, '');
  if (args.csv !== null) writeFileSync(args.csv, `${batchCsvHeader(VIEWS).join(',')}\n`);
  io.stderr(
    `telltale batch: ${jobs.length} ${args.per === 'folder' ? 'home(s)' : 'capture(s)'}${args.shard === null ? '' : ` (share ${args.shard.index} of ${args.shard.count})`} on ${Math.min(args.jobs, jobs.length)} worker thread(s)\n`,
  );
  const bar = io.progress === undefined ? null : new ProgressBar(io.progress);
  const results = await runBatch(jobs, {
    workers: args.jobs,
    onProgress: (p) => {
      const partial = p.running.reduce((a, r) => a + (r.fraction ?? 0), 0);
      bar?.update({
        label: `${p.done}/${p.total} done${p.running.length === 0 ? '' : `, ${p.running.map((r) => basename(r.name)).join(', ')}`}`,
        fraction: (p.done + partial) / Math.max(1, p.total),
        packets: p.running.reduce((a, r) => a + r.packets, 0),
      });
    },
    onResult: (result) => {
      if (args.jsonl !== null) appendFileSync(args.jsonl, `${JSON.stringify(result)}\n`);
      if (args.csv !== null) {
        const rows = batchCsvRows(result, VIEWS);
        if (rows.length > 0) appendFileSync(args.csv, `${rows.join('\n')}\n`);
      }
    },
  });
  bar?.done();
  io.stdout(`${batchTable(results)}\n`);
  const failed = results.filter((r) => r.error !== null);
  const packets = results.reduce((a, r) => a + r.packets, 0);
  const seconds = results.reduce((a, r) => a + r.seconds, 0);
  io.stdout(
    `\n${results.length - failed.length} of ${results.length} audited, ${packets} packets, ${seconds.toFixed(1)} s of audits` +
      `${args.jsonl === null ? '' : `; JSON lines: ${args.jsonl}`}${args.csv === null ? '' : `; CSV: ${args.csv}`}\n`,
  );
  if (failed.length > 0) {
    io.stderr(`telltale batch: ${failed.length} could not be audited:\n`);
    for (const r of failed) io.stderr(`  ${r.name}: ${r.error}\n`);
  }
  return failed.length === results.length ? ExitCode.UNREADABLE : ExitCode.OK;
}
