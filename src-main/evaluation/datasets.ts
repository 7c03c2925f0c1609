/**
 * Every dataset the evaluation reads, in one place (paths relative to the datasets folder,
 * `../shared/datasets` beside the repository unless `--datasets DIR` says otherwise; its
 * README describes each): the MADEA home for the models' validation split, and the
 * phase-labelled captures of datasets/extras for the activity timelines.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ACTION_SECONDS,
  parseNkuPhases,
  parseSsiPlugReadme,
  ssiPlugPhases,
  type PhaseWindow,
} from './activity-evaluation.ts';

/** A dataset the evaluation needs is missing or empty: the message names it. */
export class EvaluationInputError extends Error {
  override name = 'EvaluationInputError';
}

/** The MADEA captures, in a stable order (folder, then file name). */
export function madeaCaptures(datasetsDir: string): { captures: string[]; labels: string } {
  const madea = join(datasetsDir, 'madea');
  const labels = join(madea, 'labels.csv');
  if (!existsSync(labels)) throw new EvaluationInputError(`${labels}: not found (is --datasets right?)`);
  const captures: string[] = [];
  for (const entry of readdirSync(madea, { withFileTypes: true }).sort((a, b) =>
    a.name < b.name ? -1 : 1,
  )) {
    if (!entry.isDirectory()) continue;
    const dir = join(madea, entry.name);
    for (const f of readdirSync(dir).sort()) if (f.endsWith('.gz')) captures.push(join(dir, f));
  }
  if (captures.length === 0) throw new EvaluationInputError(`${madea}: no *.gz captures`);
  return { captures, labels };
}

/** Whether the phase-labelled captures of the activity evaluation are there. */
export function haveActivityDatasets(datasetsDir: string): boolean {
  return (
    existsSync(join(datasetsDir, 'extras/nku-lifecycle')) &&
    existsSync(join(datasetsDir, 'extras/ssi-tuya-plug'))
  );
}

/** One phase-labelled capture set and its device. */
export interface ActivityEvaluationCase {
  name: string;
  device: string;
  /** Paths relative to the datasets folder. */
  files: string[];
  labels: string;
  /** Phase windows, given the first packet time of each file (same order as `files`). */
  phases: (datasets: string, fileStarts: readonly number[]) => PhaseWindow[];
  /** For logs of single time stamps: the phases with each action's window `actionSeconds` long. */
  phasesWithWindow?: (
    datasets: string,
    fileStarts: readonly number[],
    actionSeconds: number,
  ) => PhaseWindow[];
}

function capturesIn(datasets: string, dir: string): string[] {
  return readdirSync(join(datasets, dir))
    .filter((f) => /\.(pcap|pcapng|cap)(\.gz)?$/.test(f))
    .sort()
    .map((f) => join(dir, f));
}

/** The three evaluation sets: NKU plug (full 68-min capture), NKU camera (phase files), SSI plug. */
export function activityEvaluationCases(datasets: string): ActivityEvaluationCase[] {
  const ssiPhases = (d: string, starts: readonly number[], actionSeconds: number): PhaseWindow[] =>
    ssiPlugPhases(
      parseSsiPlugReadme(readFileSync(join(d, 'extras/ssi-tuya-plug/README.md'), 'utf8')),
      starts[0],
      starts[1],
      actionSeconds,
    );
  return [
    {
      name: 'nku-plug',
      device: 'Baidu Xiaodu Plug',
      files: ['extras/nku-lifecycle/xiaodu_plug/xiaodu_plug.pcap.gz'],
      labels: 'extras/nku-lifecycle/labels.csv',
      phases: (d) =>
        parseNkuPhases(
          readFileSync(join(d, 'extras/nku-lifecycle/xiaodu_plug/xiaodu_plug.txt'), 'utf8'),
          'xiaodu_plug.txt',
        ),
    },
    {
      name: 'nku-camera',
      device: 'Xiaobai Y2 Camera',
      files: capturesIn(datasets, 'extras/nku-lifecycle/xiaobai_Y2camera_lifecycle'),
      labels: 'extras/nku-lifecycle/labels.csv',
      phases: (d) =>
        parseNkuPhases(
          readFileSync(join(d, 'extras/nku-lifecycle/xiaobai_Y2camera/xiaobai_Y2camera.txt'), 'utf8'),
          'xiaobai_Y2camera.txt',
        ),
    },
    {
      name: 'ssi-plug',
      device: 'Tuya Smart Power Plug',
      files: [
        'extras/ssi-tuya-plug/2-smartPowerPlugPassiveMeasurements.pcap.gz',
        'extras/ssi-tuya-plug/2-smartPowerPlugActiveMeasurements.pcap.gz',
      ],
      labels: 'extras/ssi-tuya-plug/labels.csv',
      phases: (d, starts) => ssiPhases(d, starts, ACTION_SECONDS),
      phasesWithWindow: ssiPhases,
    },
  ];
}
