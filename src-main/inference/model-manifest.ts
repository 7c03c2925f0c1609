/**
 * The model manifest (`models/manifest.json`): which ONNX models ship, which observer view and
 * features each expects, its class labels in output order, its window and stride, its unknown
 * threshold and the validation metrics the training recipe recorded. Models are data: the runtime
 * reads everything it needs from here and hard-codes no label, shape or file name.
 *
 * The format is the model contract shared with the Python recipe in models/training (formatVersion
 * 1). Validation names the manifest file and the field at fault, e.g.
 * `models/manifest.json: models[2].window: expected a positive integer`.
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { featureNames } from '../features/feature-spec.ts';
import type { FlowPooling } from './flow-pooling.ts';
import type { ViewName } from '../views/view-packet.ts';

/** The manifest format this runtime reads. */
export const MANIFEST_FORMAT_VERSION = 1;
export const MANIFEST_FILE = 'manifest.json';

/** Observer views a model may be trained for (LAN models are not part of the contract). */
export type ModelView = Extract<ViewName, 'napt' | 'vpn'>;
export const MODEL_VIEWS: readonly ModelView[] = ['napt', 'vpn'];

/** Validation metrics as recorded by the recipe (fields checked where the runtime uses them). */
export interface RecordedMetrics {
  macroRecall?: number;
  macroPrecision?: number;
  macroF1?: number;
  microAccuracy?: number;
  packets?: number;
  /** Per class name, or per class in label order. */
  perClass?: unknown;
  [key: string]: unknown;
}

export interface ModelEntry {
  id: string;
  /** ONNX file, relative to the models folder. */
  file: string;
  sha256: string;
  task: 'device-identification';
  view: ModelView;
  /** random-forest, lstm, blstm, ... */
  kind: string;
  featureSpecVersion: number;
  /** Input feature names, in vector order. */
  features: readonly string[];
  /** Class names, in output order. */
  labels: readonly string[];
  /** Packets per window; 1 for per-packet models. */
  window: number;
  stride: number;
  input: string;
  output: string;
  temperature: number;
  /** A packet is "unknown" when its confidence is below this. */
  unknownThreshold: number;
  /** Pooling over the observer's flows after stitching (null: none; the view has no flows). */
  pooling: FlowPooling | null;
  /**
   * Classes that stand for several labelled devices an observer cannot tell apart (class name →
   * the device names of labels.csv); every other class is the device of the same name.
   */
  labelMembers: Readonly<Record<string, readonly string[]>>;
  /**
   * Classes that stand for a firmware platform rather than one product (models/training/
   * platforms.py): every device of the class runs that platform's firmware, which is what an
   * observer sees, so the class is named as the platform's. Empty when the manifest lists none.
   */
  labelPlatforms: ReadonlyMap<string, LabelPlatform>;
  /**
   * Per class, the (direction, frame size) pairs that make up at least 0.1 % of its packets in the
   * observer's view on the training data (`sizeKey(direction, size)`), for the device-level
   * open-set test; null when the manifest has none (a device is then never called recognised).
   */
  sizeProfile: ReadonlyMap<string, ReadonlySet<number>> | null;
  training: Record<string, unknown>;
  metrics: { validation?: RecordedMetrics; validationWithUnknown?: RecordedMetrics; [k: string]: unknown };
  sizeBytes: number | null;
}

/** A class's firmware platform (manifest `labelPlatforms`). */
export interface LabelPlatform {
  /** e.g. "Tuya". */
  platform: string;
  /** The IEEE assignee of the platform's own MAC blocks ("Tuya Smart Inc."). */
  macAssignee: string;
  /** Why the class's devices are the platform's, as checked on the training captures. */
  evidence: string;
}

/** The key of a (direction, frame size) pair in a size profile. */
export function sizeKey(direction: number, size: number): number {
  return direction * 65536 + size;
}

