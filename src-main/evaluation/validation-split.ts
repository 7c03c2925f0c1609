/**
 * The model contract's split and runs over a `telltale dataset` folder, for evaluation and the
 * parity test: read the dataset's .npy columns, give each packet its split by UTC time block of the
 * manifest's length (block % 5 == 4 validation, == 3 calibration, else train), cut runs (maximal stretches of
 * consecutive rows with the same segment and split), and gather the rows of one split with the
 * run lengths the windowing needs. Packets without a labelled device stay in the runs as context
 * but carry no target.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { classOfDevice, type ModelEntry } from '../inference/model-manifest.ts';

export const Split = { TRAIN: 0, CALIBRATION: 1, VALIDATION: 2 } as const;
export type Split = (typeof Split)[keyof typeof Split];
/** The split of a packet at time `ts` (seconds since the epoch) with blocks of `blockSeconds`. */
export function splitOf(ts: number, blockSeconds: number): Split {
  const block = Math.floor(ts / blockSeconds);
  const r = ((block % 5) + 5) % 5;
  return r === 4 ? Split.VALIDATION : r === 3 ? Split.CALIBRATION : Split.TRAIN;
}

type NpyArray = Float32Array | Float64Array | Int16Array | Int32Array | Uint8Array;

/** A parsed .npy array (little-endian, C order; the dtypes `telltale dataset` writes). */
export interface NpyData {
  dtype: string;
  shape: number[];
  data: NpyArray;
}

/** Reads a NumPy .npy file (format 1.0 to 3.0). */
export function readNpy(path: string): NpyData {
  const bytes = readFileSync(path);
  if (bytes.length < 10 || bytes.toString('latin1', 1, 6) !== 'NUMPY' || bytes[0] !== 0x93) {
    throw new Error(`${path}: not a .npy file`);
  }
  const major = bytes[6];
  const headerLength = major === 1 ? bytes.readUInt16LE(8) : bytes.readUInt32LE(8);
  const headerStart = major === 1 ? 10 : 12;
  const header = bytes.toString('latin1', headerStart, headerStart + headerLength);
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new Error(`${path}: unreadable .npy header ${header.trim()}`);
  }
  if (fortran === 'True') throw new Error(`${path}: Fortran-ordered arrays are not supported`);
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  const start = headerStart + headerLength;
  // Copy into a fresh, aligned buffer (the file's data offset need not be aligned).
  const body = bytes.buffer.slice(bytes.byteOffset + start, bytes.byteOffset + bytes.length);
  const make: Record<string, () => NpyArray> = {
    '<f4': () => new Float32Array(body, 0, count),
    '<f8': () => new Float64Array(body, 0, count),
    '<i2': () => new Int16Array(body, 0, count),
    '<i4': () => new Int32Array(body, 0, count),
    '|u1': () => new Uint8Array(body, 0, count),
  };
  const maker = make[descr];
  if (maker === undefined) throw new Error(`${path}: unsupported dtype ${descr}`);
  return { dtype: descr, shape, data: maker() };
}

/** The columns of a dataset folder the evaluation needs. */
export interface DatasetColumns {
  dir: string;
  view: string;
  /** meta.json labels (index = labels.npy value). */
  labels: readonly string[];
  featureNames: readonly string[];
  rows: number;
  featureCount: number;
  features: Float32Array;
  label: Int16Array;
  ts: Float64Array;
  segment: Int32Array;
  /** Flow id per row (unique within a segment; -1 none); all -1 for datasets written without flows. */
  flow: Int32Array;
  /** The meta.json document as written. */
  meta: Record<string, unknown>;
}

function column<T extends NpyArray>(
  dir: string,
  name: string,
  type: new (...args: never[]) => T,
): NpyData & { data: T } {
  const npy = readNpy(join(dir, name));
  if (!(npy.data instanceof type)) throw new Error(`${join(dir, name)}: unexpected dtype ${npy.dtype}`);
  return npy as NpyData & { data: T };
}

