/**
 * What the home audit finds, as plain data: per device its truth timeline and traffic, per
 * observer what that observer can tell (identity and activity exposure), and the defence
 * what-ifs. The CLI, the app, the findings and the report all read these types.
 */
import type { ActivityTimeline } from '../activity/activity-timeline.ts';
import type { CoveredTime } from '../activity/timeline-agreement.ts';
import type { ActivityConfig } from '../activity/activity-config.ts';
import type { InventorySnapshot } from '../devices/device-record.ts';
import type { GroundTruth } from '../devices/ground-truth.ts';
import type { ModelView } from '../inference/model-manifest.ts';
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

/** The audit and the file analysis of its first pass (device inventory, per-view counts, read errors). */
export interface AuditRun {
  audit: HomeAudit;
  analysis: CaptureAnalysis;
}
