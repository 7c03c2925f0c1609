/**
 * The privacy audit of a home from capture files: which devices there are, when each slept and
 * worked (the truth, from the LAN side), and what each outside observer can still tell — which
 * device each of its packets belongs to (identity exposure) and when each device was busy
 * (activity exposure) — with and without traffic defences. The CLI (`telltale analyze
 * --activity --findings`), the app and the report all read this one structure.
 *
 * One pass reads the captures through the LAN view and every observer view: the LAN packets give
 * each device's truth timeline (keyed by MAC, so no labels are needed), each observer view's
 * packets are labelled by that observer's default model, and the observer's timelines are built
 * per predicted class — what the observer can attribute to "a Nest camera". A device's activity
 * exposure compares its truth timeline with the observer's timeline of the class the device is
 * (from labels.csv when given, else the class the model gives most of its packets). Each defence
 * what-if is one more pass through one observer view with the defence applied.
 */
import { activityConfig, type ActivityConfig } from '../activity/activity-config.ts';
import type { ActivityTimeline } from '../activity/activity-timeline.ts';
import { HomeActivity } from '../activity/home-activity.ts';
import { timelineAgreement, type CoveredTime } from '../activity/timeline-agreement.ts';
import { isDeviceMac } from '../devices/address-scope.ts';
import type { DeviceRecord, InventorySnapshot } from '../devices/device-record.ts';
import type { GroundTruth } from '../devices/ground-truth.ts';
import { TrafficMetadata, type DeviceTrafficMetadata } from '../findings/traffic-metadata.ts';
import { DeviceIdentifier } from '../inference/device-identifier.ts';
import { classOfDevice, type ModelView } from '../inference/model-manifest.ts';
import { UNKNOWN_LABEL, type PacketLabels } from '../inference/window-stitching.ts';
import { DefendedStream, defenceId, describeDefence, type Defence } from '../views/defences.ts';
import type { TunnelProfileName } from '../views/tunnel-profiles.ts';
import { Direction, type ViewName, type ViewPacket } from '../views/view-packet.ts';
import { DeviceRates } from '../activity/device-rates.ts';
import {
  analyzeCaptures,
  type AnalysisProgress,
  type CaptureAnalysis,
  type CaptureAnalysisOptions,
  type FileSummary,
} from './capture-analysis.ts';
import { ViewLog } from './view-log.ts';

/** Who stands behind each observer view, for people. */
export const OBSERVER_NAMES: Readonly<Record<ModelView, string>> = {
  napt: 'your ISP',
  vpn: "your VPN's carrier",
};

/** Devices with fewer packets in a view than this are left out of that view's home averages. */
export const MIN_PACKETS_FOR_AVERAGE = 20;

export interface IdentityExposure {
  /** The device's packets in this observer's view. */
  packets: number;
  /**
   * The class the device is scored as: its labels.csv device (through the model's classes), or
   * the model's most frequent answer — `model` when the device's kind is not known (no labels),
   * `lookalike` when labels.csv names a device the model has no class for (the answer is then a
   * look-alike, not a recognition).
   */
  className: string | null;
  classSource: 'labels' | 'model' | 'lookalike' | null;
  /** Share of its packets the model names `className` (unknown rule applied). */
  recognisedShare: number;
  unknownShare: number;
  /** The model's most frequent answer for the device's packets ("unknown" included) and its share. */
  topLabel: string | null;
  topShare: number;
  /** Mean confidence of the answers that named `className`. */
  meanConfidence: number;
}

export interface ActivityExposure {
  /** Share of 10-s bins where the observer's timeline has the truth's state (the activity exposure). */
  agreement: number;
  busyRecall: number;
  busyPrecision: number;
  busyF1: number;
  truthBusySeconds: number;
  inferredBusySeconds: number;
  /** Busy spans of the truth (routine ones left out) that overlap a busy stretch of the observer's timeline. */
  spansSeen: number;
  spansTotal: number;
}

export interface ObserverDeviceAudit {
  mac: string;
  identity: IdentityExposure;
  activity: ActivityExposure;
  /** The observer's timeline of the device's class; null when the device has no class for it. */
  inferred: ActivityTimeline | null;
}

