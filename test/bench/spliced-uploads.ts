/**
 * `npx tsx test/bench/spliced-uploads.ts [--seeds N] [--first S] [--gaps 600,3000] [--config '{…}']`
 *
 * The spliced-upload test (src-main/evaluation/spliced-uploads.ts) on more schedules than the
 * evaluation runs: copies of a sleeping camera's real uploads spliced into its real MADEA traffic
 * at seeded irregular times, N seeds from S (default 1000, never the evaluation's own seeds), with
 * the gaps between insertions drawn from U(a, b) seconds. Prints, per timeline, the inserted
 * uploads found, those missed under a routine span and those missed with nothing on them, and the
 * false busy spans per run; `--config` tries other activity thresholds (e.g.
 * '{"routineLearnTolerance":0.05}' for issue 4's learning rule).
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { ActivityConfig } from '../../src-main/activity/activity-config.ts';
import { evaluateSplicedUploads } from '../../src-main/evaluation/spliced-uploads.ts';

const SHARED = resolve(import.meta.dirname, '../../../shared/datasets');
const MODELS = resolve(import.meta.dirname, '../../models');

const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '10' },
    first: { type: 'string', default: '1000' },
    gaps: { type: 'string', default: '600,3000' },
    config: { type: 'string', default: '{}' },
  },
});

function parseGaps(text: string): [number, number] {
  const [a, b] = text.split(',').map(Number);
  if (!(Number.isFinite(a) && Number.isFinite(b) && a > 0 && b >= a))
    throw new Error(`--gaps wants two numbers of seconds, smallest first (got "${text}")`);
  return [a, b];
}

async function main(): Promise<void> {
  const count = Number(values.seeds);
  const first = Number(values.first);
  if (!Number.isInteger(count) || count < 1)
    throw new Error(`--seeds wants a positive whole number (got "${values.seeds}")`);
  const seeds = Array.from({ length: count }, (_, i) => first + i);
  const gaps = parseGaps(values.gaps ?? '');
  const config = JSON.parse(values.config ?? '{}') as Partial<ActivityConfig>;
  const result = await evaluateSplicedUploads({
    datasetsDir: SHARED,
    modelsDir: MODELS,
    config,
    seeds,
    gaps,
  });
  const donors = result.cameras.filter((c) => c.donor).map((c) => c.device);
  console.log(
    `${result.files} files, ${result.coveredHours.toFixed(1)} h covered; donors: ${donors.join(', ') || 'none'}; ` +
      `${result.results.length} runs, gaps U(${gaps[0]}, ${gaps[1]}) s`,
  );
  const totals = new Map<
    string,
    { found: number; inserted: number; routine: number; unseen: number; falseSpans: number }
  >();
  for (const run of result.results)
    for (const s of run.scores) {
      const t = totals.get(s.timeline) ?? { found: 0, inserted: 0, routine: 0, unseen: 0, falseSpans: 0 };
      t.found += s.found;
      t.inserted += s.inserted;
      t.routine += s.missedAsRoutine;
      t.unseen += s.missedUnseen;
      t.falseSpans += s.falseSpans;
      totals.set(s.timeline, t);
    }
  console.log('timeline  found            missed as routine  missed, nothing there  false spans per run');
  for (const [timeline, t] of totals) {
    const share = t.inserted > 0 ? ((100 * t.found) / t.inserted).toFixed(1) : '–';
    console.log(
      `${timeline.padEnd(8)}  ${`${t.found}/${t.inserted} (${share} %)`.padEnd(16)} ${String(t.routine).padEnd(18)} ` +
        `${String(t.unseen).padEnd(22)} ${(t.falseSpans / Math.max(1, result.results.length)).toFixed(1)}`,
    );
  }
  console.log(`${result.seconds.toFixed(1)} s`);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
