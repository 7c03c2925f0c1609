/**
 * The device-category model (inference/device-category.ts) measured on devices it never saw, and
 * trained for shipping.
 *
 * Data: every labelled source in the datasets folder — MADEA (each capture day one home), every IoT
 * Sentinel device's setup captures (each file its own capture, as in the open-set study) and each
 * extras set (each file its own capture). Each is read through the audit's own first pass
 * (AuditCollector, NAPT and VPN views); each labelled IoT device's (and the phone's) own packets
 * in a view, tunnel messages left out, are cut into hourly chunks and summarised
 * (features/device-summary.ts). A device's category comes from labels.csv, or IoT Sentinel's table.
 *
 * Instances (what one decision is made about): a device in one MADEA day, in one IoT Sentinel setup
 * file, or in one extras set; its chunks' probabilities are pooled as the app pools them.
 *
 * Leave-one-device-out: for each kind of device (units of one model are one kind — EdimaxCam1 and
 * EdimaxCam2 — and so are devices that share a MAC, a hub and the sensor seen through it), a forest
 * trained on every other kind's chunks judges that kind's instances. Leave-one-dataset-out: a
 * forest trained on the other two datasets judges each dataset (categories only it has can then
 * only be "none").
 *
 * Threshold: the least of CATEGORY_THRESHOLDS at which, in the leave-one-device-out answers of each
 * calibration dataset, at most CALIBRATION_WRONG_RATE of the instances get a wrong category. Each
 * dataset's reported rates use a threshold chosen on the other datasets only; the shipped model's
 * on all three.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AuditCollector } from '../audit/audit-collector.ts';
import { analyzeCaptures } from '../audit/capture-analysis.ts';
import { DEFAULT_INVENTORY_LIMITS, isMdns } from '../devices/device-inventory.ts';
import { GroundTruth } from '../devices/ground-truth.ts';
import { deviceChunks, summarize, summaryColumns, summaryNames } from '../features/device-summary.ts';
import {
  categoryModelFileName,
  decideCategory,
  type CategoryModelFile,
} from '../inference/device-category.ts';
import {
  CATEGORY_MIN_PACKETS,
  categoryOfLabel,
  DEVICE_CATEGORIES,
  type DeviceCategory,
} from '../shared/device-categories.ts';
import { HistogramForest, type ForestOptions } from '../inference/histogram-forest.ts';
import type { ModelView } from '../inference/model-manifest.ts';
import type { TunnelProfileName } from '../views/tunnel-profiles.ts';
import { catalogNames } from '../inference/wide-catalog.ts';
import { madeaCaptures, madeaDay, unseenCaptureSets } from './datasets.ts';
import { runWideCatalogStudy, WideSampler, type WideCatalogEvaluation } from './wide-catalog-evaluation.ts';

/** Names per source an audit keeps of a device, most seen first (the inventory's `topN`). */
const NAMES_PER_SOURCE = DEFAULT_INVENTORY_LIMITS.topN;

/** The `n` keys seen most (ties in the order first seen, as the inventory sorts them). */
function mostSeen(counts: ReadonlyMap<string, number>, n: number): string[] {
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([name]) => name);
}

export type CategoryDataset = 'madea' | 'iot-sentinel' | 'extras';
export const CATEGORY_DATASETS: readonly CategoryDataset[] = ['madea', 'iot-sentinel', 'extras'];

/** The forest of the category model (small data: a few thousand chunks). */
export const CATEGORY_FOREST: ForestOptions = { trees: 100, maxDepth: 12, minLeaf: 2, seed: 11 };
/** Thresholds tried for the device-level decision. */
export const CATEGORY_THRESHOLDS: readonly number[] = Array.from(
  { length: 14 },
  (_, i) => Math.round(30 + 5 * i) / 100,
);
/** Most wrong-category instances a calibration dataset may have at the chosen threshold. */
export const CALIBRATION_WRONG_RATE = 0.05;
/** The target: an unseen device is "none" or its right category at least this often. */
export const CATEGORY_TARGET = 0.9;

/** One hourly chunk of one device in one view. */
export interface CategoryChunk {
  dataset: CategoryDataset;
  device: string;
  /** Leave-one-device-out unit: every unit of one model, and devices sharing a MAC. */
  kind: string;
  category: DeviceCategory;
  instance: string;
  packets: number;
}

/** Every chunk of one view, with its summary row. */
export interface CategoryData {
  view: ModelView;
  names: string[];
  chunks: CategoryChunk[];
  /** chunks × names.length, row-major. */
  x: Float32Array;
}

