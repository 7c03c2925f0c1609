/**
 * Exposure measures: what one observer's labelled packets say about each device — the share of
 * its packets the observer's model names as its class (identity exposure), and how well the
 * observer's timeline of that class follows what the device really did (activity exposure) —
 * and the time the capture covers, over which both are scored.
 */
import type { ActivityConfig } from '../activity/activity-config.ts';
import type { ActivityTimeline } from '../activity/activity-timeline.ts';
import { HomeActivity } from '../activity/home-activity.ts';
import { timelineAgreement, type CoveredTime } from '../activity/timeline-agreement.ts';
import { isDeviceMac } from '../devices/address-scope.ts';
import type { DeviceRecord, InventorySnapshot } from '../devices/device-record.ts';
import { deviceChunks, summarize, summaryColumns } from '../features/device-summary.ts';
import { decideCategory, type CategoryDecision, type CategoryModel } from '../inference/device-category.ts';
import { CATALOG_MIN_COVERAGE, CATALOG_MIN_PACKETS, CATALOG_MIN_SHARE } from '../inference/catalog-test.ts';
import type { DeviceIdentifier } from '../inference/device-identifier.ts';
import type { WideCatalog, WideDecision } from '../inference/wide-catalog.ts';
import { classOfDevice, sizeKey, type ModelView } from '../inference/model-manifest.ts';
import type { CatalogEvidence } from '../shared/audit-types.ts';
import { UNKNOWN_LABEL, type PacketLabels } from '../inference/window-stitching.ts';
import type { Direction } from '../views/view-packet.ts';
import {
  MIN_PACKETS_FOR_AVERAGE,
  OBSERVER_NAMES,
  type ActivityExposure,
  type DeviceAudit,
  type IdentityExposure,
  type ObserverAudit,
  type ObserverDeviceAudit,
} from './audit-types.ts';
import type { FileSummary } from './capture-analysis.ts';
import type { ViewLog } from './view-log.ts';

export const EMPTY_TIMELINE: ActivityTimeline = {
  start: 0,
  end: 0,
  segments: [],
  spans: [],
  droppedSegments: 0,
  droppedSpans: 0,
};

/** Gaps between capture files shorter than this are inside one covered stretch (as capture-analysis segments). */
const COVERAGE_GAP_SECONDS = 300;

/** The time the capture files cover: their [first, last packet] spans, merged across short gaps. */
export function captureCoverage(files: readonly FileSummary[]): CoveredTime[] {
  const spans = files
    .filter((f) => f.firstTs !== null)
    .map((f) => ({ start: f.firstTs!, end: (f.lastTs ?? f.firstTs!) + 1 }))
    .sort((a, b) => a.start - b.start);
  const out: CoveredTime[] = [];
  for (const s of spans) {
    const last = out.at(-1);
    if (last !== undefined && s.start <= last.end + COVERAGE_GAP_SECONDS)
      last.end = Math.max(last.end, s.end);
    else out.push({ ...s });
  }
  return out;
}

/** Which home devices count: unicast MACs that are not the gateway or an infrastructure row of the labels. */
export function auditedDevices(inventory: InventorySnapshot): DeviceRecord[] {
  return inventory.devices.filter(
    (d) => d.role === 'device' && isDeviceMac(d.mac) && d.label?.infrastructure !== true,
  );
}

function busySeconds(t: ActivityTimeline): number {
  return t.segments.filter((s) => s.state === 'busy').reduce((a, s) => a + s.end - s.start, 0);
}

/**
 * Activity exposure of one device: its truth against the observer's timeline of its class, scored
 * only where the capture covers (default: everywhere).
 */
export function activityExposure(
  truth: ActivityTimeline,
  inferred: ActivityTimeline | null,
  coverage?: readonly CoveredTime[],
): ActivityExposure {
  const observed = inferred ?? EMPTY_TIMELINE;
  const a = timelineAgreement(truth, observed, { coverage });
  const busy = observed.segments.filter((s) => s.state === 'busy');
  const spans = truth.spans.filter((s) => !s.routine);
  const seen = spans.filter((s) => busy.some((b) => b.start < s.binEnd && s.binStart < b.end)).length;
  const truthBusy = truth.segments.filter((s) => s.state === 'busy');
  const falseBusy = busy.filter((b) => !truthBusy.some((t) => t.start < b.end && b.start < t.end)).length;
  const days =
    (coverage === undefined || coverage.length === 0
      ? Math.max(0, truth.end - truth.start)
      : coverage.reduce((sum, c) => sum + c.end - c.start, 0)) / 86_400;
  return {
    agreement: a.agreement,
    busyRecall: a.busy.recall,
    busyPrecision: a.busy.precision,
    busyF1: a.busy.f1,
    truthBusySeconds: busySeconds(truth),
    inferredBusySeconds: busySeconds(observed),
    spansSeen: seen,
    spansTotal: spans.length,
    falseBusyPerDay: days <= 0 ? 0 : falseBusy / Math.max(days, 1 / 24),
  };
}