/** Reads a `telltale dataset` folder. */
export function readDataset(dir: string): DatasetColumns {
  const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as Record<string, unknown>;
  const features = column(dir, 'features.npy', Float32Array);
  const label = column(dir, 'labels.npy', Int16Array);
  const ts = column(dir, 'ts.npy', Float64Array);
  const segment = column(dir, 'segment.npy', Int32Array);
  const rows = features.shape[0];
  const flow = existsSync(join(dir, 'flow.npy'))
    ? column(dir, 'flow.npy', Int32Array).data
    : new Int32Array(rows).fill(-1);
  if (flow.length !== rows) throw new Error(`${dir}: flow.npy disagrees on the row count`);
  for (const c of [label, ts, segment]) {
    if (c.shape[0] !== rows) throw new Error(`${dir}: columns disagree on the row count`);
  }
  return {
    dir,
    view: String(meta.view),
    labels: meta.labels as string[],
    featureNames: meta.featureNames as string[],
    rows,
    featureCount: features.shape[1],
    features: features.data,
    label: label.data,
    ts: ts.data,
    segment: segment.data,
    flow,
    meta,
  };
}

/** The rows of one split, gathered, with their runs. */
export interface SplitRows {
  split: Split;
  /** Dataset row of each gathered row. */
  rowIndex: Int32Array;
  /** Gathered feature rows. */
  features: Float32Array;
  /** Run lengths, in row order (sum = rowIndex.length). */
  runLengths: number[];
  /** True dataset label (meta.json index, or negative) of each gathered row. */
  label: Int16Array;
  ts: Float64Array;
  /** Flow id of each gathered row (-1 none). */
  flow: Int32Array;
}

/** Gathers the rows of `split` with the contract's runs (same segment, same split, consecutive). */
export function splitRows(dataset: DatasetColumns, split: Split, blockSeconds: number): SplitRows {
  const n = dataset.rows;
  const splits = new Uint8Array(n);
  for (let i = 0; i < n; i++) splits[i] = splitOf(dataset.ts[i], blockSeconds);
  const runLengths: number[] = [];
  let selected = 0;
  let runStart = 0;
  for (let i = 1; i <= n; i++) {
    const boundary = i === n || splits[i] !== splits[i - 1] || dataset.segment[i] !== dataset.segment[i - 1];
    if (!boundary) continue;
    if (splits[runStart] === split) {
      runLengths.push(i - runStart);
      selected += i - runStart;
    }
    runStart = i;
  }
  const f = dataset.featureCount;
  const rowIndex = new Int32Array(selected);
  const features = new Float32Array(selected * f);
  const label = new Int16Array(selected);
  const ts = new Float64Array(selected);
  const flow = new Int32Array(selected);
  let j = 0;
  for (let i = 0; i < n; i++) {
    if (splits[i] !== split) continue;
    rowIndex[j] = i;
    features.set(dataset.features.subarray(i * f, (i + 1) * f), j * f);
    label[j] = dataset.label[i];
    ts[j] = dataset.ts[i];
    flow[j] = dataset.flow[i];
    j++;
  }
  return { split, rowIndex, features, runLengths, label, ts, flow };
}

/**
 * Maps dataset label indices to a model's class indices by name (a device merged into a class
 * maps to that class); -1 where the dataset label is negative or not one of the model's classes.
 */
export function modelTruth(
  datasetLabels: readonly string[],
  model: ModelEntry,
  label: Int16Array,
): Int32Array {
  const map = datasetLabels.map((name) => {
    const cls = classOfDevice(model, name);
    return cls === null ? -1 : model.labels.indexOf(cls);
  });
  const truth = new Int32Array(label.length);
  for (let i = 0; i < label.length; i++) {
    const l = label[i];
    truth[i] = l >= 0 && l < map.length ? map[l] : -1;
  }
  return truth;
}
