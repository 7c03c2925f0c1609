/**
 * The catalog's device-level test (audit/exposure.ts `catalogEvidence`) measured where it matters:
 * on devices the models never saw, and on the MADEA devices they know.
 *
 * Unseen: every IoT Sentinel setup capture and every extras capture is one instance per IoT device
 * in it (labels.csv; rows whose category starts with NON-IOT are never instances). The captures are
 * read a folder at a time through the audit's own first pass (AuditCollector, every file its own
 * capture segment, so each is as if audited alone), each observer's log is labelled by its default
 * model exactly as the audit labels it, and the packets of each (file, device) are put to
 * `identityOf`, the audit's device-level answer. An instance the test calls recognised is named as
 * a specific device it is not: the failure to count.
 *
 * Known: the MADEA validation split the evaluation already builds (model-evaluation.ts), the view's
 * default model run over it with the runtime's windowing, stitching and flow pooling, and the
 * device instances made as the open-set study made them: the validation blocks of the home are
 * numbered in time order (k = 0, 1, ...), half = k % 2, and per device and half consecutive blocks
 * are grouped until a group holds KNOWN_GROUP_PACKETS packets (a short tail joins the last group).
 * A known instance counts when the test recognises it as its own class.
 *
 * Skipped (and counted): devices with fewer than CATALOG_MIN_PACKETS packets in a view (the test
 * never recognises them), a device the inventory takes for the gateway, and known devices no model
 * class stands for. The baseline is the audit's answer without the test: the model's most frequent
 * answer (unknown rule applied) whenever it has at least BASELINE_MIN_SHARE of the packets.
 */
import { join } from 'node:path';
import { AuditCollector } from '../audit/audit-collector.ts';
import { analyzeCaptures } from '../audit/capture-analysis.ts';
import { auditedDevices, CATALOG_MIN_PACKETS, identityOf, type DeviceAnswers } from '../audit/exposure.ts';
import type { ViewLog } from '../audit/view-log.ts';
import { GroundTruth } from '../devices/ground-truth.ts';
import { DeviceIdentifier } from '../inference/device-identifier.ts';
import { classOfDevice, sizeKey, type ModelView } from '../inference/model-manifest.ts';
import { UNKNOWN_LABEL, type PacketLabels } from '../inference/window-stitching.ts';
import type { TunnelProfileName } from '../views/tunnel-profiles.ts';
import { unseenCaptureSets, type UnseenCaptureSet } from './datasets.ts';
import type { ViewValidation } from './model-evaluation.ts';
import { readNpy } from './validation-split.ts';

/** Per device and half, validation blocks are grouped until a group holds this many packets (as the study did). */
export const KNOWN_GROUP_PACKETS = 200;
/** The audit's answer without the test names the top answer when it has at least this share. */
export const BASELINE_MIN_SHARE = 0.5;

/** The targets the measured rates are read against. */
export const OPEN_SET_TARGETS = {
  /** Share of unseen device instances the test must call "not recognised". */
  unseenNotRecognised: 0.9,
  /** Most share of unseen device instances it may name as a specific (other) device. */
  unseenNamed: 0.05,
  /** Macro recall the default models keep on the MADEA validation split (the per-packet tables). */
  knownMacroRecall: { napt: 0.95, vpn: 0.8 } as Readonly<Record<ModelView, number>>,
} as const;

export type OpenSetDataset = 'iot-sentinel' | 'extras' | 'madea';

/** One device instance put to the test in one observer's view. */
export interface OpenSetInstance {
  dataset: OpenSetDataset;
  view: ModelView;
  device: string;
  /** The capture file (relative to the datasets folder) of an unseen instance; null for known groups. */
  file: string | null;
  /** Known groups: the half (0 or 1) and the group's number within the device's half. */
  half: number | null;
  group: number | null;
  packets: number;
  /** The device's class in the model (known devices); null for unseen ones. */
  trueClass: string | null;
  /** The test's answer: the class it names, or null (not recognised). */
  named: string | null;
  /** The answer without the test (the top answer with at least BASELINE_MIN_SHARE), or null. */
  baselineNamed: string | null;
  topModelClass: string | null;
  topModelShare: number;
  profileCoverage: number | null;
  /**
   * Unseen instances: the class named is a firmware platform's (manifest `labelPlatforms`) and the
   * device's MAC block is that platform's — named as what it is built on, not as another product.
   */
  namedOwnPlatform: boolean;
}

export type OpenSetSkipReason = 'few-packets' | 'gateway' | 'no-class';