export interface ObserverAudit {
  view: ModelView;
  observer: string;
  modelId: string;
  labels: readonly string[];
  unknownThreshold: number;
  packets: number;
  devices: ObserverDeviceAudit[];
  /** Unweighted means over devices with at least MIN_PACKETS_FOR_AVERAGE packets in the view. */
  meanRecognisedShare: number;
  meanAgreement: number;
}

export interface DeviceAudit {
  mac: string;
  name: string;
  /** The name is one the person gave (it then comes before the labels.csv name). */
  nameIsUsers: boolean;
  vendor: string;
  /** labels.csv device and category, when given. */
  trueLabel: string | null;
  category: string | null;
  packets: number;
  bytes: number;
  /** What the device really did (LAN side). */
  truth: ActivityTimeline;
  /** DNS names it looked up and TLS server names it asked for (most frequent first). */
  dnsNames: string[];
  sniNames: string[];
  traffic: DeviceTrafficMetadata | null;
}

export interface WhatIfDevice {
  mac: string;
  recognisedShare: number;
  agreement: number;
  /** Share of the device's busy time the observer's timeline still shows busy with the defence. */
  busyRecall: number;
}

export interface WhatIf {
  id: string;
  view: ModelView;
  observer: string;
  defence: Defence;
  description: string;
  /** Extra bytes the defence costs, as a share of the undefended view's bytes. */
  costShare: number;
  extraBytes: number;
  dummyPackets: number;
  meanRecognisedShare: number;
  meanAgreement: number;
  devices: WhatIfDevice[];
}

export interface HomeAudit {
  files: FileSummary[];
  packets: number;
  /** Start and end of the captured time, and the stretches the capture covers in between. */
  start: number | null;
  end: number | null;
  coverage: CoveredTime[];
  inventory: InventorySnapshot;
  devices: DeviceAudit[];
  observers: ObserverAudit[];
  whatIfs: WhatIf[];
}

/** What the what-ifs read again: the captures, the defences to try, the audit's options. */
export interface WhatIfRequest {
  paths: readonly string[];
  defences: readonly Defence[];
  options: AuditOptions;
  /** Checked between defences: true ends the what-ifs early with those already run. */
  shouldStop?: () => boolean;
}

export interface AuditProgress {
  stage: string;
  /** 0..1 within the stage, when known. */
  fraction: number | null;
  packets: number;
}

export interface AuditOptions {
  /** The models folder; needed when there are observers. */
  modelsDir?: string;
  groundTruth?: GroundTruth | null;
  observers?: readonly ModelView[];
  vpnProfile?: TunnelProfileName;
  /** What-ifs to run (default none). */
  defences?: readonly Defence[];
  activity?: Partial<ActivityConfig>;
  onProgress?: (p: AuditProgress) => void;
}