/** The observer's answers about one view log's packets: its timelines per answer, and per-device counts. */
export interface LabelledView {
  /** Packets labelled. */
  packets: number;
  /** Timelines keyed by the model's answer (class index, or UNKNOWN_LABEL). */
  timelines: Map<number, ActivityTimeline>;
  /** answers[device][class or classes for unknown] */
  answers: Map<number, Float64Array>;
  confidence: Map<number, Float64Array>;
  /** best[device][class]: the model's argmax answers, before the unknown rule. */
  best: Map<number, Float64Array>;
  /** sizes[device]: packets per (direction, frame size) key (`sizeKey`). */
  sizes: Map<number, Map<number, number>>;
}

/** The catalog's device-level test (inference/catalog-test.ts), as the audit applies it. */
export { CATALOG_MIN_COVERAGE, CATALOG_MIN_PACKETS, CATALOG_MIN_SHARE };

/**
 * Whether a device the catalog recognised is what it was recognised as: with labels, only when
 * its own class is the one recognised (a device of a kind the models do not know — `lookalike` —
 * never is); without labels it cannot be told, and the recognition stands.
 */
export function rightlyRecognised(id: IdentityExposure): boolean {
  if (id.evidence !== 'recognised' || id.topModelClass === null) return false;
  if (id.classSource === 'labels' || id.classSource === 'platform') return id.className === id.topModelClass;
  return id.classSource !== 'lookalike';
}

/** How many of an observer's devices its catalog rightly recognises. */
export function recognisedCount(rows: readonly { identity: IdentityExposure }[]): number {
  let n = 0;
  for (const r of rows) if (rightlyRecognised(r.identity)) n++;
  return n;
}

/**
 * The views whose catalog rightly recognises at least one device: only there do the what-ifs'
 * recognition figures (over the recognised devices) measure anything.
 */
export function recognisingViews(audit: { observers: readonly ObserverAudit[] }): Set<ModelView> {
  return new Set(audit.observers.filter((o) => recognisedCount(o.devices) > 0).map((o) => o.view));
}

export function catalogEvidence(packets: number, topShare: number, coverage: number | null): CatalogEvidence {
  return packets >= CATALOG_MIN_PACKETS &&
    topShare >= CATALOG_MIN_SHARE &&
    coverage !== null &&
    coverage >= CATALOG_MIN_COVERAGE
    ? 'recognised'
    : 'not-recognised';
}

/**
 * A LabelledView folded together batch by batch as an observer's rows are labelled: per answer a
 * timeline, per device counts (bounded by classes and frame sizes), nothing per packet.
 */
export class LabelledViewBuilder {
  private readonly home: HomeActivity;
  private readonly answers = new Map<number, Float64Array>();
  private readonly confidence = new Map<number, Float64Array>();
  private readonly best = new Map<number, Float64Array>();
  private readonly sizes = new Map<number, Map<number, number>>();
  private packets = 0;

  constructor(
    readonly classes: number,
    config: Partial<ActivityConfig>,
  ) {
    this.home = new HomeActivity(config);
  }

  /** Takes in rows `from`.. of `log`, one for each of `labels`. */
  add(
    log: Pick<ViewLog, 'tunnel' | 'ts' | 'size' | 'direction' | 'device' | 'mark'>,
    labels: PacketLabels,
    from = 0,
  ): void {
    const classes = this.classes;
    const n = labels.labelIndex.length;
    this.packets += n;
    for (let j = 0; j < n; j++) {
      const i = from + j;
      // the tunnel's own keepalives and handshakes are the tunnel's, never a device's
      if (log.tunnel[i] === 1) continue;
      const answer = labels.labelIndex[j];
      // a refusal is no volume, but the attempt it refuses may have got another answer: it stays
      const mark = log.mark[i] > 0 ? 0 : log.mark[i];
      this.home.push(answer, log.ts[i], log.size[i], log.direction[i] as Direction, mark);
      const d = log.device[i];
      if (d < 0) continue;
      let a = this.answers.get(d);
      let c = this.confidence.get(d);
      let b = this.best.get(d);
      let z = this.sizes.get(d);
      if (a === undefined || c === undefined || b === undefined || z === undefined) {
        a = new Float64Array(classes + 1);
        c = new Float64Array(classes + 1);
        b = new Float64Array(classes);
        z = new Map();
        this.answers.set(d, a);
        this.confidence.set(d, c);
        this.best.set(d, b);
        this.sizes.set(d, z);
      }
      const k = answer === UNKNOWN_LABEL ? classes : answer;
      a[k]++;
      c[k] += labels.confidence[j];
      b[labels.bestIndex[j]]++;
      const key = sizeKey(log.direction[i], log.size[i]);
      z.set(key, (z.get(key) ?? 0) + 1);
    }
  }