export interface ModelManifest {
  /** Absolute path of the manifest file. */
  path: string;
  /** Absolute path of the folder holding the manifest and the model files. */
  dir: string;
  formatVersion: number;
  featureSpecVersion: number;
  split: Record<string, unknown>;
  /** The split's time block (seconds): block = floor(ts / blockSeconds), block % 5 picks the fold. */
  blockSeconds: number | null;
  defaults: Readonly<Record<ModelView, string>>;
  models: readonly ModelEntry[];
}

/** A manifest or model file that cannot be used; the message names the file and the field. */
export class ManifestError extends Error {
  override name = 'ManifestError';
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Field readers that throw a ManifestError naming the file and the field path. */
class FieldReader {
  constructor(private readonly file: string) {}

  fail(where: string, what: string): never {
    throw new ManifestError(`${this.file}: ${where}: ${what}`);
  }

  record(v: unknown, where: string): Record<string, unknown> {
    if (!isRecord(v)) this.fail(where, 'expected an object');
    return v;
  }

  string(v: unknown, where: string): string {
    if (typeof v !== 'string' || v === '') this.fail(where, 'expected a non-empty string');
    return v;
  }

  number(v: unknown, where: string): number {
    if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(where, 'expected a number');
    return v;
  }

  positiveInteger(v: unknown, where: string): number {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1)
      this.fail(where, 'expected a positive integer');
    return v;
  }

  strings(v: unknown, where: string): string[] {
    if (!Array.isArray(v) || v.length === 0) this.fail(where, 'expected a non-empty list of strings');
    return v.map((s, i) => this.string(s, `${where}[${i}]`));
  }

  view(v: unknown, where: string): ModelView {
    if (typeof v !== 'string' || !(MODEL_VIEWS as readonly string[]).includes(v)) {
      this.fail(where, `expected one of ${MODEL_VIEWS.join(', ')}`);
    }
    return v as ModelView;
  }
}