const EMPTY_TIMELINE: ActivityTimeline = {
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
function auditedDevices(inventory: InventorySnapshot): DeviceRecord[] {
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
  return {
    agreement: a.agreement,
    busyRecall: a.busy.recall,
    busyPrecision: a.busy.precision,
    busyF1: a.busy.f1,
    truthBusySeconds: busySeconds(truth),
    inferredBusySeconds: busySeconds(observed),
    spansSeen: seen,
    spansTotal: spans.length,
  };
}

/** The observer's labels of one view log, its timelines per answer, and per-device counts. */
interface LabelledView {
  labels: PacketLabels;
  /** Timelines keyed by the model's answer (class index, or UNKNOWN_LABEL). */
  timelines: Map<number, ActivityTimeline>;
  /** answers[device][class or classes for unknown] */
  answers: Map<number, Float64Array>;
  confidence: Map<number, Float64Array>;
}

function labelView(
  log: ViewLog,
  labels: PacketLabels,
  classes: number,
  config: Partial<ActivityConfig>,
): LabelledView {
  const home = new HomeActivity<number>(config);
  const answers = new Map<number, Float64Array>();
  const confidence = new Map<number, Float64Array>();
  for (let i = 0; i < labels.labelIndex.length; i++) {
    const answer = labels.labelIndex[i];
    home.push(answer, log.ts[i], log.size[i], log.direction[i] as Direction);
    const d = log.device[i];
    if (d < 0) continue;
    let a = answers.get(d);
    let c = confidence.get(d);
    if (a === undefined || c === undefined) {
      a = new Float64Array(classes + 1);
      c = new Float64Array(classes + 1);
      answers.set(d, a);
      confidence.set(d, c);
    }
    const k = answer === UNKNOWN_LABEL ? classes : answer;
    a[k]++;
    c[k] += labels.confidence[i];
  }
  home.flush();
  return { labels, timelines: home.timelines(), answers, confidence };
}

function identityOf(
  identifier: DeviceIdentifier,
  answers: Float64Array | undefined,
  confidence: Float64Array | undefined,
  trueLabel: string | null,
): IdentityExposure {
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
    };
  }
  let top = 0;
  for (let k = 1; k <= c; k++) if (answers[k] > answers[top]) top = k;
  let bestKnown = 0;
  for (let k = 1; k < c; k++) if (answers[k] > answers[bestKnown]) bestKnown = k;
  const fromLabels = trueLabel === null ? null : classOfDevice(identifier.model, trueLabel);
  const cls = fromLabels !== null ? classes.indexOf(fromLabels) : answers[bestKnown] > 0 ? bestKnown : -1;
  return {
    packets,
    className: cls < 0 ? null : classes[cls],
    classSource: cls < 0 ? null : fromLabels !== null ? 'labels' : trueLabel !== null ? 'lookalike' : 'model',
    recognisedShare: cls < 0 ? 0 : answers[cls] / packets,
    unknownShare: answers[c] / packets,
    topLabel: top === c ? 'unknown' : classes[top],
    topShare: answers[top] / packets,
    meanConfidence: cls < 0 || answers[cls] === 0 ? 0 : confidence[cls] / answers[cls],
  };
}

function mean(values: readonly number[]): number {
  return values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length;
}

/** The audit and the file analysis of its first pass (device inventory, per-view counts, read errors). */
export interface AuditRun {
  audit: HomeAudit;
  analysis: CaptureAnalysis;
}

/**
 * The audit's first pass as something a packet pipeline feeds: pass `hooks()` to analyzeCaptures
 * (the CLI, a replay in the app), then `finish` with the analysis. While packets flow, `truth`
 * holds each device's timeline so far and `rates` its traffic per minute.
 */
export class HomeAuditCollector {
  readonly observers: readonly ModelView[];
  readonly config: ActivityConfig;
  readonly truth: HomeActivity<string>;
  readonly metadata = new TrafficMetadata();
  readonly rates = new DeviceRates();
  readonly logs: Map<ModelView, ViewLog<ModelView>>;

  /**
   * @param maxLogRows most packets each observer's log keeps (live sessions); beyond it the
   *   oldest rows are dropped and the observers' analysis covers the latest packets only.
   */
  constructor(
    observers: readonly ModelView[],
    activity: Partial<ActivityConfig> = {},
    maxLogRows = Infinity,
  ) {
    this.observers = observers;
    this.config = activityConfig(activity);
    this.truth = new HomeActivity<string>(this.config);
    this.logs = new Map(observers.map((v) => [v, new ViewLog<ModelView>(v, maxLogRows)]));
  }

  /** Views analyzeCaptures must run for the audit. */
  get views(): ViewName[] {
    return ['lan', ...this.observers];
  }

  hooks(): Required<Pick<CaptureAnalysisOptions, 'onPacket' | 'onViewPacket' | 'onSegmentStart'>> {
    return {
      onPacket: (pkt) => {
        this.metadata.observe(pkt);
      },
      onViewPacket: (view, vp) => {
        if (view === 'lan') this.addTruth(vp);
        else this.logs.get(view)?.add(vp);
      },
      onSegmentStart: (segment) => {
        for (const log of this.logs.values()) log.startSegment(segment);
      },
    };
  }

