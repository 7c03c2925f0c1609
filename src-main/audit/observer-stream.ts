/**
 * One observer's packets, labelled as they come, in memory that does not grow with the capture.
 *
 * The view log (audit/view-log.ts) holds only the rows not labelled yet. Whenever it holds a full
 * batch (`batchRows`), the capture pipeline waits while the observer's model labels it
 * (`drain`); the rows are then folded into bounded summaries and forgotten:
 * - per answer of the model an activity timeline, per device its answers, confidences and frame
 *   sizes (exposure.ts LabelledViewBuilder);
 * - per device the timeline of its own packets (TimingBuilder);
 * - per device its hourly summaries for the category model, the open hour's rows only
 *   (features/device-summary.ts);
 * - per device (and for the packets of no device) a uniform random sample of at most
 *   `samplePerDevice` rows for the in-home observer (a reservoir, seeded: the same capture gives
 *   the same sample), with the number of rows it was drawn from.
 *
 * Bounds: the features of `batchRows` rows, the sample's rows, and one hour of each device's
 * rows; the timelines are bounded by the activity config. Batches are cut at fixed row numbers
 * (multiples of `batchRows`, counted from the first row), so when the pipeline waits does not
 * change any answer: the model's windows and flow pooling stop at a batch's end as they stop at a
 * capture segment's.
 */
import type { ActivityConfig } from '../activity/activity-config.ts';
import type { ActivityTimeline } from '../activity/activity-timeline.ts';
import {
  summarize,
  summaryColumns,
  summaryNames,
  SUMMARY_CHUNK_SECONDS,
  SUMMARY_MIN_CHUNK_PACKETS,
} from '../features/device-summary.ts';
import type { CategoryDecision, CategoryModel } from '../inference/device-category.ts';
import type { DeviceIdentifier } from '../inference/device-identifier.ts';
import type { WideCatalog, WideDecision } from '../inference/wide-catalog.ts';
import type { ModelView } from '../inference/model-manifest.ts';
import { runLengthsOf, UNKNOWN_LABEL, type PacketLabels } from '../inference/window-stitching.ts';
import type { ViewPacket } from '../views/view-packet.ts';
import { mulberry32 } from '../views/seeded-random.ts';
import { LabelledViewBuilder, TimingBuilder, type LabelledView } from './exposure.ts';
import { ViewLog } from './view-log.ts';

/**
 * Rows labelled at a time by an audit's observer. Not a power of two: a log grows by doubling, and
 * the pipeline's batch that fills it may overshoot, so this leaves room below 2^16 rows (NAPT
 * features: 11.5 MB). The model's windows and flow pooling stop at a batch's end: 0.3 % of the
 * rows are within one window of a cut.
 */
export const STREAM_BATCH_ROWS = 50_000;
/**
 * Rows of each device kept for the in-home observer: about its TRAIN_PER_DEVICE and
 * TEST_PER_DEVICE (4000 each) on the two sides of the device's median time; 8192, a view log's
 * own size step (NAPT: 1.7 MB a device).
 */
export const SAMPLE_PER_DEVICE = 8192;

export interface ObserverStreamOptions {
  /** Rows labelled at a time (default STREAM_BATCH_ROWS). */
  batchRows?: number;
  /** Rows of each device sampled for the in-home observer; 0 keeps none (default SAMPLE_PER_DEVICE). */
  samplePerDevice?: number;
  /** Whether hourly summaries are kept for the category model (default true). */
  categories?: boolean;
  /**
   * Label only the rows a home device's answers depend on: its own rows and the model's window of
   * rows around them; the rest (a defence's cover packets far from any device packet) are taken
   * in unlabelled, as unknown. For the what-ifs, which read the answers of devices only.
   */
  deviceRowsOnly?: boolean;
  /**
   * Each labelled batch as it is labelled: rows `from` … `to` − 1 of `log` and the model's answers
   * for them (index 0 is row `from`). The per-packet export writes them out (audit/packet-labels.ts).
   */
  onLabelled?: (log: ViewLog<ModelView>, answers: PacketLabels, from: number, to: number) => void;
}

/**
 * A uniform sample of each device's rows (Algorithm R per device): one view log per device, sized
 * to the sample (no room left over), merged into one log for the in-home observer.
 */