function parseModel(r: FieldReader, v: unknown, where: string, specVersion: number): ModelEntry {
  const m = r.record(v, where);
  const id = r.string(m.id, `${where}.id`);
  const at = `${where} (${id})`;
  const file = r.string(m.file, `${at}.file`);
  if (file.includes('..') || file.startsWith('/'))
    r.fail(`${at}.file`, 'must be a path inside the models folder');
  const sha256 = r.string(m.sha256, `${at}.sha256`).toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(sha256)) r.fail(`${at}.sha256`, 'expected 64 hex digits');
  if (m.task !== 'device-identification') r.fail(`${at}.task`, 'expected "device-identification"');
  const view = r.view(m.view, `${at}.view`);
  const featureSpecVersion = r.positiveInteger(m.featureSpecVersion, `${at}.featureSpecVersion`);
  if (featureSpecVersion !== specVersion) {
    r.fail(`${at}.featureSpecVersion`, `is ${featureSpecVersion}, the manifest says ${specVersion}`);
  }
  const features = r.strings(m.features, `${at}.features`);
  const labels = r.strings(m.labels, `${at}.labels`);
  if (new Set(labels).size !== labels.length) r.fail(`${at}.labels`, 'class names must be unique');
  const window = r.positiveInteger(m.window, `${at}.window`);
  const stride = r.positiveInteger(m.stride, `${at}.stride`);
  if (stride > window) r.fail(`${at}.stride`, `must not exceed the window (${window})`);
  const temperature = r.number(m.temperature, `${at}.temperature`);
  if (!(temperature > 0)) r.fail(`${at}.temperature`, 'must be positive');
  const unknownThreshold = r.number(m.unknownThreshold, `${at}.unknownThreshold`);
  if (unknownThreshold < 0 || unknownThreshold > 1) r.fail(`${at}.unknownThreshold`, 'must be within [0, 1]');
  let pooling: FlowPooling | null = null;
  if (m.pooling !== undefined && m.pooling !== null) {
    const p = r.record(m.pooling, `${at}.pooling`);
    if (p.kind !== 'flow') r.fail(`${at}.pooling.kind`, 'expected "flow"');
    const epsilon = r.number(p.epsilon, `${at}.pooling.epsilon`);
    if (!(epsilon > 0)) r.fail(`${at}.pooling.epsilon`, 'must be positive');
    pooling = { kind: 'flow', epsilon };
  }
  const labelMembers: Record<string, string[]> = {};
  if (m.labelMembers !== undefined && m.labelMembers !== null) {
    const doc = r.record(m.labelMembers, `${at}.labelMembers`);
    for (const [name, list] of Object.entries(doc)) {
      if (!labels.includes(name)) r.fail(`${at}.labelMembers`, `"${name}" is not one of the labels`);
      labelMembers[name] = r.strings(list, `${at}.labelMembers.${name}`);
    }
  }
  const labelPlatforms = new Map<string, LabelPlatform>();
  if (m.labelPlatforms !== undefined && m.labelPlatforms !== null) {
    const doc = r.record(m.labelPlatforms, `${at}.labelPlatforms`);
    for (const [name, value] of Object.entries(doc)) {
      if (!labels.includes(name)) r.fail(`${at}.labelPlatforms`, `"${name}" is not one of the labels`);
      const p = r.record(value, `${at}.labelPlatforms.${name}`);
      labelPlatforms.set(name, {
        platform: r.string(p.platform, `${at}.labelPlatforms.${name}.platform`),
        macAssignee: r.string(p.macAssignee, `${at}.labelPlatforms.${name}.macAssignee`),
        evidence: r.string(p.evidence, `${at}.labelPlatforms.${name}.evidence`),
      });
    }
  }
  let sizeProfile: Map<string, Set<number>> | null = null;
  if (m.sizeProfile !== undefined && m.sizeProfile !== null) {
    const pairs = r.record(r.record(m.sizeProfile, `${at}.sizeProfile`).pairs, `${at}.sizeProfile.pairs`);
    sizeProfile = new Map();
    for (const [name, text] of Object.entries(pairs)) {
      if (!labels.includes(name)) r.fail(`${at}.sizeProfile.pairs`, `"${name}" is not one of the labels`);
      const keys = new Set<number>();
      for (const token of r.string(text, `${at}.sizeProfile.pairs.${name}`).split(' ')) {
        const m2 = /^([01]):(\d{1,5})$/.exec(token);
        if (m2 === null) r.fail(`${at}.sizeProfile.pairs.${name}`, `"${token}" is not direction:size`);
        keys.add(sizeKey(Number(m2[1]), Number(m2[2])));
      }
      sizeProfile.set(name, keys);
    }
  }
  const metrics = m.metrics === undefined ? {} : r.record(m.metrics, `${at}.metrics`);
  if (metrics.validation !== undefined) r.record(metrics.validation, `${at}.metrics.validation`);
  return {
    id,
    file,
    sha256,
    task: 'device-identification',
    view,
    kind: r.string(m.kind, `${at}.kind`),
    featureSpecVersion,
    features,
    labels,
    window,
    stride,
    input: r.string(m.input, `${at}.input`),
    output: r.string(m.output, `${at}.output`),
    temperature,
    unknownThreshold,
    pooling,
    labelMembers,
    labelPlatforms,
    sizeProfile,
    training: m.training === undefined ? {} : r.record(m.training, `${at}.training`),
    metrics,
    sizeBytes: m.sizeBytes === undefined ? null : r.positiveInteger(m.sizeBytes, `${at}.sizeBytes`),
  };
}

/**
 * Validates a parsed manifest document. `file` names the manifest in errors; `dir` is the folder
 * model files are relative to.
 */
