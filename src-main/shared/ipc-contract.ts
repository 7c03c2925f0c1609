/**
 * The one contract between the UI and the engine: request channels with their request and
 * response types, event channels with their payloads, and the API object both transports give the
 * renderer (Electron's preload over IPC, browser mode over a WebSocket). Errors cross as data
 * (`Result`), never as exceptions. Plain types and constants only: both sides import this file.
 */
import type {
  ActivityState,
  ActivityTimeline,
  CatalogEvidence,
  Finding,
  ObserverView,
} from './audit-types.ts';
import type { DeviceCategory } from './device-categories.ts';
import type { InspectDiscovery, InspectRequest } from './inspect-mode.ts';
import type { RouterSsh } from './router-capture.ts';

export type {
  ActivityState,
  ActivityTimeline,
  CatalogEvidence,
  Finding,
  ObserverView,
  Severity,
} from './audit-types.ts';
export { SEVERITIES } from './audit-types.ts';

/** The two Electron IPC channels all of it travels on (requests with invoke, events with send). */
export const IPC_REQUEST = 'telltale:request';
export const IPC_EVENT = 'telltale:event';
/**
 * The preload's own channel (not part of the API the page sees): the paths of files the person
 * dropped on the window or picked in the page's file input, which the main process then lets the
 * engine read. Only the preload sends on it, with paths `webUtils.getPathForFile` gave it.
 */
export const IPC_GRANT_FILES = 'telltale:grant-files';

/** Every request channel, in one list (the route tables and the API object are built from it). */
export const REQUEST_CHANNELS = [
  'app.info',
  'capture.interfaces',
  'capture.openFiles',
  'capture.openSample',
  'capture.startLive',
  'capture.startRouter',
  'inspect.discover',
  'capture.startInspect',
  'capture.pause',
  'capture.resume',
  'capture.stop',
  'capture.setSpeed',
  'session.snapshot',
  'session.export',
  'report.render',
  'session.exportCsv',
  'session.exportPackets',
  'device.detail',
  'device.rename',
  'device.setCategory',
  'settings.get',
  'settings.update',
  'dialog.openCaptures',
] as const;
export type RequestChannel = (typeof REQUEST_CHANNELS)[number];

/** Channels the engine answers (the rest are the desktop shell's own: native dialogs). */
export const ENGINE_CHANNELS: readonly RequestChannel[] = REQUEST_CHANNELS.filter(
  (c) => c !== 'dialog.openCaptures',
);

export const EVENT_CHANNELS = ['snapshot', 'engine.status'] as const;
export type EventChannel = (typeof EVENT_CHANNELS)[number];

export type ErrorCode =
  | 'bad-request' // the request does not fit the contract
  | 'not-found' // no such device, file or interface
  | 'unreadable' // a capture file cannot be read
  | 'permission' // live capture not permitted (the message says how to grant it)
  | 'unavailable' // not possible in this mode or on this machine
  | 'busy' // another capture is running
  | 'cancelled' // the person closed a dialog
  | 'internal'; // a bug: the message says what failed

export interface ApiError {
  code: ErrorCode;
  message: string;
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: ApiError };

export type ReplaySpeed = 'max' | number;

export interface ModelInfo {
  id: string;
  view: ObserverView;
  kind: string;
  isDefault: boolean;
  labels: string[];
  window: number;
  featureSpecVersion: number;
  macroRecall: number | null;
  sizeBytes: number | null;
  sha256: string;
}

export interface AppInfo {
  version: string;
  mode: 'desktop' | 'browser';
  dataDir: string;
  /** What the engine did at start-up that the person should know (a damaged data file moved aside). */
  notices: string[];
  models: ModelInfo[];
  /** Models could not be loaded: the message says why (identification is then off). */
  modelsProblem: string | null;
  /**
   * Whether live capture can work here, why not, and the dumpcap it falls back to where libpcap
   * is refused in this process (null: none installed).
   */
  liveCapture: { available: boolean; reason: string | null; dumpcap: string | null };
}

export interface CaptureInterface {
  name: string;
  description: string | null;
  addresses: string[];
  loopback: boolean;
  /** What capturing here shows (e.g. only this computer's traffic on a switched network). */
  sees: string;
}

export interface Settings {
  theme: 'system' | 'light' | 'dark';
  defaultSpeed: ReplaySpeed;
  defaultInterface: string | null;
  captureFilter: string;
  /** IANA zone every time is shown in (findings, pages, reports); null: this computer's. */
  timeZone: string | null;
}

export type SessionStatus =
  'idle' | 'replaying' | 'capturing' | 'paused' | 'analysing' | 'done' | 'stopped' | 'error';