export class DeviceSample {
  /** The sample's rows per device of the source log (-1: no device). */
  private readonly logs = new Map<number, ViewLog<ModelView>>();
  /** Rows seen per home device MAC ('' for no device). */
  private readonly seen = new Map<string, number>();
  private readonly random = mulberry32(0x5a3b1e);

  constructor(
    private readonly view: ModelView,
    readonly perDevice: number,
  ) {}

  add(from: ViewLog, row: number): void {
    const d = from.device[row];
    const key = d < 0 ? '' : from.macs[d];
    const seen = (this.seen.get(key) ?? 0) + 1;
    this.seen.set(key, seen);
    let log = this.logs.get(d);
    if (log === undefined) {
      log = new ViewLog<ModelView>(this.view);
      this.logs.set(d, log);
    }
    if (log.rows < this.perDevice) {
      log.copyRow(from, row);
      return;
    }
    const j = Math.floor(this.random() * seen);
    if (j < this.perDevice) log.setRow(j, from, row);
  }

  /** Rows in the sample. */
  get rows(): number {
    let n = 0;
    for (const log of this.logs.values()) n += log.rows;
    return n;
  }

  /**
   * The whole sample as one view log (devices in the order they were first seen); each device's
   * own log is let go as it is copied, so the sample is empty afterwards (its counts stay).
   */
  take(): ViewLog<ModelView> {
    const out = new ViewLog<ModelView>(this.view);
    for (const [d, log] of [...this.logs]) {
      for (let i = 0; i < log.rows; i++) out.copyRow(log, i);
      this.logs.delete(d);
    }
    return out;
  }

  /** The sample of one device (by the source log's device index); undefined for a device it has no rows of, or once `take` has emptied it. */
  logOf(device: number): ViewLog<ModelView> | undefined {
    return this.logs.get(device);
  }

  /** Rows the sample of a device was drawn from (0 for a device never seen). */
  packetsOf(mac: string): number {
    return this.seen.get(mac) ?? 0;
  }
}

/** A device's hourly summaries so far and the rows of the hour still open. */
interface DeviceChunks {
  done: Float32Array[];
  open: ViewLog;
  segment: number;
  start: number;
  packets: number;
}

/**
 * The category model's input as rows come (exposure.ts categoryDecisions does the same from a
 * whole log): per device, a chunk ends at a capture segment and SUMMARY_CHUNK_SECONDS after its
 * first packet, and is summarised then.
 */
export class CategoryChunks {
  private readonly devices = new Map<number, DeviceChunks>();
  private readonly columns: number[];
  private readonly length: number;

  constructor(private readonly view: ModelView) {
    const names = new ViewLog(view).extractor.names;
    this.columns = summaryColumns(names);
    this.length = summaryNames(names).length;
  }

  add(from: ViewLog, row: number): void {
    const d = from.device[row];
    if (d < 0 || from.tunnel[row] === 1) return;
    const ts = from.ts[row];
    let state = this.devices.get(d);
    if (state === undefined) {
      state = { done: [], open: new ViewLog(this.view), segment: from.segment[row], start: ts, packets: 0 };
      this.devices.set(d, state);
    } else if (
      state.open.rows > 0 &&
      (from.segment[row] !== state.segment || ts - state.start >= SUMMARY_CHUNK_SECONDS)
    ) {
      const summary = this.summary(state.open);
      if (summary !== null) state.done.push(summary);
      state.open.clear();
    }
    if (state.open.rows === 0) {
      state.segment = from.segment[row];
      state.start = ts;
    }
    state.open.copyRow(from, row);
    state.packets++;
  }

  private summary(chunk: ViewLog): Float32Array | null {
    if (chunk.rows < SUMMARY_MIN_CHUNK_PACKETS) return null;
    const rows: number[] = [];
    for (let i = 0; i < chunk.rows; i++) rows.push(i);
    rows.sort((a, b) => chunk.ts[a] - chunk.ts[b] || a - b);
    const out = new Float32Array(this.length);
    summarize(chunk, rows, this.columns, out, 0);
    return out;
  }