  /** What was taken in so far; `end` closes the timelines at the last packet (no rows may follow). */
  result(end: boolean): LabelledView {
    if (end) this.home.flush();
    return {
      packets: this.packets,
      timelines: this.home.timelines(),
      answers: this.answers,
      confidence: this.confidence,
      best: this.best,
      sizes: this.sizes,
    };
  }
}

export function labelView(
  log: ViewLog,
  labels: PacketLabels,
  classes: number,
  config: Partial<ActivityConfig>,
): LabelledView {
  const builder = new LabelledViewBuilder(classes, config);
  builder.add(log, labels);
  return builder.result(true);
}

/**
 * Each device's timeline from its own packets in an observer's view (keyed by the log's device
 * index): what an observer that attributes the device's traffic (the in-home observer's identity)
 * sees of its activity, from timing and sizes alone, whatever a model's labels say. Packets of no
 * device that are not the tunnel's own (cover traffic a defence adds) count for every device: an
 * observer cannot tell them from the device's own. The tunnel's messages count for none.
 */
export class TimingBuilder {
  private readonly home: HomeActivity;

  constructor(config: Partial<ActivityConfig>) {
    this.home = new HomeActivity(config);
  }

  /** Takes in rows [from, to) of `log` (a packet of no device counts for every device known so far). */
  add(
    log: Pick<ViewLog, 'tunnel' | 'ts' | 'size' | 'direction' | 'device' | 'macs' | 'mark'>,
    from: number,
    to: number,
  ): void {
    const home = this.home;
    for (let i = from; i < to; i++) {
      if (log.tunnel[i] === 1) continue;
      const d = log.device[i];
      const dir = log.direction[i] as Direction;
      if (d >= 0) home.push(d, log.ts[i], log.size[i], dir, log.mark[i]);
      else for (let x = 0; x < log.macs.length; x++) home.push(x, log.ts[i], log.size[i], dir);
    }
  }

  /** The timelines so far; `end` closes them at the last packet (no rows may follow). */
  result(end: boolean): Map<number, ActivityTimeline> {
    if (end) this.home.flush();
    return this.home.timelines();
  }
}

export function timingTimelines(
  log: ViewLog,
  config: Partial<ActivityConfig>,
): Map<number, ActivityTimeline> {
  const builder = new TimingBuilder(config);
  builder.add(log, 0, log.rows);
  return builder.result(true);
}

/** What the model said of one device's packets (LabelledView's rows of it). */
export interface DeviceAnswers {
  answers: Float64Array | undefined;
  confidence: Float64Array | undefined;
  best: Float64Array | undefined;
  sizes: ReadonlyMap<number, number> | undefined;
}

/**
 * `vendor`: the assignee of the device's MAC block (the inventory's), so that a labelled device of
 * a kind the models do not know, whose module is a platform's the catalog has a class for, is
 * judged against that platform's class (`classSource` 'platform') rather than as a look-alike.
 */