export interface OpenSetSkip {
  dataset: OpenSetDataset;
  view: ModelView;
  device: string;
  file: string | null;
  /** Known groups: the half of the group; null for unseen instances. */
  half: number | null;
  reason: OpenSetSkipReason;
  packets: number;
}

export interface OpenSetEvaluation {
  /** The default model of each view. */
  models: Partial<Record<ModelView, string>>;
  instances: OpenSetInstance[];
  skipped: OpenSetSkip[];
  /** Which datasets were there to read. */
  datasets: OpenSetDataset[];
  seconds: number;
}

/** The rates of unseen instances of one dataset in one view. */
export interface UnseenRates {
  instances: number;
  skipped: number;
  /** Of the skipped, those with no packet in the view at all. */
  skippedNone: number;
  devices: number;
  notRecognised: number;
  /** Named as the firmware platform the device is built on (`namedOwnPlatform`): right, at platform level. */
  namedPlatform: number;
  /** Named as a class the device is not: another product (or a platform it is not built on). */
  named: number;
  /** Mean over devices of the share of their instances named (each device weighs the same). */
  namedDeviceWeighted: number;
  baselineNamed: number;
  /** device → class → instances named so, with the test: as classes it is not, and as its own platform's. */
  namedAs: Map<string, Map<string, number>>;
  namedAsPlatform: Map<string, Map<string, number>>;
}

export function unseenRates(
  e: Pick<OpenSetEvaluation, 'instances' | 'skipped'>,
  dataset: OpenSetDataset,
  view: ModelView,
): UnseenRates {
  const mine = e.instances.filter((o) => o.dataset === dataset && o.view === view);
  const byDevice = new Map<string, OpenSetInstance[]>();
  for (const o of mine) byDevice.set(o.device, [...(byDevice.get(o.device) ?? []), o]);
  const namedAs = new Map<string, Map<string, number>>();
  const namedAsPlatform = new Map<string, Map<string, number>>();
  for (const o of mine) {
    if (o.named === null) continue;
    const into = o.namedOwnPlatform ? namedAsPlatform : namedAs;
    const m = into.get(o.device) ?? new Map<string, number>();
    m.set(o.named, (m.get(o.named) ?? 0) + 1);
    into.set(o.device, m);
  }
  const wrong = (o: OpenSetInstance): boolean => o.named !== null && !o.namedOwnPlatform;
  const named = mine.filter(wrong).length;
  const namedPlatform = mine.filter((o) => o.named !== null && o.namedOwnPlatform).length;
  const skipped = e.skipped.filter((s) => s.dataset === dataset && s.view === view);
  const perDevice = [...byDevice.values()].map((list) => list.filter(wrong).length / list.length);
  return {
    instances: mine.length,
    skipped: skipped.length,
    skippedNone: skipped.filter((s) => s.packets === 0).length,
    devices: byDevice.size,
    notRecognised: mine.length - named - namedPlatform,
    namedPlatform,
    named,
    namedDeviceWeighted: perDevice.length === 0 ? 0 : perDevice.reduce((a, b) => a + b, 0) / perDevice.length,
    baselineNamed: mine.filter((o) => o.baselineNamed !== null).length,
    namedAs,
    namedAsPlatform,
  };
}

/** The rates of the known (MADEA) groups in one view; `half` null: both halves. */
export interface KnownRates {
  groups: number;
  skipped: number;
  devices: number;
  /** Recognised as its own class. */
  recognised: number;
  /** Recognised, but as another class. */
  wrongClass: number;
  /** Mean over devices of the share of their groups recognised as their class. */
  macroRecognised: number;
  baselineRecognised: number;
  /** device → [missed groups, groups], for devices with a group not recognised as their class. */
  missed: Map<string, [number, number]>;
}

export function knownRates(
  e: Pick<OpenSetEvaluation, 'instances' | 'skipped'>,
  view: ModelView,
  half: number | null = null,
): KnownRates {
  const mine = e.instances.filter(
    (o) => o.dataset === 'madea' && o.view === view && (half === null || o.half === half),
  );
  const byDevice = new Map<string, OpenSetInstance[]>();
  for (const o of mine) byDevice.set(o.device, [...(byDevice.get(o.device) ?? []), o]);
  const right = (o: OpenSetInstance): boolean => o.named !== null && o.named === o.trueClass;
  const missed = new Map<string, [number, number]>();
  const perDevice: number[] = [];
  for (const [device, list] of byDevice) {
    const ok = list.filter(right).length;
    perDevice.push(ok / list.length);
    if (ok < list.length) missed.set(device, [list.length - ok, list.length]);
  }
  return {
    groups: mine.length,
    skipped: e.skipped.filter(
      (s) => s.dataset === 'madea' && s.view === view && (half === null || s.half === half),
    ).length,
    devices: byDevice.size,
    recognised: mine.filter(right).length,
    wrongClass: mine.filter((o) => o.named !== null && o.named !== o.trueClass).length,
    macroRecognised: perDevice.length === 0 ? 0 : perDevice.reduce((a, b) => a + b, 0) / perDevice.length,
    baselineRecognised: mine.filter((o) => o.baselineNamed !== null && o.baselineNamed === o.trueClass)
      .length,
    missed,
  };
}