  /** A LAN packet counts for both of its ends inside the home, or for its home end when it crosses the router. */
  private addTruth(vp: ViewPacket): void {
    const inner = vp.inner;
    if (inner === null) return;
    if (vp.direction !== Direction.DOWN && inner.srcMac !== null) {
      this.truth.push(inner.srcMac, vp.ts, vp.size, vp.direction);
      this.rates.add(inner.srcMac, vp.ts, vp.size, vp.direction);
    }
    if (vp.direction !== Direction.UP && inner.dstMac !== null && inner.dstMac !== inner.srcMac) {
      this.truth.push(inner.dstMac, vp.ts, vp.size, vp.direction);
      this.rates.add(inner.dstMac, vp.ts, vp.size, vp.direction);
    }
  }

  /** The home's devices with their truth so far (timelines end at the latest packet once flushed). */
  devices(analysis: Pick<CaptureAnalysis, 'inventory'>): DeviceAudit[] {
    const inventory = analysis.inventory.toJSON();
    const meta = new Map(this.metadata.devicesMetadata().map((m) => [m.mac, m]));
    const truthTimelines = this.truth.timelines();
    return auditedDevices(inventory).map((d) => ({
      mac: d.mac,
      name: d.displayName,
      nameIsUsers: d.names.some((n) => n.source === 'user'),
      vendor: d.vendorText,
      trueLabel: d.label !== null && !d.label.infrastructure ? d.label.device : null,
      category: d.label?.category ?? null,
      packets: d.packetsSent + d.packetsReceived,
      bytes: d.bytesSent + d.bytesReceived,
      truth: truthTimelines.get(d.mac) ?? EMPTY_TIMELINE,
      dnsNames: d.names.filter((n) => n.source === 'dns-query').map((n) => n.name),
      sniNames: d.names.filter((n) => n.source === 'tls-sni').map((n) => n.name),
      traffic: meta.get(d.mac) ?? null,
    }));
  }

  /** The defence what-ifs for an audit's devices: one more pass over the files per defence and observer. */
  async whatIfs(
    devices: readonly DeviceAudit[],
    observers: readonly ObserverAudit[],
    identifiers: ReadonlyMap<ModelView, DeviceIdentifier>,
    coverage: readonly CoveredTime[],
    whatIf: WhatIfRequest,
    progress?: (p: AuditProgress) => void,
  ): Promise<WhatIf[]> {
    const out: WhatIf[] = [];
    for (const o of observers) {
      const identifier = identifiers.get(o.view);
      if (identifier === undefined) continue;
      for (const defence of whatIf.defences) {
        if (whatIf.shouldStop?.() === true) return out;
        progress?.({
          stage: `what if: ${describeDefence(defence)} (${OBSERVER_NAMES[o.view]})`,
          fraction: null,
          packets: 0,
        });
        out.push(
          await runWhatIf(
            whatIf.paths,
            o.view,
            defence,
            identifier,
            devices,
            observers,
            coverage,
            whatIf.options,
            this.config,
          ),
        );
      }
    }
    return out;
  }

  /**
   * Ends the pass: flushes the timelines, labels each observer's packets with its model and
   * measures the exposures; then runs the what-ifs, when asked for.
   */
  async finish(
    analysis: CaptureAnalysis,
    identifiers: ReadonlyMap<ModelView, DeviceIdentifier>,
    whatIf: WhatIfRequest | null,
    progress?: (p: AuditProgress) => void,
  ): Promise<HomeAudit> {
    this.truth.flush();
    const devices = this.devices(analysis);
    const coverage = captureCoverage(analysis.files);
    const observerAudits = await this.observerAudits(devices, coverage, identifiers, progress);
    const whatIfs =
      whatIf === null
        ? []
        : await this.whatIfs(devices, observerAudits, identifiers, coverage, whatIf, progress);
    const readable = analysis.files.filter((f) => f.firstTs !== null);
    return {
      files: analysis.files,
      packets: analysis.packets,
      start: readable.length === 0 ? null : Math.min(...readable.map((f) => f.firstTs!)),
      end: readable.length === 0 ? null : Math.max(...readable.map((f) => f.lastTs ?? f.firstTs!)),
      coverage,
      inventory: analysis.inventory.toJSON(),
      devices,
      observers: observerAudits,
      whatIfs,
    };
  }

