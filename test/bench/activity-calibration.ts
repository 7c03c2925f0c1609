/**
 * `npx tsx test/bench/activity-calibration.ts [--config '{"enterFactor":6}'] [--files N]`
 *
 * How the activity thresholds (src-main/activity/activity-config.ts) were chosen: runs the truth
 * tracker over the MADEA home (LAN side, true labels; no activity labels exist for it) and prints,
 * per device, how much of its time is called busy, its busy spans and routine spans, and how
 * precisely each routine recurs. Plugs, bulbs and sensors in a home where nobody is scripted to
 * use them should be busy for a small share of the time, and a device's own timer should recur
 * to within a few seconds. The phase-labelled evaluation captures are never read here.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { ActivityConfig } from '../../src-main/activity/activity-config.ts';
import { GroundTruth } from '../../src-main/devices/ground-truth.ts';
import { runHomeAudit } from '../../src-main/audit/home-audit.ts';

const MADEA = resolve(import.meta.dirname, '../../../shared/datasets/madea');
const { values } = parseArgs({
  options: { config: { type: 'string', default: '{}' }, files: { type: 'string' } },
});

function madeaFiles(): string[] {
  const out: string[] = [];
  for (const sub of ['training', 'monitoring']) {
    const dir = join(MADEA, sub);
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir).sort())
      if (/\.(pcap|pcapng|cap)(\.gz)?$/.test(f)) out.push(join(dir, f));
  }
  return values.files === undefined ? out : out.slice(0, Number(values.files));
}

async function main(): Promise<void> {
  const config = JSON.parse(values.config ?? '{}') as Partial<ActivityConfig>;
  const files = madeaFiles();
  if (files.length === 0) throw new Error(`no MADEA captures under ${MADEA}`);
  const { audit } = await runHomeAudit(files, {
    observers: [],
    groundTruth: GroundTruth.loadSync(join(MADEA, 'labels.csv')),
    activity: config,
  });
  const covered = audit.coverage.reduce((s, c) => s + (c.end - c.start), 0);
  console.log(
    `MADEA: ${files.length} files, ${(covered / 3600).toFixed(1)} h covered; config ${JSON.stringify(config)}\n`,
  );
  console.log(
    'device                         packets  busy time  busy spans  routine spans  routine jitter p50 / max (s)',
  );
  for (const d of audit.devices) {
    if (d.trueLabel === null) continue;
    const spans = d.truth.spans;
    const busy = spans.filter((s) => !s.routine);
    const routine = spans.filter((s) => s.routine);
    const busySeconds = busy.reduce((s, x) => s + (x.binEnd - x.binStart), 0);
    // Jitter: for each routine span, distance of its start from the nearest multiple of its
    // period after the previous span of the same period.
    const jitter: number[] = [];
    const lastOf = new Map<number, number>();
    for (const s of routine) {
      const p = s.routinePeriod ?? 0;
      const prev = lastOf.get(p);
      if (prev !== undefined) {
        const k = Math.max(1, Math.round((s.start - prev) / p));
        jitter.push(Math.abs(s.start - prev - k * p));
      }
      lastOf.set(p, s.start);
    }
    jitter.sort((a, b) => a - b);
    const j =
      jitter.length === 0
        ? '-'
        : `${jitter[Math.floor(jitter.length / 2)].toFixed(1)} / ${jitter[jitter.length - 1].toFixed(1)}`;
    const periods = [...new Set(routine.map((s) => Math.round(s.routinePeriod ?? 0)))].join(', ');
    console.log(
      `${d.trueLabel.padEnd(28)} ${String(d.packets).padStart(9)} ${((100 * busySeconds) / covered).toFixed(2).padStart(9)} % ${String(busy.length).padStart(10)} ${String(routine.length).padStart(14)}  ${j}${periods === '' ? '' : `  (periods ${periods} s)`}`,
    );
  }
}

await main();