export function parseManifest(json: unknown, file: string, dir: string): ModelManifest {
  const r: FieldReader = new FieldReader(file);
  const doc = r.record(json, '(top level)');
  if (doc.formatVersion !== MANIFEST_FORMAT_VERSION) {
    r.fail(
      'formatVersion',
      `expected ${MANIFEST_FORMAT_VERSION}, found ${JSON.stringify(doc.formatVersion)}`,
    );
  }
  const featureSpecVersion = r.positiveInteger(doc.featureSpecVersion, 'featureSpecVersion');
  const list: unknown = doc.models;
  if (!Array.isArray(list) || list.length === 0) r.fail('models', 'expected a non-empty list');
  const models = (list as unknown[]).map((m, i) => parseModel(r, m, `models[${i}]`, featureSpecVersion));
  const ids = new Set<string>();
  for (const m of models) {
    if (ids.has(m.id)) r.fail('models', `duplicate model id "${m.id}"`);
    ids.add(m.id);
  }
  const defaultsDoc = r.record(doc.defaults, 'defaults');
  const defaults = {} as Record<ModelView, string>;
  for (const view of MODEL_VIEWS) {
    const id = r.string(defaultsDoc[view], `defaults.${view}`);
    const model = models.find((m) => m.id === id);
    if (model === undefined) r.fail(`defaults.${view}`, `no model with id "${id}"`);
    if (model.view !== view) r.fail(`defaults.${view}`, `model "${id}" is for the ${model.view} view`);
    defaults[view] = id;
  }
  const split = doc.split === undefined ? {} : r.record(doc.split, 'split');
  return {
    path: resolve(file),
    dir: resolve(dir),
    formatVersion: MANIFEST_FORMAT_VERSION,
    featureSpecVersion,
    split,
    blockSeconds:
      split.blockSeconds === undefined ? null : r.positiveInteger(split.blockSeconds, 'split.blockSeconds'),
    defaults,
    models,
  };
}

/** Reads and validates `<dir>/manifest.json`. */
export function loadManifest(dir: string): ModelManifest {
  const file = join(dir, MANIFEST_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ManifestError(`${file}: cannot read the manifest (${(error as Error).message})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ManifestError(`${file}: not valid JSON (${(error as Error).message})`);
  }
  return parseManifest(json, file, dir);
}

/** The model with this id; throws a ManifestError listing the ids there are. */
export function findModel(manifest: ModelManifest, id: string): ModelEntry {
  const model = manifest.models.find((m) => m.id === id);
  if (model === undefined) {
    throw new ManifestError(
      `${manifest.path}: no model "${id}" (models: ${manifest.models.map((m) => m.id).join(', ')})`,
    );
  }
  return model;
}

/** The manifest's default model for an observer view. */
export function defaultModel(manifest: ModelManifest, view: ModelView): ModelEntry {
  return findModel(manifest, manifest.defaults[view]);
}

/**
 * The class a labelled device is scored as: its own name, or the merged class that lists it in
 * `labelMembers`; null when the model has no such class (a device it never saw).
 */
export function classOfDevice(model: ModelEntry, device: string): string | null {
  for (const [name, members] of Object.entries(model.labelMembers)) if (members.includes(device)) return name;
  return model.labels.includes(device) ? device : null;
}

/** Absolute path of a model's ONNX file. */
export function modelPath(manifest: ModelManifest, model: ModelEntry): string {
  return join(manifest.dir, model.file);
}

/** SHA-256 of a file, hex. */
export function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/**
 * Checks that a model's file exists, has the recorded size and SHA-256, and that the model expects
 * the features this build's feature spec writes for its view (same names, same order).
 */
export function verifyModel(manifest: ModelManifest, model: ModelEntry): void {
  const path = modelPath(manifest, model);
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    throw new ManifestError(`${path}: model file of "${model.id}" is missing (named in ${manifest.path})`);
  }
  if (model.sizeBytes !== null && size !== model.sizeBytes) {
    throw new ManifestError(
      `${path}: ${size} bytes, but ${manifest.path} records ${model.sizeBytes} for "${model.id}"`,
    );
  }
  const digest = sha256File(path);
  if (digest !== model.sha256) {
    throw new ManifestError(
      `${path}: SHA-256 ${digest} does not match ${manifest.path} (${model.id}.sha256 ${model.sha256})`,
    );
  }
  const expected = featureNames(model.view);
  const same =
    expected.length === model.features.length && expected.every((name, i) => name === model.features[i]);
  if (!same) {
    throw new ManifestError(
      `${manifest.path}: model "${model.id}" expects features [${model.features.join(', ')}], ` +
        `but this build's ${model.view} feature spec is [${expected.join(', ')}]`,
    );
  }
}