/** One run of the audit's first pass: files read as one capture (or each its own). */
interface CategoryRun {
  dataset: CategoryDataset;
  name: string;
  files: string[];
  labels: string;
  /** Only this labels.csv device's packets (an IoT Sentinel folder); null: every labelled device. */
  device: string | null;
  /** Each file its own capture (instances per file) or the files as one (instances per run). */
  perFile: boolean;
}

function categoryRuns(datasets: string): CategoryRun[] {
  const runs: CategoryRun[] = [];
  let madea: ReturnType<typeof madeaCaptures> | null;
  try {
    madea = madeaCaptures(datasets);
  } catch {
    madea = null; // no MADEA: the other datasets still make a study
  }
  if (madea !== null) {
    const days = new Map<string, string[]>();
    for (const f of madea.captures) {
      const day = madeaDay(f);
      if (day !== null) days.set(day, [...(days.get(day) ?? []), f]);
    }
    for (const [day, files] of [...days].sort((a, b) => (a[0] < b[0] ? -1 : 1)))
      runs.push({
        dataset: 'madea',
        name: `MADEA ${day}`,
        files,
        labels: madea.labels,
        device: null,
        perFile: false,
      });
  }
  for (const s of unseenCaptureSets(datasets))
    runs.push({
      dataset: s.dataset,
      name: s.name,
      files: s.files.map((f) => join(datasets, f)),
      labels: join(datasets, s.labels),
      device: s.device,
      perFile: true,
    });
  return runs;
}

/** A device name without its unit number (EdimaxCam2 → EdimaxCam). */
function modelOf(device: string): string {
  return device.replace(/\d+$/, '');
}

