/**
 * What the home audit finds, as plain data: per device its truth timeline and traffic, per
 * observer what that observer can tell (identity and activity exposure), and the defence
 * what-ifs. The CLI, the app, the findings and the report all read these types.
 */
import type { CategoryDecision } from '../inference/device-category.ts';
import type { WideDecision } from '../inference/wide-catalog.ts';
import type { ActivityTimeline } from '../activity/activity-timeline.ts';
import type { CoveredTime } from '../activity/timeline-agreement.ts';
import type { ActivityConfig } from '../activity/activity-config.ts';
import type { InventorySnapshot } from '../devices/device-record.ts';
import type { GroundTruth } from '../devices/ground-truth.ts';
import type { ModelView } from '../inference/model-manifest.ts';
import type { CatalogEvidence } from '../shared/audit-types.ts';
import { MIN_PACKETS_FOR_SHARES } from '../shared/device-verdict.ts';
import type { Defence } from '../views/defences.ts';
import type { TunnelProfileName } from '../views/tunnel-profiles.ts';
import type { CaptureAnalysis, FileSummary } from './capture-analysis.ts';
import type { DeviceTrafficMetadata } from './traffic-metadata.ts';

/** Who stands behind each observer view, for people. */
export const OBSERVER_NAMES: Readonly<Record<ModelView, string>> = {
  napt: 'your ISP',
  vpn: "your VPN's carrier",
};

/** Devices with fewer packets in a view than this are left out of that view's home averages. */
export const MIN_PACKETS_FOR_AVERAGE = MIN_PACKETS_FOR_SHARES;

export interface IdentityExposure {
  /** The device's packets in this observer's view. */
  packets: number;
  /**
   * The class the device is scored as: its labels.csv device (through the model's classes), or
   * the model's most frequent answer — `model` when the device's kind is not known (no labels),
   * `lookalike` when labels.csv names a device the model has no class for (the answer is then a
   * look-alike, not a recognition), `platform` when labels.csv names such a device but the answer
   * is a platform's class (`platform`) and the device's MAC block is that platform's (a device of
   * another brand built on the same module: the class is its platform).
   */
  className: string | null;
  classSource: 'labels' | 'model' | 'lookalike' | 'platform' | null;
  /** Share of its packets the model names `className` (unknown rule applied). */
  recognisedShare: number;
  unknownShare: number;
  /** The model's most frequent answer for the device's packets ("unknown" included) and its share. */
  topLabel: string | null;
  topShare: number;
  /** Mean confidence of the answers that named `className`. */
  meanConfidence: number;
  /**
   * The device-level test of the catalog (audit/exposure.ts `catalogEvidence`): recognised only
   * when the model's top answer (argmax, `topModelShare` of its packets) has the device's shape
   * (`profileCoverage` of its packets have a size of that class's training profile).
   */
  evidence: CatalogEvidence;
  /** The class the model gives most of its packets before the unknown rule, and its share. */
  topModelClass: string | null;
  topModelShare: number;
  /**
   * The firmware platform `topModelClass` stands for (manifest `labelPlatforms`, e.g. "Tuya"), or
   * null when the class is one product: a recognition of such a class names the platform.
   */
  platform: string | null;
  /** Share of its packets whose (direction, size) is in `topModelClass`'s size profile; null without profiles. */
  profileCoverage: number | null;
  /** The device-category model's answer (null without a category model for this view). */
  category: CategoryDecision | null;
  /**
   * Which catalog recognised it: the bundled models' (`models`), or the wider catalog of every
   * labelled source (`wide`, inference/wide-catalog.ts: the ISP's view only) when the models' test
   * failed; null when neither did.
   */
  recognisedBy: 'models' | 'wide' | null;
  /** The wider catalog's answer (null where there is none: the VPN view, an install without it). */
  wide: WideDecision | null;
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
  /** Busy stretches of the observer's timeline that overlap no busy span of the truth, per day of capture. */
  falseBusyPerDay: number;
}

export interface ObserverDeviceAudit {
  mac: string;
  identity: IdentityExposure;
  /**
   * The device's activity as the observer sees it: the timeline of its own packets in the view
   * (timing and sizes; an observer that knows the device by its identity — the in-home observer
   * measures how well one can — attributes them), whatever a model's labels say, so a defence's
   * effect on activity is judged from the defended timing, apart from its effect on identity.
   */
  activity: ActivityExposure;
  /** The same from the timeline of the class the catalog's model gives the device (for researchers). */
  labelActivity: ActivityExposure;
  /** The observer's timeline of the device (its own packets in the view); null when it has none there. */
  inferred: ActivityTimeline | null;
}