export interface SourceInfo {
  /** The session reading this source (every snapshot of it carries the same id). */
  sessionId: string;
  kind: 'files' | 'live';
  /** File names (not paths) or the interface name. */
  names: string[];
  speed: ReplaySpeed;
}

export interface Progress {
  packets: number;
  bytes: number;
  /** 0..1 of the input read, when known (files). */
  fraction: number | null;
  packetsPerSecond: number;
  /** Seconds until the input is read, when it can be told. */
  etaSeconds: number | null;
  /** Capture time of the first and the latest packet. */
  captureStart: number | null;
  captureNow: number | null;
  elapsedSeconds: number;
  /**
   * Packets a live capture lost: libpcap's, the kernel's or the interface's drops and our own
   * queue's; null when the capturing program is another (a router's tcpdump, dumpcap) whose
   * counts do not reach Telltale.
   */
  dropped: number | null;
  /**
   * A live capture's timestamps: libpcap's time of capture (the router's, for a stream from it),
   * or this computer's clock when a packet reached Telltale (less exact); null for files.
   */
  timestamps: 'libpcap' | 'wall-clock' | null;
}

export interface Problem {
  severity: 'error' | 'warning';
  message: string;
}

export interface DeviceExposure {
  /** The class the observer's model gives the device. */
  className: string | null;
  /**
   * `lookalike`: the device is of a kind the model does not know, so the class is a look-alike;
   * `platform`: such a device on the module of the platform the class stands for.
   */
  classSource: 'labels' | 'model' | 'lookalike' | 'platform' | null;
  /** Share of its packets so named. */
  recognisedShare: number;
  /** What the catalog can say of the device (a recognition only when the device-level test passed). */
  evidence: CatalogEvidence;
  /**
   * The class the catalog's model gives most of its packets, as a person reads it (a platform's
   * class names the platform: shared/device-categories.ts `catalogName`), and that share (what the
   * test judged).
   */
  catalogClass: string | null;
  catalogShare: number;
  /**
   * The firmware platform that class stands for ("Tuya"), or null when it is one product: its
   * devices may be of several kinds, so the class says nothing of what kind this one is.
   */
  catalogPlatform: string | null;
  /** With labels: whether that class is the device's own (null without labels). */
  catalogRight: boolean | null;
  /**
   * When the wider catalog (every labelled source, the ISP's view only) recognised it: the host
   * names it used on a site only that kind's devices used in the catalog's data (the name test);
   * null when the bundled models recognised it, or nothing did.
   */
  wideCatalog: { names: string[] } | null;
  /**
   * The category model's answer (`evidence` is `looks-like` when it named one and the catalog did
   * not recognise the device): the category it names (null: none), its best guess and that
   * guess's pooled probability, and the threshold it needs; null without a category model.
   */
  category: { named: string | null; guess: string | null; probability: number; threshold: number } | null;
  /** Share of 10-s intervals where the observer's timeline matches what the device did (kept for researchers; not a headline). */
  agreement: number;
  busyRecall: number;
  /** The device's busy spans its timeline shows, of all of them; busy stretches a day it shows when the device was not busy; the busy time it shows. */
  spansSeen: number;
  spansTotal: number;
  falseBusyPerDay: number;
  busySecondsSeen: number;
  packets: number;
  /**
   * What an observer trained on this home's own earlier traffic names correctly later on (null
   * when not measured, e.g. while a live capture runs): the share of its packets with a 95 %
   * interval, or not measured for lack of traffic.
   */
  inHome: {
    measured: boolean;
    unmeasured: 'too-little-traffic' | 'no-other-device' | null;
    recognisedShare: number | null;
    interval: [number, number] | null;
  } | null;
}

export type ActionKind = 'local-mode' | 'vpn' | 'padding' | 'no-fix' | 'nothing-needed';

/** The single most useful thing a person can do about one device, in plain words (shared/device-verdict.ts). */
export interface DeviceAction {
  kind: ActionKind;
  title: string;
  detail: string;
  /** The data it costs a month, where measured (padding); null otherwise. */
  monthlyBytes: number | null;
}

export interface DeviceRow {
  mac: string;
  /** The name shown: the person's, else the best name Telltale found. */
  name: string;
  nameSource: 'user' | 'auto';
  autoName: string;
  vendor: string;
  /** Device type: the person's correction, else labels.csv, else what the ISP's model says. */
  category: string | null;
  categorySource: 'user' | 'labels' | 'model' | null;
  trueLabel: string | null;
  addresses: string[];
  /** Its state at the latest packet; null before it sent anything. */
  state: ActivityState | null;
  /** Its refused connection attempts so far (ActivityTimeline.refusals); null for none. */
  refusals: { count: number; first: number; last: number } | null;
  packets: number;
  bytesSent: number;
  bytesReceived: number;
  firstSeen: number;
  lastSeen: number;
  exposure: Record<ObserverView, DeviceExposure | null>;
  /** What kind of device it is (its icon; null when nothing says). */
  kind: DeviceCategory | null;
  /** The single change that helps it most (null before the analysis, or when no outsider sees it). */
  action: DeviceAction | null;
  findings: number;
  topSeverity: Finding['severity'] | null;
}