export function identityOf(
  identifier: DeviceIdentifier,
  said: DeviceAnswers,
  trueLabel: string | null,
  vendor: string | null = null,
): IdentityExposure {
  const { answers, confidence, best, sizes } = said;
  const classes = identifier.labels;
  const c = classes.length;
  const packets = answers === undefined ? 0 : answers.reduce((x, y) => x + y, 0);
  if (answers === undefined || confidence === undefined || packets === 0) {
    return {
      packets: 0,
      className: null,
      classSource: null,
      recognisedShare: 0,
      unknownShare: 0,
      topLabel: null,
      topShare: 0,
      meanConfidence: 0,
      evidence: 'not-recognised',
      topModelClass: null,
      topModelShare: 0,
      platform: null,
      profileCoverage: null,
      category: null,
      recognisedBy: null,
      wide: null,
    };
  }
  let top = 0;
  for (let k = 1; k <= c; k++) if (answers[k] > answers[top]) top = k;
  let bestKnown = 0;
  for (let k = 1; k < c; k++) if (answers[k] > answers[bestKnown]) bestKnown = k;
  // the device-level test, on the model's own top answer
  let topModel = 0;
  if (best !== undefined) for (let k = 1; k < c; k++) if (best[k] > best[topModel]) topModel = k;
  const platform = best === undefined ? undefined : identifier.model.labelPlatforms.get(classes[topModel]);
  let fromLabels = trueLabel === null ? null : classOfDevice(identifier.model, trueLabel);
  // a device the models do not know, on the module of a platform they have a class for
  const ofPlatform =
    fromLabels === null && trueLabel !== null && platform !== undefined && vendor === platform.macAssignee;
  if (ofPlatform) fromLabels = classes[topModel];
  const cls = fromLabels !== null ? classes.indexOf(fromLabels) : answers[bestKnown] > 0 ? bestKnown : -1;
  const topModelShare = best === undefined ? 0 : best[topModel] / packets;
  const profile = identifier.model.sizeProfile?.get(classes[topModel]);
  let covered = 0;
  if (profile !== undefined && sizes !== undefined)
    for (const [key, n] of sizes) if (profile.has(key)) covered += n;
  const profileCoverage = profile === undefined || sizes === undefined ? null : covered / packets;
  const evidence = catalogEvidence(packets, topModelShare, profileCoverage);
  return {
    packets,
    className: cls < 0 ? null : classes[cls],
    classSource:
      cls < 0
        ? null
        : ofPlatform
          ? 'platform'
          : fromLabels !== null
            ? 'labels'
            : trueLabel !== null
              ? 'lookalike'
              : 'model',
    recognisedShare: cls < 0 ? 0 : answers[cls] / packets,
    unknownShare: answers[c] / packets,
    topLabel: top === c ? 'unknown' : classes[top],
    topShare: answers[top] / packets,
    meanConfidence: cls < 0 || answers[cls] === 0 ? 0 : confidence[cls] / answers[cls],
    evidence,
    topModelClass: best === undefined ? null : classes[topModel],
    topModelShare,
    platform: platform?.platform ?? null,
    profileCoverage,
    category: null,
    recognisedBy: evidence === 'recognised' ? 'models' : null,
    wide: null,
  };
}

/**
 * Each home device's category decision (inference/device-category.ts) from its own packets in the
 * log (tunnel messages left out), keyed by the log's device index; empty without a category model.
 * One pass over the log, then hourly summaries: memory follows the device's chunks, not its packets.
 */
export function categoryDecisions(
  model: CategoryModel | null,
  log: Pick<
    ViewLog,
    'rows' | 'tunnel' | 'device' | 'ts' | 'segment' | 'size' | 'direction' | 'features' | 'width'
  > & {
    extractor: { names: readonly string[] };
  },
): Map<number, CategoryDecision> {
  const out = new Map<number, CategoryDecision>();
  if (model === null) return out;
  const byDevice = new Map<number, number[]>();
  for (let i = 0; i < log.rows; i++) {
    const d = log.device[i];
    if (d < 0 || log.tunnel[i] === 1) continue;
    const list = byDevice.get(d);
    if (list === undefined) byDevice.set(d, [i]);
    else list.push(i);
  }
  const columns = summaryColumns(log.extractor.names);
  const width = model.file.features.length;
  for (const [d, rows] of byDevice) {
    rows.sort((a, b) => log.ts[a] - log.ts[b] || a - b);
    const chunks = deviceChunks(rows, log.ts, log.segment);
    const x = new Float32Array(chunks.length * width);
    chunks.forEach((chunk, i) => summarize(log, chunk, columns, x, i * width));
    out.set(d, model.decide(x, chunks.length, rows.length));
  }
  return out;
}

/** The evidence level once the category model has spoken: a catalog recognition stands; else a decided category "looks like". */
export function withCategory(id: IdentityExposure, category: CategoryDecision | null): IdentityExposure {
  const evidence: CatalogEvidence =
    id.evidence === 'recognised'
      ? 'recognised'
      : category?.category != null
        ? 'looks-like'
        : 'not-recognised';
  return { ...id, category, evidence };
}

/** The host names each device looked up or opened TLS to, by MAC (what the wider catalog's name test reads). */
export function hostNamesByMac(devices: readonly DeviceAudit[]): (mac: string) => string[] {
  const names = new Map(devices.map((d) => [d.mac, [...d.dnsNames, ...d.sniNames]]));
  return (mac) => names.get(mac) ?? [];
}