  /**
   * The audit of what was read so far, for a live session while it captures: every timeline stays
   * open (packets keep coming), the observers' models label their logs as they are now, and no
   * what-ifs are run. `finish` may follow as usual.
   */
  async interim(
    inventory: CaptureAnalysis['inventory'],
    packets: number,
    coverage: readonly CoveredTime[],
    identifiers: ReadonlyMap<ModelView, DeviceIdentifier>,
  ): Promise<HomeAudit> {
    const devices = this.devices({ inventory });
    const observers = await this.observerAudits(devices, coverage, identifiers);
    return {
      files: [],
      packets,
      start: coverage.length === 0 ? null : coverage[0].start,
      end: coverage.length === 0 ? null : coverage[coverage.length - 1].end,
      coverage: [...coverage],
      inventory: inventory.toJSON(),
      devices,
      observers,
      whatIfs: [],
    };
  }

  private async observerAudits(
    devices: readonly DeviceAudit[],
    coverage: readonly CoveredTime[],
    identifiers: ReadonlyMap<ModelView, DeviceIdentifier>,
    progress?: (p: AuditProgress) => void,
  ): Promise<ObserverAudit[]> {
    const out: ObserverAudit[] = [];
    for (const view of this.observers) {
      progress?.({
        stage: `identifying devices as ${OBSERVER_NAMES[view]} would`,
        fraction: null,
        packets: 0,
      });
      const identifier = identifiers.get(view);
      if (identifier === undefined) throw new Error(`no model open for the ${view} observer`);
      const log = this.logs.get(view)!;
      // The log's rows stay put while they are labelled and read (a live capture keeps adding).
      log.hold();
      try {
        const labels = await log.identify(identifier);
        const labelled = labelView(log, labels, identifier.labels.length, this.config);
        // Agreement only over the time the log still holds (a live log drops its oldest rows).
        const held = log.dropped > 0 ? coverageFrom(coverage, log.firstTs) : coverage;
        out.push(observerAudit(view, identifier, log, labelled, devices, held));
      } finally {
        log.release();
      }
    }
    return out;
  }
}

/** The parts of `coverage` from `start` on. */
function coverageFrom(coverage: readonly CoveredTime[], start: number): CoveredTime[] {
  return coverage.filter((c) => c.end > start).map((c) => ({ start: Math.max(c.start, start), end: c.end }));
}

/** Opens the default model of every observer (before any long read, so a broken model is reported at once). */
export async function openObserverModels(
  modelsDir: string | undefined,
  observers: readonly ModelView[],
): Promise<Map<ModelView, DeviceIdentifier>> {
  const identifiers = new Map<ModelView, DeviceIdentifier>();
  try {
    for (const view of observers) {
      if (modelsDir === undefined) throw new Error('observers need a models folder');
      identifiers.set(view, await DeviceIdentifier.open(modelsDir, view));
    }
  } catch (error) {
    for (const identifier of identifiers.values()) await identifier.close();
    throw error;
  }
  return identifiers;
}

/** Runs the audit of capture files (see the module comment). */
export async function runHomeAudit(paths: readonly string[], options: AuditOptions): Promise<AuditRun> {
  const observers = options.observers ?? (['napt', 'vpn'] as const);
  const identifiers = await openObserverModels(options.modelsDir, observers);
  try {
    const collector = new HomeAuditCollector(observers, options.activity);
    const analysis = await analyzeCaptures(paths, {
      groundTruth: options.groundTruth ?? null,
      views: collector.views,
      viewOptions: { profile: options.vpnProfile },
      ...collector.hooks(),
      onProgress: (p: AnalysisProgress) => {
        options.onProgress?.({ stage: 'reading captures', fraction: p.fraction, packets: p.packets });
      },
    });
    const defences = options.defences ?? [];
    const audit = await collector.finish(
      analysis,
      identifiers,
      defences.length === 0 ? null : { paths, defences, options },
      options.onProgress,
    );
    return { audit, analysis };
  } finally {
    for (const identifier of identifiers.values()) await identifier.close();
  }
}

/** A device's identity exposure in one labelled view log. */
function deviceIdentity(
  identifier: DeviceIdentifier,
  log: ViewLog<ModelView>,
  labelled: LabelledView,
  d: DeviceAudit,
): IdentityExposure {
  const index = log.indexOfMac(d.mac);
  return identityOf(identifier, labelled.answers.get(index), labelled.confidence.get(index), d.trueLabel);
}

