/**
 * The observer trained on your own home: the paper's threat made concrete for any capture, with
 * no catalog. An ISP (or VPN carrier) that has labelled traffic of the same device models can
 * learn them; here the LAN view knows which device sent every packet of the observer's view (by
 * MAC), so a classifier trained on the earlier half of the capture's packets and tested on the
 * later half (a split in time, never by packet: neighbouring packets would leak) measures how
 * much of each device's traffic such an observer names correctly. Each device's packets are split at
 * its own median time, so a device that was captured in another file than the others (a set of
 * captures of one home made at different times) is still measured on its own later traffic; an
 * observer needs at least two devices to tell apart, so a home with one measurable device gets
 * no number.
 *
 * Bounds (what the person's machine pays, whatever the capture's length): the audit keeps a
 * uniform sample of at most SAMPLE_PER_DEVICE rows of each device as its packets are read
 * (audit/observer-stream.ts), each device's split is the median time of its sample, and at most
 * TRAIN_PER_DEVICE training and TEST_PER_DEVICE test packets per device are drawn from it at
 * random on each side of the split (seeded: the same capture gives the same numbers); the packets
 * before and after the split are reported for the whole capture. The forest
 * (inference/histogram-forest.ts) trains in a worker thread. A device with fewer than
 * MIN_TRAIN_PACKETS before the split or MIN_TEST_PACKETS after it is "not enough traffic to tell".
 *
 * The interval is a 95 % bootstrap interval over the minutes holding test traffic of the device
 * (packets of one minute are not independent draws: `minuteBootstrap`), so a device seen in a few bursts
 * gets a wide one. Units of one model (three identical cameras) are one kind to an outsider:
 * devices of the same vendor one of which the observer takes for the other for at least
 * KIND_CONFUSION of its packets (merged transitively) are reported as one kind too.
 */
import { ForestCancelled, trainAndPredict } from '../inference/forest-runner.ts';
import type { ForestOptions } from '../inference/histogram-forest.ts';
import type { ModelView } from '../inference/model-manifest.ts';
import type { InHomeDevice, InHomeKind, InHomeObserver } from './audit-types.ts';
import type { ViewLog } from './view-log.ts';
import { mulberry32 } from '../views/seeded-random.ts';

export const TRAIN_PER_DEVICE = 4000;
export const TEST_PER_DEVICE = 4000;
export const MIN_TRAIN_PACKETS = 100;
export const MIN_TEST_PACKETS = 50;
/** Share of a device's test packets named as another device that makes the two one kind (same vendor). */
export const KIND_CONFUSION = 0.25;
/** Packets of the view that belong to no home device (a tunnel's keepalives): sampled as their own class. */
export const OTHER_PER_SIDE = 2000;
/** Flows with fewer sampled test packets than this are not scored per flow. */
const MIN_FLOW_PACKETS = 3;

export const IN_HOME_FOREST: ForestOptions = { trees: 60, maxDepth: 16, minLeaf: 2, seed: 7 };

export interface InHomeRequest {
  view: ModelView;
  log: ViewLog<ModelView>;
  /** Vendor of each home device (by MAC): kinds only merge devices of one vendor. */
  vendorOf: (mac: string) => string;
  /** MACs of the devices to report (the audit's devices). */
  devices: readonly string[];
  onProgress?: (fraction: number) => void;
  signal?: AbortSignal;
  forest?: ForestOptions;
  /** Training packets per device (default TRAIN_PER_DEVICE; for experiments). */
  trainPerDevice?: number;
  /**
   * When `log` is a uniform sample of each device's rows (audit/observer-stream.ts DeviceSample):
   * the rows of the device (by MAC) it was drawn from, so that the packets before and after the
   * split are reported for the whole capture. The split itself is then the sample's median time.
   */
  packetsOf?: (mac: string) => number;
}

/** Up to `k` of `items`, uniformly at random (reservoir sampling), in their original order. */
export function sample(items: readonly number[], k: number, random: () => number): number[] {
  if (items.length <= k) return [...items];
  const out = items.slice(0, k);
  for (let i = k; i < items.length; i++) {
    const j = Math.floor(random() * (i + 1));
    if (j < k) out[j] = items[i];
  }
  return out.sort((a, b) => a - b);
}