export interface ObserverSummary {
  view: ObserverView;
  observer: string;
  modelId: string;
  meanRecognisedShare: number;
  meanAgreement: number;
  /** Busy spans of every device its timelines show, and all of them. */
  spansSeen: number;
  spansTotal: number;
}

export interface WhatIfSummary {
  id: string;
  view: ObserverView;
  description: string;
  meanRecognisedShare: number;
  meanAgreement: number;
  spansSeen: number;
  spansTotal: number;
  costShare: number;
  extraBytes: number;
}

export interface Snapshot {
  /** The engine that sent it (a restarted engine has a new one, and numbers its snapshots anew). */
  engineId: string;
  sessionId: string;
  /** Increases with every snapshot an engine sends, across its sessions. */
  seq: number;
  status: SessionStatus;
  source: SourceInfo | null;
  progress: Progress;
  problems: Problem[];
  devices: DeviceRow[];
  /** Null until the observers' models have labelled the session. */
  observers: ObserverSummary[] | null;
  findings: Finding[];
  whatIfs: WhatIfSummary[];
  /**
   * While the defence what-ifs run after the audit ("done" already): what they are doing and how
   * far (null fraction: not known); null when none are running.
   */
  whatIfsPending: { stage: string; fraction: number | null } | null;
  /** Who the home's smart devices talk to: internet traffic per site over all of them, most bytes first (at most 12). */
  sites: HomeSiteVolume[];
}

/** Internet traffic to one site ("tuyaus.com"; null: addresses no DNS answer or TLS server name named). */
export interface SiteVolume {
  site: string | null;
  packets: number;
  bytes: number;
}

export interface HomeSiteVolume extends SiteVolume {
  /** The devices that exchanged it, most bytes first. */
  devices: { mac: string; bytes: number }[];
}

/** A device's traffic in one minute. */
export interface RatePoint {
  /** Start of the minute, seconds since the epoch. */
  t: number;
  packets: number;
  bytesUp: number;
  bytesDown: number;
  bytesLocal: number;
}

export interface DeviceDetail {
  row: DeviceRow;
  /** The stretches of time the capture covers (between them nothing is known). */
  coverage: { start: number; end: number }[];
  truth: ActivityTimeline;
  inferred: Record<ObserverView, ActivityTimeline | null>;
  rates: RatePoint[];
  destinations: {
    names: { name: string; source: 'dns' | 'sni' }[];
    services: { service: string; packets: number; bytes: number }[];
    /** Its internet traffic per site (the registrable domain of the names its addresses had; null: never named), most bytes first. */
    sites: SiteVolume[];
    remotePeerCount: number;
  };
  findings: Finding[];
  whatIfs: {
    id: string;
    view: ObserverView;
    description: string;
    recognisedShare: number;
    agreement: number;
    /** Share of the device's busy time the observer still sees busy with the defence. */
    busyRecall: number;
    spansSeen: number;
    spansTotal: number;
    costShare: number;
    /** Set when the capture was long and the what-if looked at a sample of it (audit/what-ifs.ts). */
    sample: { seconds: number; ofSeconds: number; blocks: number } | null;
    /** With a sample: the device without the defence on the same sample (what the row compares with). */
    undefended: { recognisedShare: number; spansSeen: number; spansTotal: number } | null;
  }[];
}

export interface EngineStatus {
  state: 'running' | 'restarting' | 'failed';
  message: string | null;
}