function observerAudit(
  view: ModelView,
  identifier: DeviceIdentifier,
  log: ViewLog<ModelView>,
  labelled: LabelledView,
  devices: readonly DeviceAudit[],
  coverage: readonly CoveredTime[],
): ObserverAudit {
  const rows: ObserverDeviceAudit[] = devices.map((d) => {
    const identity = deviceIdentity(identifier, log, labelled, d);
    const cls = identity.className === null ? -1 : identifier.labels.indexOf(identity.className);
    const inferred = cls < 0 ? null : (labelled.timelines.get(cls) ?? null);
    return { mac: d.mac, identity, activity: activityExposure(d.truth, inferred, coverage), inferred };
  });
  const counted = rows.filter((r) => r.identity.packets >= MIN_PACKETS_FOR_AVERAGE);
  return {
    view,
    observer: OBSERVER_NAMES[view],
    modelId: identifier.model.id,
    labels: identifier.labels,
    unknownThreshold: identifier.model.unknownThreshold,
    packets: labelled.labels.labelIndex.length,
    devices: rows,
    meanRecognisedShare: mean(counted.map((r) => r.identity.recognisedShare)),
    meanAgreement: mean(counted.map((r) => r.activity.agreement)),
  };
}

async function runWhatIf(
  paths: readonly string[],
  view: ModelView,
  defence: Defence,
  identifier: DeviceIdentifier,
  devices: readonly DeviceAudit[],
  baseline: readonly ObserverAudit[],
  coverage: readonly CoveredTime[],
  options: AuditOptions,
  config: Partial<ActivityConfig>,
): Promise<WhatIf> {
  const log = new ViewLog<ModelView>(view);
  const stream = new DefendedStream(defence, view, options.vpnProfile);
  const add = (vp: ViewPacket): void => {
    log.add(vp);
  };
  await analyzeCaptures(paths, {
    groundTruth: options.groundTruth ?? null,
    views: [view],
    viewOptions: { profile: options.vpnProfile },
    onViewPacket: (_v, vp) => {
      stream.push(vp, add);
    },
    onSegmentStart: (segment) => {
      log.startSegment(segment);
      stream.reset();
    },
  });
  const labelled = labelView(log, await log.identify(identifier), identifier.labels.length, config);
  const base = baseline.find((o) => o.view === view)!;
  const rows: WhatIfDevice[] = [];
  const counted: WhatIfDevice[] = [];
  for (const d of devices) {
    const identity = deviceIdentity(identifier, log, labelled, d);
    // The device keeps the class it has without the defence (the observer looks for the same device).
    const undefended = base.devices.find((r) => r.mac === d.mac)!.identity;
    const cls = undefended.className === null ? -1 : identifier.labels.indexOf(undefended.className);
    const answers = labelled.answers.get(log.indexOfMac(d.mac));
    const recognised =
      cls < 0 || answers === undefined || identity.packets === 0 ? 0 : answers[cls] / identity.packets;
    const inferred = cls < 0 ? null : (labelled.timelines.get(cls) ?? null);
    const exposure = activityExposure(d.truth, inferred, coverage);
    const row = {
      mac: d.mac,
      recognisedShare: recognised,
      agreement: exposure.agreement,
      busyRecall: exposure.busyRecall,
    };
    rows.push(row);
    if (identity.packets >= MIN_PACKETS_FOR_AVERAGE) counted.push(row);
  }
  const extra = stream.stats.bytesAfter - stream.stats.bytesBefore;
  return {
    id: `${view}-${defenceId(defence)}`,
    view,
    observer: OBSERVER_NAMES[view],
    defence,
    description: describeDefence(defence),
    costShare: stream.stats.bytesBefore === 0 ? 0 : extra / stream.stats.bytesBefore,
    extraBytes: extra,
    dummyPackets: stream.stats.dummyPackets,
    meanRecognisedShare: mean(counted.map((r) => r.recognisedShare)),
    meanAgreement: mean(counted.map((r) => r.agreement)),
    devices: rows,
  };
}
