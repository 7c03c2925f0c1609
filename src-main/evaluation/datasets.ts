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

/** Whether a dataset folder is there (relative to the datasets folder). */
export function haveDataset(datasets: string, dir: string): boolean {
  return existsSync(join(datasets, dir));
}

/** Capture files anywhere under `dir` (relative paths, sorted; sub-folders one level deep). */
function capturesUnder(datasets: string, dir: string): string[] {
  const out = capturesIn(datasets, dir);
  for (const entry of readdirSync(join(datasets, dir), { withFileTypes: true }))
    if (entry.isDirectory()) out.push(...capturesIn(datasets, join(dir, entry.name)));
  return out.sort();
}

/**
 * Captures of devices no model saw (the catalog's device-level test, open-set-evaluation.ts),
 * read as one batch per folder; every file is an instance of its own (its own capture segment).
 */
export interface UnseenCaptureSet {
  dataset: 'iot-sentinel' | 'extras';
  /** The folder, for the logs. */
  name: string;
  /** Paths relative to the datasets folder. */
  files: string[];
  labels: string;
  /**
   * The labels.csv device whose packets make the instances (IoT Sentinel: the folder's device,
   * whatever else the setup capture holds); null: every IoT row of labels.csv.
   */
  device: string | null;
}

/** Names of the devices of a labels.csv, aliases (devices sharing a MAC) included, in file order. */
function labelledDevices(datasets: string, labels: string): Set<string> {
  const text = readFileSync(join(datasets, labels), 'utf8');
  const names = new Set<string>();
  for (const line of text.split(/\r?\n/).slice(1)) {
    const name = line.split(',')[1]?.trim();
    if (name !== undefined && name !== '') names.add(name);
  }
  return names;
}

/**
 * IoT Sentinel: one set per device folder (its setup captures); extras: the MUD devices' three
 * captures, the SSI plug's two and the NKU plug's full capture with the camera's phase files (the
 * plug's phase files are cuts of its full capture and are left out). Absent folders give none.
 */
export function unseenCaptureSets(datasets: string): UnseenCaptureSet[] {
  const out: UnseenCaptureSet[] = [];
  if (haveDataset(datasets, 'iot-sentinel/labels.csv')) {
    const devices = labelledDevices(datasets, 'iot-sentinel/labels.csv');
    for (const entry of readdirSync(join(datasets, 'iot-sentinel'), { withFileTypes: true }).sort((a, b) =>
      a.name < b.name ? -1 : 1,
    )) {
      if (!entry.isDirectory() || !devices.has(entry.name)) continue;
      const files = capturesIn(datasets, join('iot-sentinel', entry.name));
      if (files.length > 0)
        out.push({
          dataset: 'iot-sentinel',
          name: `iot-sentinel/${entry.name}`,
          files,
          labels: 'iot-sentinel/labels.csv',
          device: entry.name,
        });
    }
  }
  const extras: [string, () => string[]][] = [
    ['mud-devices', () => capturesUnder(datasets, 'extras/mud-devices')],
    ['ssi-tuya-plug', () => capturesIn(datasets, 'extras/ssi-tuya-plug')],
    [
      'nku-lifecycle',
      () => [
        'extras/nku-lifecycle/xiaodu_plug/xiaodu_plug.pcap.gz',
        ...capturesIn(datasets, 'extras/nku-lifecycle/xiaobai_Y2camera_lifecycle'),
      ],
    ],
  ];
  for (const [name, files] of extras) {
    if (!haveDataset(datasets, `extras/${name}/labels.csv`)) continue;
    out.push({
      dataset: 'extras',
      name: `extras/${name}`,
      files: files(),
      labels: `extras/${name}/labels.csv`,
      device: null,
    });
  }
  return out;
}

/** One home the in-home observer is measured on (in-home-evaluation.ts): its files read as one capture. */
export interface InHomeCase {
  dataset: 'madea' | 'iot-sentinel' | 'extras';
  name: string;
  /** Paths relative to the datasets folder. */
  files: string[];
  labels: string;
}

/** The date of a MADEA monitoring file name (`monitoring_2023-6-13_19_14_35.cap.gz` → 2023-06-13). */
export function madeaDay(file: string): string | null {
  const m = /_(\d{4})-(\d{1,2})-(\d{1,2})_/.exec(file);
  return m === null ? null : `${m[1]}-${m[2].padStart(2, '0')}-${m[3].padStart(2, '0')}`;
}

/**
 * The homes of the in-home observer: each MADEA monitoring day, the IoT Sentinel devices' setup
 * captures merged into one home, and each extras set as one home (the NKU plug's full capture with
 * the camera's phase files). Absent datasets give none.
 */
export function inHomeCases(datasets: string): InHomeCase[] {
  const out: InHomeCase[] = [];
  if (haveDataset(datasets, 'madea/monitoring')) {
    const days = new Map<string, string[]>();
    for (const f of capturesIn(datasets, 'madea/monitoring')) {
      const day = madeaDay(f);
      if (day !== null) days.set(day, [...(days.get(day) ?? []), f]);
    }
    for (const [day, files] of [...days].sort((a, b) => (a[0] < b[0] ? -1 : 1)))
      out.push({ dataset: 'madea', name: `MADEA ${day}`, files, labels: 'madea/labels.csv' });
  }
  const unseen = unseenCaptureSets(datasets);
  const sentinel = unseen.filter((s) => s.dataset === 'iot-sentinel');
  if (sentinel.length > 0)
    out.push({
      dataset: 'iot-sentinel',
      name: 'IoT Sentinel (all setups)',
      files: sentinel.flatMap((s) => s.files),
      labels: 'iot-sentinel/labels.csv',
    });
  for (const s of unseen.filter((x) => x.dataset === 'extras'))
    out.push({ dataset: 'extras', name: s.name, files: s.files, labels: s.labels });
  return out;
}