/** 95 % Wilson score interval of a share `p` measured on `n` independent draws. */
export function wilson(p: number, n: number): [number, number] {
  if (n <= 0) return [0, 1];
  const z = 1.96;
  const d = 1 + (z * z) / n;
  const centre = (p + (z * z) / (2 * n)) / d;
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / d;
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

/** Rows of `log` per home device (-1: packets of no device), in time order. */
function rowsByDevice(log: ViewLog<ModelView>): Map<number, number[]> {
  const out = new Map<number, number[]>();
  for (let i = 0; i < log.rows; i++) {
    const d = log.device[i];
    const list = out.get(d);
    if (list === undefined) out.set(d, [i]);
    else list.push(i);
  }
  for (const rows of out.values()) rows.sort((a, b) => log.ts[a] - log.ts[b] || a - b);
  return out;
}

/**
 * Features that only grow over a long-lived connection (packets, bytes and age of the packet's
 * flow so far): the later half of a capture has values the earlier half never had, so a forest
 * trained across a split in time would learn the clock, not the device. Left out of the in-home
 * observer's features (the bundled models, trained on interleaved blocks, keep them).
 */
export const CUMULATIVE_FEATURES: ReadonlySet<string> = new Set(['flow_packets', 'flow_bytes', 'flow_age']);

/** Indices of the log's feature columns the in-home observer learns from. */
function learnedColumns(log: ViewLog<ModelView>): number[] {
  return log.extractor.names.flatMap((name, i) => (CUMULATIVE_FEATURES.has(name) ? [] : [i]));
}

function gather(log: ViewLog<ModelView>, rows: readonly number[], columns: readonly number[]): Float32Array {
  const w = log.width;
  const out = new Float32Array(rows.length * columns.length);
  let o = 0;
  for (const row of rows) for (const c of columns) out[o++] = log.features[row * w + c];
  return out;
}

/** Resamples of the minute bootstrap. */
const BOOTSTRAP_ROUNDS = 400;

/**
 * 95 % interval of a share measured over minutes of traffic: the minutes are resampled (packets of
 * one minute are not independent draws, and minutes hold very different numbers of packets), the
 * packet-weighted share computed for each of BOOTSTRAP_ROUNDS resamples, and the 2.5th and 97.5th
 * percentiles taken; seeded, so the same capture gives the same interval. With one minute it is
 * the Wilson interval of that minute's share counting it as one draw.
 */
export function minuteBootstrap(minutes: readonly { right: number; all: number }[]): [number, number] {
  const total = minutes.reduce((a, m) => a + m.all, 0);
  const right = minutes.reduce((a, m) => a + m.right, 0);
  if (minutes.length < 2 || total === 0) return wilson(total === 0 ? 0 : right / total, minutes.length);
  const random = mulberry32(0xb007 ^ minutes.length ^ total);
  const shares: number[] = [];
  for (let r = 0; r < BOOTSTRAP_ROUNDS; r++) {
    let a = 0;
    let n = 0;
    for (let i = 0; i < minutes.length; i++) {
      const m = minutes[Math.floor(random() * minutes.length)];
      a += m.right;
      n += m.all;
    }
    shares.push(n === 0 ? 0 : a / n);
  }
  shares.sort((x, y) => x - y);
  return [
    shares[Math.floor(0.025 * (BOOTSTRAP_ROUNDS - 1))],
    shares[Math.ceil(0.975 * (BOOTSTRAP_ROUNDS - 1))],
  ];
}

/** Scores of one group of devices (one device, or a kind): answers in `members` count as correct. */
function score(
  rows: readonly number[],
  answers: Int32Array,
  rowOf: Map<number, number>,
  log: ViewLog<ModelView>,
  members: ReadonlySet<number>,
): { share: number; interval: [number, number]; minutes: number; perFlow: number | null; flows: number } {
  let correct = 0;
  const minutes = new Map<number, { right: number; all: number }>();
  const flows = new Map<string, { right: number; all: number }>();
  for (const row of rows) {
    const ok = members.has(answers[rowOf.get(row)!]);
    if (ok) correct++;
    const minute = Math.floor(log.ts[row] / 60);
    const m = minutes.get(minute) ?? { right: 0, all: 0 };
    m.all++;
    if (ok) m.right++;
    minutes.set(minute, m);
    if (log.flow[row] >= 0) {
      const key = `${log.segment[row]}:${log.flow[row]}`;
      const f = flows.get(key) ?? { right: 0, all: 0 };
      f.all++;
      if (ok) f.right++;
      flows.set(key, f);
    }
  }
  const share = rows.length === 0 ? 0 : correct / rows.length;
  const scored = [...flows.values()].filter((f) => f.all >= MIN_FLOW_PACKETS);
  const right = scored.filter((f) => f.right * 2 > f.all).length;
  return {
    share,
    interval: minuteBootstrap([...minutes.values()]),
    minutes: minutes.size,
    perFlow: scored.length === 0 ? null : right / scored.length,
    flows: scored.length,
  };
}

/**
 * Trains the in-home observer of one view and measures it; null when the log has no device
 * packets. Throws ForestCancelled when `signal` aborts.
 */
export async function measureInHomeObserver(request: InHomeRequest): Promise<InHomeObserver | null> {
  const { log, view } = request;
  const t0 = Date.now();
  log.hold();
  try {
    const byDevice = rowsByDevice(log);
    if ([...byDevice.keys()].every((d) => d < 0)) return null;
    const random = mulberry32(0x1e4e ^ log.rows);
    // each device's rows (and those of no device) on each side of its own median time
    const before = new Map<number, number[]>();
    const after = new Map<number, number[]>();
    const splits: number[] = [];
    for (const [d, rows] of byDevice) {
      const at = log.ts[rows[Math.floor(rows.length / 2)]];
      if (d >= 0) splits.push(at);
      before.set(
        d,
        rows.filter((i) => log.ts[i] < at),
      );
      after.set(
        d,
        rows.filter((i) => log.ts[i] >= at),
      );
    }
    splits.sort((a, b) => a - b);
    const splitAt = splits.length === 0 ? 0 : splits[Math.floor(splits.length / 2)];
    const wanted = new Set(request.devices.map((m) => log.indexOfMac(m)).filter((d) => d >= 0));
    // classes: devices with enough training traffic, then "no device" when the view has such packets
    const classOf = new Map<number, number>();
    for (const d of [...wanted].sort((a, b) => a - b))
      if ((before.get(d)?.length ?? 0) >= MIN_TRAIN_PACKETS) classOf.set(d, classOf.size);
    // one device alone is nothing to tell apart: no class, no number
    const alone = classOf.size === 1;
    if (alone) classOf.clear();
    const otherClass =
      classOf.size > 0 && (before.get(-1)?.length ?? 0) >= MIN_TRAIN_PACKETS ? classOf.size : -1;
    const classes = classOf.size + (otherClass >= 0 ? 1 : 0);
    const trainRows: number[] = [];
    const labels: number[] = [];
    for (const [d, c] of classOf)
      for (const row of sample(before.get(d)!, request.trainPerDevice ?? TRAIN_PER_DEVICE, random)) {
        trainRows.push(row);
        labels.push(c);
      }
    if (otherClass >= 0)
      for (const row of sample(before.get(-1)!, OTHER_PER_SIDE, random)) {
        trainRows.push(row);
        labels.push(otherClass);
      }
    const testOf = new Map<number, number[]>();
    for (const d of wanted) {
      const rows = after.get(d) ?? [];
      if (classOf.has(d) && rows.length >= MIN_TEST_PACKETS)
        testOf.set(d, sample(rows, TEST_PER_DEVICE, random));
    }
    const testRows = [...testOf.values()].flat();
    const rowOf = new Map(testRows.map((row, i) => [row, i]));
    let answers = new Int32Array(0);
    let forestSeconds = 0;
    if (classes >= 2 && testRows.length > 0) {
      const columns = learnedColumns(log);
      const result = await trainAndPredict(
        {
          train: gather(log, trainRows, columns),
          trainRows: trainRows.length,
          labels: Int32Array.from(labels),
          classes,
          width: columns.length,
          test: gather(log, testRows, columns),
          testRows: testRows.length,
          options: request.forest ?? IN_HOME_FOREST,
        },
        (done, total) => request.onProgress?.(done / total),
        request.signal,
      );
      forestSeconds = result.trainSeconds + result.predictSeconds;
      answers = new Int32Array(testRows.length);
      const p = result.probabilities;
      for (let r = 0; r < testRows.length; r++) {
        let best = 0;
        for (let k = 1; k < classes; k++) if (p[r * classes + k] > p[r * classes + best]) best = k;
        answers[r] = best;
      }
    }
    const deviceOfClass = new Map([...classOf].map(([d, c]) => [c, d]));
    const devices: InHomeDevice[] = [];
    /** wrongInto[d][e]: share of d's test packets named as device e. */
    const wrongInto = new Map<number, Map<number, number>>();
    for (const mac of request.devices) {
      const d = log.indexOfMac(mac);
      const sampledBefore = d < 0 ? 0 : (before.get(d)?.length ?? 0);
      const sampledAfter = d < 0 ? 0 : (after.get(d)?.length ?? 0);
      const all = request.packetsOf?.(mac) ?? sampledBefore + sampledAfter;
      const sampled = sampledBefore + sampledAfter;
      const trainPackets = sampled === 0 ? 0 : Math.round((all * sampledBefore) / sampled);
      const testPackets = sampled === 0 ? 0 : all - trainPackets;
      const rows = testOf.get(d);
      if (rows === undefined || !classOf.has(d)) {
        devices.push({
          mac,
          trainPackets,
          testPackets,
          measured: false,
          unmeasured:
            alone && trainPackets >= MIN_TRAIN_PACKETS && testPackets >= MIN_TEST_PACKETS
              ? 'no-other-device'
              : 'too-little-traffic',
          recognisedShare: null,
          interval: null,
          minutes: 0,
          perFlow: null,
          flows: 0,
          mistakenFor: null,
          mistakenShare: 0,
        });
        continue;
      }
      const s = score(rows, answers, rowOf, log, new Set([classOf.get(d)!]));
      // its most frequent wrong answer
      const wrong = new Map<number, number>();
      for (const row of rows) {
        const a = answers[rowOf.get(row)!];
        if (a !== classOf.get(d)) wrong.set(a, (wrong.get(a) ?? 0) + 1);
      }
      let top = -1;
      for (const [a, n] of wrong) if (top < 0 || n > wrong.get(top)!) top = a;
      const topDevice = top < 0 ? undefined : deviceOfClass.get(top);
      const mistakenShare = top < 0 ? 0 : wrong.get(top)! / rows.length;
      const into = new Map<number, number>();
      for (const [a, n] of wrong) {
        const e = deviceOfClass.get(a);
        if (e !== undefined) into.set(e, n / rows.length);
      }
      wrongInto.set(d, into);
      devices.push({
        mac,
        trainPackets,
        testPackets,
        measured: true,
        unmeasured: null,
        recognisedShare: s.share,
        interval: s.interval,
        minutes: s.minutes,
        perFlow: s.perFlow,
        flows: s.flows,
        mistakenFor: top < 0 ? null : topDevice === undefined ? 'no device' : log.macs[topDevice],
        mistakenShare,
      });
    }
    // kinds: devices of one vendor that the observer mistakes for each other, merged transitively
    const kindOf = new Map<number, number>();
    const find = (d: number): number => {
      let r = d;
      while (kindOf.has(r) && kindOf.get(r) !== r) r = kindOf.get(r)!;
      return r;
    };
    for (const [d, into] of wrongInto)
      for (const [e, share] of into) {
        const back = wrongInto.get(e)?.get(d) ?? 0;
        if (
          Math.max(share, back) >= KIND_CONFUSION &&
          request.vendorOf(log.macs[d]) === request.vendorOf(log.macs[e])
        ) {
          const a = find(d);
          const b = find(e);
          kindOf.set(a, a);
          kindOf.set(b, a);
        }
      }
    const groups = new Map<number, number[]>();
    for (const d of testOf.keys()) {
      if (!kindOf.has(d)) continue;
      const root = find(d);
      groups.set(root, [...(groups.get(root) ?? []), d]);
    }
    const kinds: InHomeKind[] = [];
    for (const members of groups.values()) {
      if (members.length < 2) continue;
      const classesOfKind = new Set(members.map((d) => classOf.get(d)!));
      const s = score(
        members.flatMap((d) => testOf.get(d)!),
        answers,
        rowOf,
        log,
        classesOfKind,
      );
      kinds.push({
        macs: members.map((d) => log.macs[d]),
        recognisedShare: s.share,
        interval: s.interval,
        perFlow: s.perFlow,
      });
    }
    const measured = devices.filter((x) => x.measured);
    return {
      view,
      splitAt,
      trainRows: trainRows.length,
      testRows: testRows.length,
      classes,
      seconds: (Date.now() - t0) / 1000,
      forestSeconds,
      devices,
      kinds,
      meanRecognisedShare:
        measured.length === 0 ? null : measured.reduce((a, x) => a + x.recognisedShare!, 0) / measured.length,
    };
  } catch (error) {
    if (error instanceof ForestCancelled) throw error;
    throw new Error(`the in-home observer (${view}) failed: ${(error as Error).message}`, { cause: error });
  } finally {
    log.release();
  }
}
