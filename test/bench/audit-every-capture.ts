/**
 * `npx tsx test/bench/audit-every-capture.ts [datasets dir]`
 *
 * Runs `telltale analyze <file> --labels … --activity --findings --json …` (in-process, default
 * what-ifs) on every capture file under ../shared/datasets, one file at a time with the labels.csv
 * nearest above it, and checks each result: exit code 0, a timeline for every device with
 * packets, both observers' exposure for every device, at least one finding per device, and every
 * what-if. Prints one line per dataset and every failure. Too long for the test suite (the
 * integration test audits one capture per dataset); this is the whole-corpus check.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { main } from '../../src-main/cli/telltale.ts';
import type { HomeAudit } from '../../src-main/audit/audit-types.ts';
import type { Finding } from '../../src-main/findings/findings.ts';
import { DEFAULT_DEFENCES } from '../../src-main/views/defences.ts';

const DATASETS = resolve(process.argv[2] ?? join(import.meta.dirname, '../../../shared/datasets'));
const CAPTURE = /\.(pcap|pcapng|cap)(\.gz)?$/;

function captures(dir: string, labels: string | null, out: { file: string; labels: string | null }[]): void {
  const here = existsSync(join(dir, 'labels.csv')) ? join(dir, 'labels.csv') : labels;
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (e.isDirectory()) captures(join(dir, e.name), here, out);
    else if (CAPTURE.test(e.name)) out.push({ file: join(dir, e.name), labels: here });
  }
}

function problems(audit: HomeAudit, findings: Finding[]): string[] {
  const out: string[] = [];
  if (audit.observers.length !== 2) out.push(`${audit.observers.length} observers`);
  for (const d of audit.devices) {
    if (d.packets > 0 && d.truth.segments.length === 0) out.push(`${d.mac}: no timeline`);
    if (!findings.some((f) => f.device === d.mac)) out.push(`${d.mac}: no finding`);
    for (const o of audit.observers)
      if (!o.devices.some((r) => r.mac === d.mac)) out.push(`${d.mac}: missing from ${o.view}`);
  }
  const expected = DEFAULT_DEFENCES.length * audit.observers.length;
  if (audit.whatIfs.length !== expected) out.push(`${audit.whatIfs.length} of ${expected} what-ifs`);
  return out;
}

async function run(): Promise<number> {
  const all: { file: string; labels: string | null }[] = [];
  captures(DATASETS, null, all);
  const work = mkdtempSync(join(tmpdir(), 'telltale-audit-all-'));
  const byDataset = new Map<string, { files: number; packets: number; failed: number; seconds: number }>();
  let failures = 0;
  try {
    for (const { file, labels } of all) {
      const rel = relative(DATASETS, file);
      const parts = rel.split('/');
      const dataset = parts[0] === 'extras' ? `extras/${parts[1]}` : parts[0];
      const json = join(work, 'audit.json');
      const args = ['analyze', file, '--activity', '--findings', '--json', json, '--no-progress'];
      if (labels !== null) args.push('--labels', labels);
      let err = '';
      const t0 = Date.now();
      const code = await main(args, {
        stdout: () => undefined,
        stderr: (t) => {
          err += t;
        },
      });
      const seconds = (Date.now() - t0) / 1000;
      const stats = byDataset.get(dataset) ?? { files: 0, packets: 0, failed: 0, seconds: 0 };
      byDataset.set(dataset, stats);
      stats.files++;
      stats.seconds += seconds;
      let issues: string[];
      if (code !== 0) issues = [`exit ${code}: ${err.trim().split('\n')[0]}`];
      else {
        const doc = JSON.parse(readFileSync(json, 'utf8')) as { audit: HomeAudit; findings: Finding[] };
        stats.packets += doc.audit.packets;
        issues = problems(doc.audit, doc.findings);
      }
      if (issues.length > 0) {
        stats.failed++;
        failures++;
        console.log(`FAIL ${rel}: ${issues.join('; ')}`);
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  console.log(`\ndataset                      files   packets  failed  seconds   (${dirname(DATASETS)})`);
  for (const [name, s] of byDataset)
    console.log(
      `${name.padEnd(26)} ${String(s.files).padStart(7)} ${String(s.packets).padStart(9)} ${String(s.failed).padStart(7)} ${s.seconds.toFixed(0).padStart(8)}`,
    );
  console.log(failures === 0 ? '\nevery capture audited' : `\n${failures} capture(s) failed`);
  return failures === 0 ? 0 : 1;
}

process.exitCode = await run();