export interface RequestMap {
  'app.info': { request: null; response: AppInfo };
  'capture.interfaces': { request: null; response: CaptureInterface[] };
  'capture.openFiles': {
    request: { paths: string[]; speed?: ReplaySpeed; labels?: string | null };
    response: SourceInfo;
  };
  /** Opens the sample capture that ships with the models (models/samples: two devices being set up, with labels). */
  'capture.openSample': { request: null; response: SourceInfo };
  'capture.startLive': { request: { interface: string; filter?: string }; response: SourceInfo };
  /** Capture on the router over SSH (shared/router-capture.ts): its tcpdump's packets, streamed. */
  'capture.startRouter': { request: RouterSsh; response: SourceInfo };
  /** The devices on an interface's network (an ARP sweep and listening; changes nothing). */
  'inspect.discover': { request: { interface: string }; response: InspectDiscovery };
  /**
   * Inspect mode (shared/inspect-mode.ts): the chosen devices' traffic redirected through this
   * computer and captured live, after the person's consent; put back when the session ends.
   */
  'capture.startInspect': { request: InspectRequest; response: SourceInfo };
  'capture.pause': { request: null; response: null };
  'capture.resume': { request: null; response: null };
  'capture.stop': { request: null; response: null };
  'capture.setSpeed': { request: { speed: ReplaySpeed }; response: null };
  'session.snapshot': { request: null; response: Snapshot };
  /** The whole session as JSON text (the person saves it). */
  'session.export': { request: null; response: { fileName: string; json: string } };
  /**
   * The privacy report of the session's audit (report/report-html.ts): a web page, or a PDF
   * printed by the computer's Chromium (base64); `device` gives that device's section alone.
   */
  'report.render': {
    request: { format: 'html' | 'pdf'; device?: string | null; paper?: 'A4' | 'Letter' };
    response: { fileName: string; mime: string; data: string; encoding: 'utf8' | 'base64' };
  };
  /**
   * The audit as CSV files (report/report-csv.ts): devices.csv, busy-spans.csv, findings.csv, with
   * the person's own device names.
   */
  'session.exportCsv': { request: null; response: { files: { fileName: string; csv: string }[] } };
  /**
   * Each packet one observer sees, with its device, its true label and the default model's answer,
   * as CSV (audit/packet-labels.ts). Part 0 makes it, reading the session's capture files again
   * (about as long as the first reading); it comes in parts of about 4 MB: ask for part 0, then 1,
   * … up to `parts` − 1, and join them.
   */
  'session.exportPackets': {
    request: { view: 'napt' | 'vpn'; part: number };
    response: { fileName: string; part: number; parts: number; rows: number; csv: string };
  };
  'device.detail': { request: { mac: string }; response: DeviceDetail };
  'device.rename': { request: { mac: string; name: string | null }; response: DeviceRow };
  'device.setCategory': { request: { mac: string; category: string | null }; response: DeviceRow };
  'settings.get': { request: null; response: Settings };
  'settings.update': { request: Partial<Settings>; response: Settings };
  /** Desktop only: a native dialog to choose capture files; the paths chosen. */
  'dialog.openCaptures': { request: null; response: string[] };
}

export interface EventMap {
  snapshot: Snapshot;
  'engine.status': EngineStatus;
}

export type RequestOf<K extends RequestChannel> = RequestMap[K]['request'];
export type ResponseOf<K extends RequestChannel> = RequestMap[K]['response'];

/** The API object the renderer gets (window.telltale in the desktop app, a WebSocket client in a browser). */
export interface TelltaleApi {
  request<K extends RequestChannel>(channel: K, payload: RequestOf<K>): Promise<Result<ResponseOf<K>>>;
  /** Subscribes to an event; returns the function that unsubscribes. */
  on<E extends EventChannel>(event: E, listener: (payload: EventMap[E]) => void): () => void;
  /** Paths the engine can read for files the person dropped or picked (uploads them in browser mode). */
  pathsForFiles(files: readonly File[]): Promise<Result<string[]>>;
}

/** Wire messages (Electron MessagePort and WebSocket alike). */
export type WireMessage =
  | { type: 'request'; id: number; channel: RequestChannel; payload: unknown }
  | { type: 'response'; id: number; result: Result<unknown> }
  | { type: 'event'; event: EventChannel; payload: unknown };

export function isRequestChannel(value: unknown): value is RequestChannel {
  return typeof value === 'string' && (REQUEST_CHANNELS as readonly string[]).includes(value);
}

export function isEventChannel(value: unknown): value is EventChannel {
  return typeof value === 'string' && (EVENT_CHANNELS as readonly string[]).includes(value);
}

/**
 * Subscribers per event channel, shared by the two transports (preload IPC and WebSocket):
 * `on` returns the unsubscribe function, `dispatch` ignores names that are not event channels.
 */
export class EventListeners {
  private readonly byChannel = new Map<EventChannel, Set<(payload: unknown) => void>>();

  on<E extends EventChannel>(event: E, listener: (payload: EventMap[E]) => void): () => void {
    let set = this.byChannel.get(event);
    if (set === undefined) {
      set = new Set();
      this.byChannel.set(event, set);
    }
    const l = listener as (payload: unknown) => void;
    set.add(l);
    return () => {
      set.delete(l);
    };
  }

  dispatch(event: unknown, payload: unknown): void {
    if (!isEventChannel(event)) return;
    for (const l of this.byChannel.get(event) ?? []) l(payload);
  }
}

export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

export function fail<T = never>(code: ErrorCode, message: string): Result<T> {
  return { ok: false, error: { code, message } };
}