  /** Each device's decision (keyed by the source log's device index), its open hour included. */
  decisions(model: CategoryModel | null): Map<number, CategoryDecision> {
    const out = new Map<number, CategoryDecision>();
    if (model === null) return out;
    const width = model.file.features.length;
    if (width !== this.length)
      throw new Error(
        `category model: it reads ${width} values but the ${this.view} summaries have ${this.length}`,
      );
    for (const [d, state] of this.devices) {
      const open = this.summary(state.open);
      const chunks = open === null ? state.done : [...state.done, open];
      const x = new Float32Array(chunks.length * width);
      chunks.forEach((c, i) => {
        x.set(c, i * width);
      });
      out.set(d, model.decide(x, chunks.length, state.packets));
    }
    return out;
  }
}

/**
 * Labels rows [from, to) of `log` where a home device's answers depend on them: each device row
 * (not the tunnel's) and the model's window of rows on either side; those rows are labelled as runs
 * of their own (cut where the kept rows break or the capture segment changes), the others come back
 * unknown with confidence 0.
 */
async function labelNearDevices(
  identifier: DeviceIdentifier,
  log: ViewLog,
  from: number,
  to: number,
): Promise<PacketLabels> {
  const n = to - from;
  const margin = identifier.model.window;
  const keep = new Uint8Array(n);
  let last = -Infinity;
  for (let j = 0; j < n; j++)
    if (log.device[from + j] >= 0 && log.tunnel[from + j] === 0) {
      keep.fill(1, Math.max(0, j - margin, last + 1), Math.min(n, j + margin + 1));
      last = Math.min(n, j + margin + 1) - 1;
    }
  const rows: number[] = [];
  for (let j = 0; j < n; j++) if (keep[j] === 1) rows.push(from + j);
  const out: PacketLabels = {
    labelIndex: new Int32Array(n).fill(UNKNOWN_LABEL),
    bestIndex: new Int32Array(n),
    confidence: new Float32Array(n),
  };
  if (rows.length === 0) return out;
  const w = log.width;
  const features = new Float32Array(rows.length * w);
  const flows = new Int32Array(rows.length);
  rows.forEach((r, k) => {
    features.set(log.features.subarray(r * w, r * w + w), k * w);
    flows[k] = log.flow[r];
  });
  const runs = runLengthsOf(
    rows.length,
    (a, b) => rows[b] === rows[a] + 1 && log.segment[rows[a]] === log.segment[rows[b]],
  );
  const labels = await identifier.labelRuns(features, rows.length, runs, false, flows);
  rows.forEach((r, k) => {
    out.labelIndex[r - from] = labels.labelIndex[k];
    out.bestIndex[r - from] = labels.bestIndex[k];
    out.confidence[r - from] = labels.confidence[k];
  });
  return out;
}

export class ObserverStream {
  /** The rows not labelled yet (and the view's home devices, by index). */
  readonly log: ViewLog<ModelView>;
  readonly batchRows: number;
  /** The in-home observer's sample (null once released, or when none is kept). */
  sample: DeviceSample | null;
  private chunks: CategoryChunks | null;
  private readonly timing: TimingBuilder;
  private labels: LabelledViewBuilder | null = null;
  private readonly deviceRowsOnly: boolean;
  private readonly onLabelled: ObserverStreamOptions['onLabelled'] | null;
  private labelledRows = 0;
  /** The labelling in progress (drains run one at a time). */
  private draining: Promise<void> = Promise.resolve();

  constructor(
    readonly view: ModelView,
    private readonly config: Partial<ActivityConfig>,
    options: ObserverStreamOptions = {},
  ) {
    this.log = new ViewLog<ModelView>(view);
    this.batchRows = options.batchRows ?? STREAM_BATCH_ROWS;
    const perDevice = options.samplePerDevice ?? SAMPLE_PER_DEVICE;
    this.sample = perDevice > 0 ? new DeviceSample(view, perDevice) : null;
    this.chunks = options.categories === false ? null : new CategoryChunks(view);
    this.timing = new TimingBuilder(config);
    this.deviceRowsOnly = options.deviceRowsOnly ?? false;
    this.onLabelled = options.onLabelled ?? null;
  }

  add(vp: ViewPacket): void {
    this.log.add(vp);
  }

  /** A new capture segment: features restart and the model's runs are cut here. */
  startSegment(segment: number): void {
    this.log.startSegment(segment);
  }