/** Reads every labelled source and summarises each device's hourly chunks, per view. */
export async function gatherCategoryData(options: {
  datasetsDir: string;
  views: readonly ModelView[];
  vpnProfile?: TunnelProfileName;
  note?: (text: string) => void;
  /** Also keeps each device's sampled NAPT rows and host names per instance, for the wider catalog. */
  wide?: WideSampler;
}): Promise<Map<ModelView, CategoryData>> {
  const rows = new Map<ModelView, { chunks: CategoryChunk[]; values: number[] }>(
    options.views.map((v) => [v, { chunks: [], values: [] }]),
  );
  const names = new Map<ModelView, string[]>();
  for (const run of categoryRuns(options.datasetsDir)) {
    const t0 = Date.now();
    const truth = GroundTruth.loadSync(run.labels);
    // the MACs whose packets count, with the device and kind each stands for
    const deviceOfMac = new Map<string, { device: string; category: DeviceCategory; kind: string }>();
    const kindOfMac = new Map<string, string>();
    for (const e of truth.entries) {
      if (e.infrastructure) continue;
      const candidates = [e.device, ...e.aliases];
      const device = run.device === null ? e.device : candidates.includes(run.device) ? run.device : null;
      if (device === null) continue;
      const category = categoryOfLabel(e.category, device);
      if (category === null) continue;
      // units of one model are one kind; so are the devices of one MAC (the first model named for it)
      const kind = kindOfMac.get(e.mac) ?? `${run.dataset}:${modelOf(e.device)}`;
      kindOfMac.set(e.mac, kind);
      deviceOfMac.set(e.mac, { device, category, kind });
    }
    if (deviceOfMac.size === 0) continue;
    const collector = new AuditCollector(options.views);
    collector.measureInHome = false;
    const hooks = collector.hooks();
    // the host names each device showed, per instance and source (DNS, TLS), with their counts
    const hostNames = new Map<string, [Map<string, number>, Map<string, number>]>();
    let segment = 0;
    const instanceOf = (device: string, seg: number): string =>
      run.perFile ? `${run.name}#${seg}/${device}` : `${run.name}/${device}`;
    await analyzeCaptures(run.files, {
      groundTruth: truth,
      views: collector.views,
      viewOptions: { profile: options.vpnProfile },
      segmentGapSeconds: run.perFile ? -1 : undefined,
      onPacket: hooks.onPacket,
      onSegmentStart: (s) => {
        segment = s;
        hooks.onSegmentStart(s);
      },
      onViewPacket: (view, vp) => {
        hooks.onViewPacket(view, vp);
        if (options.wide === undefined || view !== 'lan' || vp.inner?.srcMac == null) return;
        const who = deviceOfMac.get(vp.inner.srcMac);
        const h = vp.inner.hints;
        if (who === undefined || h === null) return;
        // as the inventory notes them (devices/device-inventory.ts): unicast DNS questions, TLS server names
        const dns = h.dns !== undefined && !h.dns.response && !isMdns(vp.inner) ? h.dns.questions : [];
        if (dns.length === 0 && h.sni === undefined) return;
        const key = instanceOf(who.device, segment);
        let counts = hostNames.get(key);
        if (counts === undefined)
          hostNames.set(key, (counts = [new Map<string, number>(), new Map<string, number>()]));
        for (const n of dns) counts[0].set(n, (counts[0].get(n) ?? 0) + 1);
        if (h.sni !== undefined) counts[1].set(h.sni, (counts[1].get(h.sni) ?? 0) + 1);
      },
    });
    for (const view of options.views) {
      const log = collector.logs.get(view)!;
      const columns = summaryColumns(log.extractor.names);
      if (!names.has(view)) names.set(view, summaryNames(log.extractor.names));
      const width = names.get(view)!.length;
      const byDevice = new Map<number, number[]>();
      for (let i = 0; i < log.rows; i++) {
        if (log.tunnel[i] === 1 || log.device[i] < 0) continue;
        const list = byDevice.get(log.device[i]);
        if (list === undefined) byDevice.set(log.device[i], [i]);
        else list.push(i);
      }
      const out = rows.get(view)!;
      const row = new Float32Array(width);
      for (const [d, list] of byDevice) {
        const who = deviceOfMac.get(log.macs[d]);
        if (who === undefined) continue;
        list.sort((a, b) => log.ts[a] - log.ts[b] || a - b);
        if (view === 'napt' && options.wide !== undefined && who.category !== 'phone/computer')
          options.wide.add(log, list, (row) => {
            const instance = instanceOf(who.device, log.segment[row]);
            const counts = hostNames.get(instance);
            return {
              dataset: run.dataset,
              device: who.device,
              unit: who.kind,
              instance,
              names:
                counts === undefined
                  ? []
                  : catalogNames(counts.flatMap((c) => mostSeen(c, NAMES_PER_SOURCE))),
            };
          });
        for (const chunk of deviceChunks(list, log.ts, log.segment)) {
          summarize(log, chunk, columns, row, 0);
          out.values.push(...row);
          out.chunks.push({
            dataset: run.dataset,
            device: who.device,
            kind: who.kind,
            category: who.category,
            instance: run.perFile
              ? `${run.name}#${log.segment[chunk[0]]}/${who.device}`
              : `${run.name}/${who.device}`,
            packets: chunk.length,
          });
        }
      }
    }
    options.note?.(`  ${run.name}: ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  }
  const out = new Map<ModelView, CategoryData>();
  for (const view of options.views) {
    const r = rows.get(view)!;
    out.set(view, { view, names: names.get(view) ?? [], chunks: r.chunks, x: Float32Array.from(r.values) });
  }
  return out;
}

function subset(data: CategoryData, keep: readonly number[]): { x: Float32Array; y: Int32Array } {
  const w = data.names.length;
  const x = new Float32Array(keep.length * w);
  const y = new Int32Array(keep.length);
  keep.forEach((c, i) => {
    x.set(data.x.subarray(c * w, (c + 1) * w), i * w);
    y[i] = DEVICE_CATEGORIES.indexOf(data.chunks[c].category);
  });
  return { x, y };
}

/** Trains the category forest on the given chunks. */
export function trainCategoryForest(data: CategoryData, keep: readonly number[]): HistogramForest {
  const { x, y } = subset(data, keep);
  return HistogramForest.train(
    x,
    keep.length,
    data.names.length,
    y,
    DEVICE_CATEGORIES.length,
    CATEGORY_FOREST,
  );
}

/** Per chunk, the probabilities of a forest that never saw it (chunks × categories). */
function heldOutProbabilities(data: CategoryData, unitOf: (c: CategoryChunk) => string): Float32Array {
  const k = DEVICE_CATEGORIES.length;
  const probs = new Float32Array(data.chunks.length * k);
  const units = [...new Set(data.chunks.map(unitOf))];
  for (const unit of units) {
    const test: number[] = [];
    const train: number[] = [];
    data.chunks.forEach((c, i) => {
      (unitOf(c) === unit ? test : train).push(i);
    });
    if (train.length === 0) continue;
    const forest = trainCategoryForest(data, train);
    const p = forest.predictProba(subset(data, test).x, test.length);
    test.forEach((c, i) => {
      probs.set(p.subarray(i * k, (i + 1) * k), c * k);
    });
  }
  return probs;
}

/** One instance's pooled chunks (`packets`: all of them). */
export interface CategoryInstance extends CategoryChunk {
  chunks: number;
  top: DeviceCategory;
  probability: number;
}

function instancesOf(data: CategoryData, probs: Float32Array): CategoryInstance[] {
  const k = DEVICE_CATEGORIES.length;
  const groups = new Map<string, number[]>();
  data.chunks.forEach((c, i) => {
    groups.set(c.instance, [...(groups.get(c.instance) ?? []), i]);
  });
  const out: CategoryInstance[] = [];
  for (const list of groups.values()) {
    const first = data.chunks[list[0]];
    const p = new Float32Array(list.length * k);
    list.forEach((c, i) => {
      p.set(probs.subarray(c * k, (c + 1) * k), i * k);
    });
    const packets = list.reduce((a, c) => a + data.chunks[c].packets, 0);
    if (packets < CATEGORY_MIN_PACKETS) continue;
    const d = decideCategory(p, list.length, packets, 0);
    out.push({
      dataset: first.dataset,
      device: first.device,
      kind: first.kind,
      category: first.category,
      instance: first.instance,
      packets,
      chunks: list.length,
      top: d.top!,
      probability: d.probability,
    });
  }
  return out;
}

/** Outcome counts of instances at one threshold. */
export interface CategoryRates {
  instances: number;
  devices: number;
  right: number;
  none: number;
  wrong: number;
  /** (right + none) / instances: the target share. */
  success: number;
  /** right / instances. */
  named: number;
  wrongRate: number;
}

export function categoryRates(instances: readonly CategoryInstance[], threshold: number): CategoryRates {
  let right = 0;
  let none = 0;
  let wrong = 0;
  for (const i of instances) {
    if (i.probability < threshold) none++;
    else if (i.top === i.category) right++;
    else wrong++;
  }
  const n = instances.length;
  return {
    instances: n,
    devices: new Set(instances.map((i) => i.device)).size,
    right,
    none,
    wrong,
    success: n === 0 ? 0 : (right + none) / n,
    named: n === 0 ? 0 : right / n,
    wrongRate: n === 0 ? 0 : wrong / n,
  };
}

/** The least threshold at which every dataset of `instances` has at most CALIBRATION_WRONG_RATE wrong. */
export function chooseThreshold(instances: readonly CategoryInstance[]): number {
  const sets = [...new Set(instances.map((i) => i.dataset))];
  for (const t of CATEGORY_THRESHOLDS) {
    if (
      sets.every(
        (d) =>
          categoryRates(
            instances.filter((i) => i.dataset === d),
            t,
          ).wrongRate <= CALIBRATION_WRONG_RATE,
      )
    )
      return t;
  }
  return 1;
}

/** One dataset's rates, the threshold chosen on the others. */
export interface DatasetCategoryResult {
  dataset: CategoryDataset;
  threshold: number;
  rates: CategoryRates;
}

export interface ViewCategoryEvaluation {
  view: ModelView;
  chunks: number;
  /** Chunks per dataset. */
  chunksPerDataset: Record<CategoryDataset, number>;
  leaveOneDeviceOut: DatasetCategoryResult[];
  leaveOneDatasetOut: DatasetCategoryResult[];
  /** The shipped threshold (chosen on every dataset's leave-one-device-out answers). */
  threshold: number;
  /** Leave-one-device-out at the shipped threshold, by true category: counts of each answer ("none" included). */
  confusion: { category: DeviceCategory; answers: Partial<Record<DeviceCategory | 'none', number>> }[];
  /** Leave-one-device-out instances (for the per-device table). */
  instances: CategoryInstance[];
}

/** Leave-one-device-out and leave-one-dataset-out for one view's data. */
export function evaluateCategories(data: CategoryData): ViewCategoryEvaluation {
  const lodo = instancesOf(
    data,
    heldOutProbabilities(data, (c) => c.kind),
  );
  const lodso = instancesOf(
    data,
    heldOutProbabilities(data, (c) => c.dataset),
  );
  const present = CATEGORY_DATASETS.filter((d) => lodo.some((i) => i.dataset === d));
  const perDataset = (instances: readonly CategoryInstance[]): DatasetCategoryResult[] =>
    present.map((d) => {
      const threshold = chooseThreshold(lodo.filter((i) => i.dataset !== d));
      return {
        dataset: d,
        threshold,
        rates: categoryRates(
          instances.filter((i) => i.dataset === d),
          threshold,
        ),
      };
    });
  const threshold = chooseThreshold(lodo);
  const confusion = DEVICE_CATEGORIES.flatMap((category) => {
    const mine = lodo.filter((i) => i.category === category);
    if (mine.length === 0) return [];
    const answers: Partial<Record<DeviceCategory | 'none', number>> = {};
    for (const i of mine) {
      const a = i.probability >= threshold ? i.top : 'none';
      answers[a] = (answers[a] ?? 0) + 1;
    }
    return [{ category, answers }];
  });
  const chunksPerDataset = { madea: 0, 'iot-sentinel': 0, extras: 0 };
  for (const c of data.chunks) chunksPerDataset[c.dataset]++;
  return {
    view: data.view,
    chunks: data.chunks.length,
    chunksPerDataset,
    leaveOneDeviceOut: perDataset(lodo),
    leaveOneDatasetOut: perDataset(lodso),
    threshold,
    confusion,
    instances: lodo,
  };
}

/** The shipped model file of one view: trained on every chunk, with the threshold the evaluation chose. */
export function categoryModelFile(data: CategoryData, evaluation: ViewCategoryEvaluation): CategoryModelFile {
  const forest = trainCategoryForest(
    data,
    data.chunks.map((_, i) => i),
  );
  const devices = new Set(data.chunks.map((c) => `${c.dataset}/${c.device}`)).size;
  return {
    formatVersion: 1,
    view: data.view,
    features: data.names,
    categories: [...DEVICE_CATEGORIES],
    threshold: evaluation.threshold,
    trainedOn:
      `${data.chunks.length} hourly chunks of ${devices} devices (MADEA ${evaluation.chunksPerDataset.madea}, ` +
      `IoT Sentinel ${evaluation.chunksPerDataset['iot-sentinel']}, extras ${evaluation.chunksPerDataset.extras}); ` +
      `threshold: the least at which each dataset's leave-one-device-out answers are wrong for at most ` +
      `${Math.round(100 * CALIBRATION_WRONG_RATE)} % of its instances`,
    heldOut: CATEGORY_DATASETS.flatMap((dataset) => {
      const r = categoryRates(
        evaluation.instances.filter((i) => i.dataset === dataset),
        evaluation.threshold,
      );
      return r.instances === 0
        ? []
        : [
            {
              dataset,
              instances: r.instances,
              devices: r.devices,
              right: r.right,
              none: r.none,
              wrong: r.wrong,
            },
          ];
    }),
    forest: forest.toJSON(),
  };
}

export interface CategoryStudy {
  views: ViewCategoryEvaluation[];
  /** The wider catalog's study, from the same reading (null when not asked for or without NAPT). */
  wide: WideCatalogEvaluation | null;
  /** Model files written (absolute paths). */
  written: string[];
  seconds: number;
}

/**
 * Gathers the data once, measures each view and writes each view's shipped model into
 * `modelsDir` (deterministic: the same datasets give the same bytes).
 */
export async function runCategoryStudy(options: {
  datasetsDir: string;
  modelsDir: string;
  views: readonly ModelView[];
  vpnProfile?: TunnelProfileName;
  note?: (text: string) => void;
  /** Also trains and measures the wider catalog, with the classes the bundled NAPT model merges. */
  wideMerged?: Readonly<Record<string, readonly string[]>>;
}): Promise<CategoryStudy> {
  const t0 = Date.now();
  const sampler =
    options.wideMerged !== undefined && options.views.includes('napt') ? new WideSampler() : undefined;
  const data = await gatherCategoryData({ ...options, wide: sampler });
  const views: ViewCategoryEvaluation[] = [];
  const written: string[] = [];
  for (const view of options.views) {
    const d = data.get(view)!;
    if (d.chunks.length === 0) continue;
    const evaluation = evaluateCategories(d);
    views.push(evaluation);
    const path = join(options.modelsDir, categoryModelFileName(view));
    writeFileSync(path, `${JSON.stringify(categoryModelFile(d, evaluation))}\n`);
    written.push(path);
  }
  const wide =
    sampler === undefined ? null : runWideCatalogStudy(sampler, options.wideMerged!, options.modelsDir);
  if (wide !== null) written.push(wide.written);
  return { views, wide, written, seconds: (Date.now() - t0) / 1000 };
}