/** What the model said of some packets: the counts `identityOf` reads (as exposure.ts `labelView` counts them). */
export class AnswerCounts {
  readonly answers: Float64Array;
  readonly confidence: Float64Array;
  readonly best: Float64Array;
  readonly sizes = new Map<number, number>();

  constructor(private readonly classes: number) {
    this.answers = new Float64Array(classes + 1);
    this.confidence = new Float64Array(classes + 1);
    this.best = new Float64Array(classes);
  }

  add(answer: number, confidence: number, best: number, direction: number, size: number): void {
    const k = answer === UNKNOWN_LABEL ? this.classes : answer;
    this.answers[k]++;
    this.confidence[k] += confidence;
    this.best[best]++;
    const key = sizeKey(direction, size);
    this.sizes.set(key, (this.sizes.get(key) ?? 0) + 1);
  }

  get packets(): number {
    return this.answers.reduce((a, b) => a + b, 0);
  }

  said(): DeviceAnswers {
    return { answers: this.answers, confidence: this.confidence, best: this.best, sizes: this.sizes };
  }
}

/** The test's answer and the baseline's for one instance's counts. */
function judge(
  identifier: DeviceIdentifier,
  counts: AnswerCounts,
  trueLabel: string | null,
  vendor: string | null = null,
): Pick<
  OpenSetInstance,
  | 'packets'
  | 'named'
  | 'baselineNamed'
  | 'topModelClass'
  | 'topModelShare'
  | 'profileCoverage'
  | 'namedOwnPlatform'
> {
  const id = identityOf(identifier, counts.said(), trueLabel);
  const platform =
    id.topModelClass === null ? undefined : identifier.model.labelPlatforms.get(id.topModelClass);
  return {
    namedOwnPlatform:
      id.evidence === 'recognised' && platform !== undefined && platform.macAssignee === vendor,
    packets: id.packets,
    named: id.evidence === 'recognised' ? id.topModelClass : null,
    baselineNamed:
      id.topLabel !== null && id.topLabel !== 'unknown' && id.topShare >= BASELINE_MIN_SHARE
        ? id.topLabel
        : null,
    topModelClass: id.topModelClass,
    topModelShare: id.topModelShare,
    profileCoverage: id.profileCoverage,
  };
}

/** Validation block groups of one device and half (block numbers in time order → its rows). */
export function groupBlocks(
  rowsByBlock: ReadonlyMap<number, readonly number[]>,
  minPackets = KNOWN_GROUP_PACKETS,
): number[][] {
  const groups: number[][] = [];
  let current: number[] = [];
  for (const block of [...rowsByBlock.keys()].sort((a, b) => a - b)) {
    current.push(...rowsByBlock.get(block)!);
    if (current.length >= minPackets) {
      groups.push(current);
      current = [];
    }
  }
  if (current.length > 0) {
    if (groups.length > 0) groups[groups.length - 1].push(...current);
    else groups.push(current);
  }
  return groups;
}

/** Names of the IoT devices of a labels file (rows whose category starts with NON-IOT and the gateway are not). */
function iotDevices(truth: GroundTruth): Set<string> {
  const out = new Set<string>();
  for (const e of truth.entries) {
    if (e.infrastructure || e.category.trim().toUpperCase().startsWith('NON-IOT')) continue;
    out.add(e.device);
    for (const a of e.aliases) out.add(a);
  }
  return out;
}