  /** Cuts the model's runs here, the features going on. */
  startRun(segment: number): void {
    this.log.startRun(segment);
  }

  /** Takes a packet into the features' state without a row (views/what-ifs sampling). */
  observe(vp: ViewPacket): void {
    this.log.observe(vp);
  }

  /** Rows added so far, labelled or not. */
  get rows(): number {
    return this.labelledRows + this.log.rows;
  }

  /** Whether a full batch waits to be labelled. */
  get full(): boolean {
    return this.log.rows >= this.batchRows;
  }

  /**
   * Labels the full batches waiting (every row with `all`) with `identifier` and folds them in.
   * Drains run one after the other; rows added meanwhile wait for the next.
   */
  drain(identifier: DeviceIdentifier, all = false): Promise<void> {
    const next = this.draining.then(() => this.label(identifier, all));
    this.draining = next.catch(() => undefined);
    return next;
  }

  private async label(identifier: DeviceIdentifier, all: boolean): Promise<void> {
    const log = this.log;
    const b = this.batchRows;
    const n = all ? log.rows : Math.floor(log.rows / b) * b;
    if (n === 0) return;
    this.labels ??= new LabelledViewBuilder(identifier.labels.length, this.config);
    const labels = this.labels;
    log.hold();
    try {
      for (let from = 0; from < n; from += b) {
        const to = Math.min(n, from + b);
        const answers = this.deviceRowsOnly
          ? await labelNearDevices(identifier, log, from, to)
          : await identifier.labelRuns(
              log.features.subarray(from * log.width, to * log.width),
              to - from,
              log.runLengths(to, from),
              false,
              log.flow.subarray(from, to),
            );
        labels.add(log, answers, from);
        this.onLabelled?.(log, answers, from, to);
        this.timing.add(log, from, to);
        for (let i = from; i < to; i++) {
          this.chunks?.add(log, i);
          this.sample?.add(log, i);
        }
      }
    } finally {
      log.release();
    }
    log.consumeFront(n);
    this.labelledRows += n;
  }

  /** The model's answers so far (drain first); `end` closes the timelines for good. */
  labelled(end: boolean): LabelledView {
    return (
      this.labels?.result(end) ?? {
        packets: 0,
        timelines: new Map(),
        answers: new Map(),
        confidence: new Map(),
        best: new Map(),
        sizes: new Map(),
      }
    );
  }

  /** Each device's timeline from its own packets so far (drain first); `end` closes them for good. */
  timelines(end: boolean): Map<number, ActivityTimeline> {
    return this.timing.result(end);
  }

  /**
   * Lets go of the rows' buffers (the batch, the sample, the open hours) once the audit has read
   * what it needs; the answers, timelines and devices stay.
   */
  release(): void {
    this.sample = null;
    this.chunks = null;
    this.log.shrink();
  }

  /**
   * Each home device's answer from the wider catalog (keyed by the log's device index), from its
   * sampled rows and the host names `namesOf` gives for its MAC; empty without a catalog or a sample.
   */
  wideDecisions(
    catalog: WideCatalog | null,
    namesOf: (mac: string) => readonly string[],
  ): Map<number, WideDecision> {
    const out = new Map<number, WideDecision>();
    const sample = this.sample;
    if (catalog === null || sample === null) return out;
    const names = this.log.extractor.names;
    if (catalog.file.features.join() !== names.join())
      throw new Error(
        `wider catalog: it reads other features than the ${this.view} view gives (${catalog.file.features.length} against ${names.length}); rewrite it with npm run eval`,
      );
    for (let d = 0; d < this.log.macs.length; d++) {
      const rows = sample.logOf(d);
      const mac = this.log.macs[d];
      const packets = sample.packetsOf(mac);
      out.set(
        d,
        rows === undefined
          ? catalog.decide(new Float32Array(0), [], [], [], packets)
          : catalog.decide(
              rows.features,
              rows.direction.subarray(0, rows.rows),
              rows.size.subarray(0, rows.rows),
              namesOf(mac),
              packets,
            ),
      );
    }
    return out;
  }

  /** Each device's category decision (keyed by the log's device index). */
  categories(model: CategoryModel | null): Map<number, CategoryDecision> {
    return this.chunks?.decisions(model) ?? new Map<number, CategoryDecision>();
  }
}