/**
 * The evidence once the wider catalog has spoken (inference/wide-catalog.ts): the bundled models'
 * recognition stands; else a kind it names is the recognition, its class judged against the
 * device's labels through the catalog's members (a labelled device of a kind it does not have is a
 * look-alike, as with the models).
 */
export function withWideCatalog(
  id: IdentityExposure,
  decision: WideDecision | null,
  catalog: WideCatalog | null,
  trueLabel: string | null,
): IdentityExposure {
  if (decision === null || catalog === null) return id;
  if (id.evidence === 'recognised' || decision.kind === null) return { ...id, wide: decision };
  const own = trueLabel === null ? null : catalog.kindOf(trueLabel);
  return {
    ...id,
    className: own ?? decision.kind,
    classSource: own !== null ? 'labels' : trueLabel !== null ? 'lookalike' : 'model',
    recognisedShare: own === null || own === decision.kind ? decision.share : 0,
    evidence: 'recognised',
    topModelClass: decision.kind,
    topModelShare: decision.share,
    platform: null,
    profileCoverage: decision.coverage,
    recognisedBy: 'wide',
    wide: decision,
  };
}

/** The busy spans (routine ones left out) of every device an observer's timelines show, and all of them. */
export function spansSeenOf(rows: readonly { activity: ActivityExposure }[]): {
  seen: number;
  total: number;
} {
  return {
    seen: rows.reduce((a, r) => a + r.activity.spansSeen, 0),
    total: rows.reduce((a, r) => a + r.activity.spansTotal, 0),
  };
}

export function mean(values: readonly number[]): number {
  return values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length;
}

/** The parts of `coverage` from `start` on. */
export function coverageFrom(coverage: readonly CoveredTime[], start: number): CoveredTime[] {
  return coverage.filter((c) => c.end > start).map((c) => ({ start: Math.max(c.start, start), end: c.end }));
}

/** A device's identity exposure in one labelled view log. */
export function deviceIdentity(
  identifier: DeviceIdentifier,
  log: ViewLog<ModelView>,
  labelled: LabelledView,
  d: DeviceAudit,
): IdentityExposure {
  const index = log.indexOfMac(d.mac);
  return identityOf(
    identifier,
    {
      answers: labelled.answers.get(index),
      confidence: labelled.confidence.get(index),
      best: labelled.best.get(index),
      sizes: labelled.sizes.get(index),
    },
    d.trueLabel,
    d.vendor,
  );
}

export function observerAudit(
  view: ModelView,
  identifier: DeviceIdentifier,
  log: ViewLog<ModelView>,
  labelled: LabelledView,
  devices: readonly DeviceAudit[],
  coverage: readonly CoveredTime[],
  timing: ReadonlyMap<number, ActivityTimeline>,
  categories: ReadonlyMap<number, CategoryDecision>,
  wide: ReadonlyMap<number, WideDecision> = new Map(),
): ObserverAudit {
  const rows: ObserverDeviceAudit[] = devices.map((d) => {
    const decision = categories.get(log.indexOfMac(d.mac)) ?? null;
    const identity = withWideCatalog(
      withCategory(
        deviceIdentity(identifier, log, labelled, d),
        identifier.category === null
          ? null
          : (decision ?? decideCategory(new Float32Array(0), 0, 0, identifier.category.file.threshold)),
      ),
      identifier.wide === null
        ? null
        : (wide.get(log.indexOfMac(d.mac)) ?? identifier.wide.decide(new Float32Array(0), [], [], [], 0)),
      identifier.wide,
      d.trueLabel,
    );
    const cls = identity.className === null ? -1 : identifier.labels.indexOf(identity.className);
    const inferred = cls < 0 ? null : (labelled.timelines.get(cls) ?? null);
    const own = timing.get(log.indexOfMac(d.mac)) ?? null;
    return {
      mac: d.mac,
      identity,
      activity: activityExposure(d.truth, own, coverage),
      labelActivity: activityExposure(d.truth, inferred, coverage),
      inferred: own,
    };
  });
  const counted = rows.filter((r) => r.identity.packets >= MIN_PACKETS_FOR_AVERAGE);
  return {
    view,
    observer: OBSERVER_NAMES[view],
    modelId: identifier.model.id,
    labels: identifier.labels,
    unknownThreshold: identifier.model.unknownThreshold,
    packets: labelled.packets,
    devices: rows,
    // recognition is the catalog's only where it recognises the device: a look-alike's share is none
    meanRecognisedShare: mean(
      counted.filter((r) => rightlyRecognised(r.identity)).map((r) => r.identity.recognisedShare),
    ),
    meanAgreement: mean(counted.map((r) => r.activity.agreement)),
    inHome: null,
  };
}