/** The known instances: the MADEA validation groups of each view (see the module comment). */
async function knownInstances(
  data: ReadonlyMap<ModelView, ViewValidation>,
  identifiers: ReadonlyMap<ModelView, DeviceIdentifier>,
  truth: GroundTruth,
  blockSeconds: number,
): Promise<{ instances: OpenSetInstance[]; skipped: OpenSetSkip[] }> {
  const iot = iotDevices(truth);
  const instances: OpenSetInstance[] = [];
  const skipped: OpenSetSkip[] = [];
  // the home's validation blocks (any IoT device, any view), numbered in time order
  const blocks = new Set<number>();
  for (const v of data.values())
    for (let j = 0; j < v.validation.label.length; j++) {
      const l = v.validation.label[j];
      if (l >= 0 && iot.has(v.dataset.labels[l])) blocks.add(Math.floor(v.validation.ts[j] / blockSeconds));
    }
  const blockNumber = new Map([...blocks].sort((a, b) => a - b).map((b, k) => [b, k]));
  for (const [view, v] of data) {
    const identifier = identifiers.get(view);
    if (identifier === undefined) continue;
    const s = v.validation;
    const labels = await identifier.labelRuns(s.features, s.rowIndex.length, s.runLengths, false, s.flow);
    const size = readNpy(join(v.dataset.dir, 'size.npy')).data;
    const direction = readNpy(join(v.dataset.dir, 'direction.npy')).data;
    // device → half → block → rows (indices into the validation rows)
    const byDevice = new Map<string, [Map<number, number[]>, Map<number, number[]>]>();
    for (let j = 0; j < s.label.length; j++) {
      const l = s.label[j];
      if (l < 0) continue;
      const device = v.dataset.labels[l];
      if (!iot.has(device)) continue;
      const block = Math.floor(s.ts[j] / blockSeconds);
      const half = blockNumber.get(block)! % 2;
      let halves = byDevice.get(device);
      if (halves === undefined)
        byDevice.set(device, (halves = [new Map<number, number[]>(), new Map<number, number[]>()]));
      const list = halves[half].get(block);
      if (list === undefined) halves[half].set(block, [j]);
      else list.push(j);
    }
    const classes = identifier.labels.length;
    for (const [device, halves] of [...byDevice].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
      const trueClass = classOfDevice(identifier.model, device);
      for (let half = 0; half < 2; half++) {
        groupBlocks(halves[half]).forEach((group, g) => {
          const counts = new AnswerCounts(classes);
          for (const j of group) {
            const row = s.rowIndex[j];
            counts.add(
              labels.labelIndex[j],
              labels.confidence[j],
              labels.bestIndex[j],
              direction[row],
              size[row],
            );
          }
          const base = { dataset: 'madea' as const, view, device, file: null, half };
          if (trueClass === null) {
            skipped.push({ ...base, reason: 'no-class', packets: counts.packets });
          } else if (counts.packets < CATALOG_MIN_PACKETS) {
            skipped.push({ ...base, reason: 'few-packets', packets: counts.packets });
          } else {
            instances.push({ ...base, group: g, trueClass, ...judge(identifier, counts, device) });
          }
        });
      }
    }
  }
  return { instances, skipped };
}

