/**
 * `npx tsx test/bench/packet-labels.ts [--day 2023-06-13] [--view napt|vpn]`: the per-packet export
 * (audit/packet-labels.ts, what Settings ▸ Export writes) on one MADEA day, beside the reference,
 * `telltale analyze --view --csv` (which keeps the observer's whole log and labels it at once), in
 * the same process: seconds, rows, and the process's peak resident memory after each (the export
 * runs first, so its peak is its own).
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { writePacketLabels } from '../../src-main/audit/packet-labels.ts';
import { GroundTruth } from '../../src-main/devices/ground-truth.ts';
import { madeaDay } from '../../src-main/evaluation/datasets.ts';
import { DeviceIdentifier } from '../../src-main/inference/device-identifier.ts';
import type { ModelView } from '../../src-main/inference/model-manifest.ts';
import { runCli } from '../integration/run-cli.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const MADEA = resolve(ROOT, '../shared/datasets/madea');

const peakMb = (): number => process.resourceUsage().maxRSS / 1024;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { day: { type: 'string', default: '2023-06-13' }, view: { type: 'string', default: 'napt' } },
  });
  const view = values.view as ModelView;
  const files = readdirSync(join(MADEA, 'monitoring'))
    .filter((f) => madeaDay(f) === values.day)
    .map((f) => join(MADEA, 'monitoring', f));
  const labels = join(MADEA, 'labels.csv');
  const work = mkdtempSync(join(tmpdir(), 'telltale-bench-packets-'));
  try {
    const identifier = await DeviceIdentifier.open(join(ROOT, 'models'), view);
    let t = performance.now();
    const file = await writePacketLabels(files, {
      view,
      identifier,
      groundTruth: GroundTruth.loadSync(labels),
      out: join(work, 'packets.csv'),
    });
    await identifier.close();
    const exportSeconds = (performance.now() - t) / 1000;
    const exportPeak = peakMb();
    t = performance.now();
    const cli = await runCli([
      'analyze',
      ...files,
      '--labels',
      labels,
      '--view',
      view,
      '--csv',
      join(work, 'cli'),
    ]);
    if (cli.code !== 0) throw new Error(cli.err);
    const cliSeconds = (performance.now() - t) / 1000;
    const cliPeak = peakMb();
    console.log(
      `${files.length} files of ${values.day}, ${view} view: ${file.rows} rows, ${(file.bytes / 1e6).toFixed(1)} MB, ${file.partStarts.length} parts`,
    );
    console.log(
      `export (streamed):          ${exportSeconds.toFixed(1)} s, peak ${exportPeak.toFixed(0)} MB`,
    );
    console.log(
      `analyze --view (reference): ${cliSeconds.toFixed(1)} s, peak ${cliPeak.toFixed(0)} MB (the process's, after both)`,
    );
    console.log(`time ratio ${(exportSeconds / cliSeconds).toFixed(2)}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