/** One device as the observer trained on this home sees it (audit/in-home-observer.ts). */
export interface InHomeDevice {
  mac: string;
  /** Its packets in the view before and after the split (before sampling). */
  trainPackets: number;
  testPackets: number;
  /** False: not enough traffic on one side of the split to tell, or no other device to tell it from. */
  measured: boolean;
  /** Why it was not measured (null when it was). */
  unmeasured: 'too-little-traffic' | 'no-other-device' | null;
  /** Share of its (sampled) test packets the observer names as this device. */
  recognisedShare: number | null;
  /** 95 % interval of that share, from a bootstrap over the minutes of its test traffic. */
  interval: [number, number] | null;
  /** Minutes holding test traffic of it. */
  minutes: number;
  /** Share of its flows (with 3 or more sampled test packets) whose majority answer is this device. */
  perFlow: number | null;
  flows: number;
  /** What the observer names it most when it is wrong: another device's MAC, "no device", or null. */
  mistakenFor: string | null;
  mistakenShare: number;
}

/** Devices an outsider cannot tell apart (units of one model): recognised as the kind. */
export interface InHomeKind {
  macs: string[];
  recognisedShare: number;
  interval: [number, number];
  perFlow: number | null;
}

/** What an observer that trained on this home's own earlier traffic tells about each device later on. */
export interface InHomeObserver {
  view: ModelView;
  /** The median of the devices' split times (each device's packets are split at their own median time). */
  splitAt: number;
  trainRows: number;
  testRows: number;
  classes: number;
  /** Wall-clock seconds of the whole measurement, and of the forest's training and labelling. */
  seconds: number;
  forestSeconds: number;
  devices: InHomeDevice[];
  kinds: InHomeKind[];
  /** Mean recognised share over the measured devices; null when none could be measured. */
  meanRecognisedShare: number | null;
}

export interface ObserverAudit {
  view: ModelView;
  observer: string;
  modelId: string;
  labels: readonly string[];
  unknownThreshold: number;
  packets: number;
  devices: ObserverDeviceAudit[];
  /**
   * Unweighted means over devices with at least MIN_PACKETS_FOR_AVERAGE packets in the view: the
   * share of their packets the model names as their class, over those the catalog rightly
   * recognises (audit/exposure.ts `rightlyRecognised`; 0 when it recognises none — a look-alike's
   * share is no recognition), and the activity agreement over all of them.
   */
  meanRecognisedShare: number;
  meanAgreement: number;
  /** The observer trained on this home (null: not measured, e.g. a live capture still running). */
  inHome: InHomeObserver | null;
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
  /**
   * Share of the device's busy time the observer still sees busy with the defence, from the
   * defended timing (its own packets and any cover traffic, which an observer cannot tell apart).
   */
  busyRecall: number;
  spansSeen: number;
  spansTotal: number;
  /** A sampled what-if: the same figures without the defence on the same sample (null when not sampled). */
  undefended: { recognisedShare: number; spansSeen: number; spansTotal: number } | null;
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
  /** Packets (cover dummies included) the what-if labelled: all of the view, or the sample's. */
  rows: number;
  /** As ObserverAudit's, over the devices the catalog rightly recognises without the defence. */
  meanRecognisedShare: number;
  meanAgreement: number;
  /** The devices' busy spans (routine ones left out) the observer still sees with the defence, and all of them. */
  spansSeen: number;
  spansTotal: number;
  /**
   * A capture longer than the what-ifs' bound is looked at in sampled blocks (audit/what-ifs.ts):
   * the identity and activity figures are those of the sample (seconds of `ofSeconds` covered),
   * the cost figures those of the whole capture; null when all of it was looked at.
   */
  sample: {
    seconds: number;
    ofSeconds: number;
    blocks: number;
    /** The observer without the defence on the same sample: what the what-if's figures compare with. */
    undefended: { meanRecognisedShare: number; spansSeen: number; spansTotal: number };
  } | null;
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

/** The audit and the file analysis of its first pass (device inventory, per-view counts, read errors). */
export interface AuditRun {
  audit: HomeAudit;
  analysis: CaptureAnalysis;
}