/** One folder of unseen captures through the audit's first pass; its instances per file and device. */
async function unseenSetInstances(
  datasets: string,
  set: UnseenCaptureSet,
  identifiers: ReadonlyMap<ModelView, DeviceIdentifier>,
  vpnProfile: TunnelProfileName | undefined,
): Promise<{ instances: OpenSetInstance[]; skipped: OpenSetSkip[] }> {
  const truth = GroundTruth.loadSync(join(datasets, set.labels));
  const iot = iotDevices(truth);
  // the MACs whose packets make instances, and the device each stands for
  const deviceOfMac = new Map<string, string>();
  for (const e of truth.entries) {
    const names = [e.device, ...e.aliases];
    const name = set.device === null ? e.device : names.includes(set.device) ? set.device : null;
    if (name !== null && iot.has(name)) deviceOfMac.set(e.mac, name);
  }
  const observers = [...identifiers.keys()];
  const collector = new AuditCollector(observers);
  collector.measureInHome = false;
  const hooks = collector.hooks();
  const fileOfRow = new Map<ModelView, number[]>(observers.map((v) => [v, []]));
  // (file, MAC) pairs of the instances' devices seen on the LAN side: a device is in a file
  const inFile = new Set<string>();
  const analysis = await analyzeCaptures(
    set.files.map((f) => join(datasets, f)),
    {
      groundTruth: truth,
      views: collector.views,
      viewOptions: { profile: vpnProfile },
      // every file its own capture: the observers' state and the model's runs restart with it
      segmentGapSeconds: -1,
      onPacket: hooks.onPacket,
      onSegmentStart: hooks.onSegmentStart,
      onViewPacket: (view, vp) => {
        hooks.onViewPacket(view, vp);
        if (view === 'lan') {
          for (const mac of [vp.inner?.srcMac, vp.inner?.dstMac])
            if (mac != null && deviceOfMac.has(mac)) inFile.add(`${vp.fileIndex} ${mac}`);
        } else fileOfRow.get(view)?.push(vp.fileIndex);
      },
    },
  );
  const audited = auditedDevices(analysis.inventory.toJSON());
  const homeDevices = new Set(audited.map((d) => d.mac));
  const vendorOf = new Map(audited.map((d) => [d.mac, d.vendorText]));
  const macs = [...deviceOfMac].sort((a, b) => (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  const instances: OpenSetInstance[] = [];
  const skipped: OpenSetSkip[] = [];
  for (const view of observers) {
    const identifier = identifiers.get(view)!;
    const log = collector.logs.get(view)!;
    const labels = await log.identify(identifier);
    const counts = countPerFileAndDevice(log, labels, fileOfRow.get(view)!, identifier.labels.length);
    for (let f = 0; f < set.files.length; f++) {
      for (const [mac, device] of macs) {
        const d = log.indexOfMac(mac);
        const c = d < 0 ? undefined : counts.get(f)?.get(d);
        if (c === undefined && !inFile.has(`${f} ${mac}`)) continue; // not in this capture
        const packets = c?.packets ?? 0;
        const base = { dataset: set.dataset, view, device, file: set.files[f], half: null };
        if (c === undefined || packets < CATALOG_MIN_PACKETS) {
          skipped.push({ ...base, reason: 'few-packets', packets });
        } else if (!homeDevices.has(mac)) {
          skipped.push({ ...base, reason: 'gateway', packets });
        } else {
          instances.push({
            ...base,
            group: null,
            trueClass: null,
            ...judge(identifier, c, null, vendorOf.get(mac)),
          });
        }
      }
    }
  }
  return { instances, skipped };
}

/** The model's answers for each (file, home device) of a labelled log; tunnel messages are no device's. */
export function countPerFileAndDevice(
  log: Pick<ViewLog, 'rows' | 'tunnel' | 'device' | 'direction' | 'size'>,
  labels: Pick<PacketLabels, 'labelIndex' | 'confidence' | 'bestIndex'>,
  fileOfRow: readonly number[],
  classes: number,
): Map<number, Map<number, AnswerCounts>> {
  const out = new Map<number, Map<number, AnswerCounts>>();
  for (let i = 0; i < labels.labelIndex.length; i++) {
    if (log.tunnel[i] === 1) continue;
    const d = log.device[i];
    if (d < 0) continue;
    const f = fileOfRow[i];
    let perFile = out.get(f);
    if (perFile === undefined) out.set(f, (perFile = new Map<number, AnswerCounts>()));
    let c = perFile.get(d);
    if (c === undefined) perFile.set(d, (c = new AnswerCounts(classes)));
    c.add(labels.labelIndex[i], labels.confidence[i], labels.bestIndex[i], log.direction[i], log.size[i]);
  }
  return out;
}

export interface OpenSetOptions {
  modelsDir: string;
  datasetsDir: string;
  vpnProfile: TunnelProfileName | undefined;
  /** The MADEA validation data of each view (model-evaluation.ts `buildValidationData`). */
  data: ReadonlyMap<ModelView, ViewValidation>;
  blockSeconds: number;
  madeaLabels: string;
  note?: (text: string) => void;
}

/** Runs the whole measurement (see the module comment). */
export async function evaluateOpenSet(options: OpenSetOptions): Promise<OpenSetEvaluation> {
  const t0 = Date.now();
  const views = [...options.data.keys()];
  const identifiers = new Map<ModelView, DeviceIdentifier>();
  try {
    for (const view of views) identifiers.set(view, await DeviceIdentifier.open(options.modelsDir, view));
    const known = await knownInstances(
      options.data,
      identifiers,
      GroundTruth.loadSync(options.madeaLabels),
      options.blockSeconds,
    );
    const instances = [...known.instances];
    const skipped = [...known.skipped];
    const sets = unseenCaptureSets(options.datasetsDir);
    for (const set of sets) {
      const r = await unseenSetInstances(options.datasetsDir, set, identifiers, options.vpnProfile);
      instances.push(...r.instances);
      skipped.push(...r.skipped);
    }
    const datasets: OpenSetDataset[] = ['madea'];
    for (const d of ['iot-sentinel', 'extras'] as const)
      if (sets.some((s) => s.dataset === d)) datasets.push(d);
    const models: Partial<Record<ModelView, string>> = {};
    for (const [view, identifier] of identifiers) models[view] = identifier.model.id;
    return { models, instances, skipped, datasets, seconds: (Date.now() - t0) / 1000 };
  } finally {
    for (const identifier of identifiers.values()) await identifier.close();
  }
}
