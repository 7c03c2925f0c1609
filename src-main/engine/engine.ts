/**
 * The engine behind the app: one capture session at a time (capture files replayed, or a live
 * interface), the audit of what it saw, the person's device names and types, the settings — and
 * the route table that answers every request of the IPC contract. Plain Node: the same engine
 * runs in Electron's utilityProcess, behind `telltale serve`, and in tests.
 *
 * A session's snapshot goes out at most once a second while it runs (and once when it changes
 * state), stamped with the session id so the UI drops stale ones. When the packets are read the
 * observers' models label them and the findings are made; the defence what-ifs follow (they read
 * the files again), and the snapshot is sent again when they are done.
 */
import { randomUUID } from 'node:crypto';
import { accessSync, constants, statSync } from 'node:fs';
import { basename } from 'node:path';
import { listInterfaces, LiveCaptureSource } from '../capture/live-capture.ts';
import type { PacketSource } from '../capture/packet-source.ts';
import { isDeviceMac, normalizeMac } from '../devices/address-scope.ts';
import { DeviceInventory } from '../devices/device-inventory.ts';
import type { DeviceRecord } from '../devices/device-record.ts';
import { GroundTruth, GroundTruthError } from '../devices/ground-truth.ts';
import { auditFindings } from '../findings/findings.ts';
import type { DeviceIdentifier } from '../inference/device-identifier.ts';
import { loadManifest, MODEL_VIEWS, type ModelView } from '../inference/model-manifest.ts';
import {
  ENGINE_CHANNELS,
  fail,
  isRequestChannel,
  ok,
  type AppInfo,
  type CaptureInterface,
  type DeviceDetail,
  type DeviceRow,
  type ErrorCode,
  type Finding,
  type ModelInfo,
  type Problem,
  type ReplaySpeed,
  type RequestChannel,
  type RequestOf,
  type ResponseOf,
  type Result,
  type Snapshot,
  type SourceInfo,
} from '../shared/ipc-contract.ts';
import { checkPayload, quoteValue } from '../shared/request-validation.ts';
import { SettingsStore } from '../store/settings-store.ts';
import { UserOverrides } from '../store/user-overrides.ts';
import { DEFAULT_DEFENCES } from '../views/defences.ts';
import { analyzeCaptures } from './capture-analysis.ts';
import { HomeAuditCollector, openObserverModels, type HomeAudit } from './home-audit.ts';

/** A request the engine refuses, with the code the UI sees. */
export class EngineError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface EngineOptions {
  dataDir: string;
  modelsDir: string;
  mode: AppInfo['mode'];
  version: string;
  /** Sends an event to the UI. */
  emit: (event: 'snapshot', payload: Snapshot) => void;
  /** Minimum milliseconds between two snapshots (default 1000). */
  snapshotIntervalMs?: number;
  /** How often a live session's observers are re-analysed while it captures (default 30 000 ms). */
  liveAuditIntervalMs?: number;
  /**
   * Called with the files the engine may still read whenever that changes: a session's inputs
   * when it opens, none when it ends (browser mode deletes the uploads no session reads).
   */
  onSessionFiles?: (paths: readonly string[]) => void;
}

/**
 * Packets each observer's log keeps in a live session (about 110 MB for NAPT, 65 MB for VPN);
 * beyond it the oldest go (down to half), so memory stays bounded however long the capture runs.
 */
const LIVE_MAX_LOG_ROWS = 1 << 19;

type EngineRoutes = {
  [K in RequestChannel]?: (payload: RequestOf<K>) => Promise<ResponseOf<K>> | ResponseOf<K>;
};

const IDLE_PROGRESS: Snapshot['progress'] = {
  packets: 0,
  bytes: 0,
  fraction: null,
  packetsPerSecond: 0,
  etaSeconds: null,
  captureStart: null,
  captureNow: null,
  elapsedSeconds: 0,
};

function checkMac(mac: string): string {
  const m = normalizeMac(mac);
  if (m === null) throw new EngineError('bad-request', `${quoteValue(mac)} is not a MAC address`);
  return m;
}

/** One capture session: its source, its pipeline state and, once read, its audit. */
class Session {
  readonly id = randomUUID();
  readonly inventory = new DeviceInventory();
  readonly collector: HomeAuditCollector;
  status: Snapshot['status'] = 'idle';
  source: PacketSource | null = null;
  stopRequested = false;
  problems: Problem[] = [];
  audit: HomeAudit | null = null;
  packets = 0;
  bytesRead = 0;
  fraction: number | null = null;
  captureStart: number | null = null;
  captureNow: number | null = null;
  readonly startedAt = Date.now();
  finishedAt: number | null = null;
  rateMark = { at: Date.now(), packets: 0 };
  packetsPerSecond = 0;
  done: Promise<void> = Promise.resolve();
  /** A live session's interim audit in progress (null when none), and when the last one began. */
  interim: Promise<void> | null = null;
  interimAt = Date.now();

  constructor(
    readonly info: SourceInfo,
    readonly paths: readonly string[],
    observers: readonly ModelView[],
  ) {
    this.collector = new HomeAuditCollector(
      observers,
      {},
      info.kind === 'live' ? LIVE_MAX_LOG_ROWS : Infinity,
    );
  }
}

export class Engine {
  private readonly settings: SettingsStore;
  private readonly overrides: UserOverrides;
  private identifiers: Map<ModelView, DeviceIdentifier> | null = null;
  private modelsProblem: string | null = null;
  private session: Session | null = null;
  private seq = 0;
  private lastSnapshotAt = 0;
  private snapshotTimer: NodeJS.Timeout | null = null;
  private ticker: NodeJS.Timeout | null = null;
  private readonly interval: number;
  private readonly liveAuditInterval: number;
  private readonly routes: EngineRoutes;
  /** What was done at start-up that the person should know (a damaged data file moved aside). */
  readonly notices: readonly string[];

  constructor(private readonly options: EngineOptions) {
    this.settings = new SettingsStore(options.dataDir);
    this.overrides = new UserOverrides(options.dataDir);
    this.notices = [this.settings.notice, this.overrides.notice].filter((n): n is string => n !== null);
    this.interval = options.snapshotIntervalMs ?? 1000;
    this.liveAuditInterval = options.liveAuditIntervalMs ?? 30_000;
    this.routes = {
      'app.info': () => this.appInfo(),
      'capture.interfaces': () => this.interfaces(),
      'capture.openFiles': (p) => this.openFiles(p.paths, p.speed, p.labels ?? null),
      'capture.startLive': (p) => this.startLive(p.interface, p.filter),
      'capture.pause': () => this.pause(),
      'capture.resume': () => this.resume(),
      'capture.stop': () => this.stop(),
      'capture.setSpeed': (p) => this.setSpeed(p.speed),
      'session.snapshot': () => this.snapshot(),
      'session.export': () => this.exportSession(),
      'device.detail': (p) => this.deviceDetail(checkMac(p.mac)),
      'device.rename': (p) => this.rename(checkMac(p.mac), p.name),
      'device.setCategory': (p) => this.setCategory(checkMac(p.mac), p.category),
      'settings.get': () => this.settings.get(),
      'settings.update': (p) => {
        try {
          return this.settings.update(p);
        } catch (error) {
          throw new EngineError('bad-request', (error as Error).message);
        }
      },
    };
  }

  /**
   * Answers one request of the contract; never throws (errors come back as data). The payload
   * is checked against the contract first. Paths in it are trusted: a transport that serves a
   * client checks them against what the person chose before they reach here.
   */
  async handle(channel: RequestChannel, payload: unknown): Promise<Result<unknown>> {
    if (!isRequestChannel(channel)) return fail('bad-request', `unknown request ${quoteValue(channel)}`);
    if (!ENGINE_CHANNELS.includes(channel)) return fail('unavailable', `${channel} is not an engine request`);
    const route = this.routes[channel] as ((p: unknown) => unknown) | undefined;
    if (route === undefined) return fail('unavailable', `${channel} is not available`);
    const checked = checkPayload(channel, payload);
    if (!checked.ok) return checked;
    try {
      return ok(await route(checked.value));
    } catch (error) {
      if (error instanceof EngineError) return fail(error.code, error.message);
      if (error instanceof TypeError) return fail('bad-request', `${channel}: ${error.message}`);
      return fail('internal', `${channel}: ${(error as Error).message}`);
    }
  }

  /** Stops the session and the models' worker threads. */
  async close(): Promise<void> {
    if (this.ticker !== null) clearInterval(this.ticker);
    if (this.snapshotTimer !== null) clearTimeout(this.snapshotTimer);
    await this.endSession();
    this.options.onSessionFiles?.([]);
    for (const identifier of this.identifiers?.values() ?? []) await identifier.close();
  }

  private appInfo(): AppInfo {
    let models: ModelInfo[] = [];
    let problem = this.modelsProblem;
    try {
      const manifest = loadManifest(this.options.modelsDir);
      models = manifest.models.map((m) => ({
        id: m.id,
        view: m.view,
        kind: m.kind,
        isDefault: manifest.defaults[m.view] === m.id,
        labels: [...m.labels],
        window: m.window,
        featureSpecVersion: m.featureSpecVersion,
        macroRecall:
          typeof m.metrics.validation?.macroRecall === 'number' ? m.metrics.validation.macroRecall : null,
        sizeBytes: m.sizeBytes,
        sha256: m.sha256,
      }));
    } catch (error) {
      problem = (error as Error).message;
    }
    return {
      version: this.options.version,
      mode: this.options.mode,
      dataDir: this.options.dataDir,
      notices: [...this.notices],
      models,
      modelsProblem: problem,
      liveCapture: this.liveCapture(),
    };
  }

  private liveCapture(): AppInfo['liveCapture'] {
    try {
      listInterfaces();
      return { available: true, reason: null };
    } catch (error) {
      return { available: false, reason: (error as Error).message };
    }
  }

  private interfaces(): CaptureInterface[] {
    try {
      return listInterfaces();
    } catch (error) {
      throw new EngineError('unavailable', (error as Error).message);
    }
  }

  private async startLive(iface: string, filter: string | undefined): Promise<SourceInfo> {
    const known = this.interfaces();
    if (!known.some((i) => i.name === iface)) {
      throw new EngineError(
        'not-found',
        `no interface ${quoteValue(iface)} (there are: ${known.map((i) => i.name).join(', ')})`,
      );
    }
    await this.endSession();
    const identifiers = await this.models();
    const info: SourceInfo = { kind: 'live', names: [iface], speed: 'max' };
    const s = new Session(info, [iface], [...identifiers.keys()]);
    this.beginSession(s, 'capturing');
    s.done = this.runSession(
      s,
      null,
      identifiers,
      (name) => new LiveCaptureSource(name, { filter: filter ?? this.settings.get().captureFilter }),
    );
    return info;
  }

  /** Makes `s` the session: the person's names, the models' problem, the ticker, a first snapshot. */
  private beginSession(s: Session, status: Snapshot['status']): void {
    for (const [mac, o] of this.overrides.all())
      if (o.name !== undefined) s.inventory.setUserName(mac, o.name);
    for (const message of this.notices) s.problems.push({ severity: 'warning', message });
    if (this.modelsProblem !== null) s.problems.push({ severity: 'warning', message: this.modelsProblem });
    s.status = status;
    this.session = s;
    this.options.onSessionFiles?.(s.info.kind === 'files' ? s.paths : []);
    this.startTicker();
    this.pushSnapshot(true);
  }

  /** The observers' models, opened once; on failure identification is off and the reason is kept. */
  private async models(): Promise<Map<ModelView, DeviceIdentifier>> {
    if (this.identifiers !== null) return this.identifiers;
    try {
      this.identifiers = await openObserverModels(this.options.modelsDir, MODEL_VIEWS);
      this.modelsProblem = null;
    } catch (error) {
      this.identifiers = new Map();
      this.modelsProblem = `device identification is off: ${(error as Error).message}`;
    }
    return this.identifiers;
  }

  private async openFiles(
    paths: readonly string[],
    speedIn: ReplaySpeed | undefined,
    labels: string | null,
  ): Promise<SourceInfo> {
    for (const path of paths) {
      let isFile: boolean;
      try {
        isFile = statSync(path).isFile();
      } catch {
        throw new EngineError('not-found', `${path}: no such file`);
      }
      if (!isFile) throw new EngineError('unreadable', `${path}: not a regular file`);
      try {
        accessSync(path, constants.R_OK);
      } catch {
        throw new EngineError('permission', `${path}: permission denied (cannot read the file)`);
      }
    }
    const speed = speedIn ?? this.settings.get().defaultSpeed;
    let groundTruth: GroundTruth | null = null;
    if (labels !== null) {
      try {
        groundTruth = await GroundTruth.load(labels);
      } catch (error) {
        if (error instanceof GroundTruthError) throw new EngineError('bad-request', error.message);
        throw new EngineError('not-found', `${labels}: ${(error as Error).message}`);
      }
    }
    await this.endSession();
    const identifiers = await this.models();
    const info: SourceInfo = { kind: 'files', names: paths.map((p) => basename(p)), speed };
    const s = new Session(info, paths, [...identifiers.keys()]);
    this.beginSession(s, 'replaying');
    s.done = this.runSession(s, groundTruth, identifiers, undefined);
    return info;
  }

  /**
   * Reads the session's inputs (files, or a live interface through `openSource`) to the end or
   * the stop, then audits what was read; for files the what-ifs follow. Failures end the session
   * in the error state with the reason among its problems.
   */
  private async runSession(
    s: Session,
    groundTruth: GroundTruth | null,
    identifiers: Map<ModelView, DeviceIdentifier>,
    openSource: ((input: string) => PacketSource) | undefined,
  ): Promise<void> {
    try {
      await this.readAndAudit(s, groundTruth, identifiers, openSource);
    } catch (error) {
      s.status = 'error';
      s.problems.push({ severity: 'error', message: `the session failed: ${(error as Error).message}` });
      this.pushSnapshot(true);
    }
  }

  private async readAndAudit(
    s: Session,
    groundTruth: GroundTruth | null,
    identifiers: Map<ModelView, DeviceIdentifier>,
    openSource: ((input: string) => PacketSource) | undefined,
  ): Promise<void> {
    const hooks = s.collector.hooks();
    const analysis = await analyzeCaptures(s.paths, {
      groundTruth,
      views: s.collector.views,
      inventory: s.inventory,
      pacing: { speed: s.info.speed },
      openSource,
      onSource: (source) => {
        s.source = source;
        if (s.status === 'paused') source.pause();
      },
      shouldStop: () => s.stopRequested,
      onViewPacket: hooks.onViewPacket,
      onSegmentStart: hooks.onSegmentStart,
      onProgress: (p) => {
        s.packets = p.packets;
        s.fraction = p.fraction;
      },
      onPacket: (pkt) => {
        hooks.onPacket(pkt);
        s.bytesRead += pkt.raw.origLen;
        if (s.captureStart === null) s.captureStart = pkt.raw.ts;
        s.captureNow = pkt.raw.ts;
      },
    });
    s.source = null;
    for (const f of analysis.files) {
      for (const e of f.errors) {
        s.problems.push({
          severity: e.fatal && f.packets === 0 ? 'error' : 'warning',
          message:
            e.fatal && f.packets > 0
              ? `${e.message} (the ${f.packets} packets before it were used)`
              : e.message,
        });
      }
    }
    s.packets = analysis.packets;
    if (this.session !== s) return;
    if (analysis.packets === 0 && s.problems.some((p) => p.severity === 'error')) {
      s.status = 'error';
      s.finishedAt = Date.now();
      this.pushSnapshot(true);
      return;
    }
    s.status = 'analysing';
    this.pushSnapshot(true);
    if (s.interim !== null) await s.interim; // one labelling at a time
    s.audit = await s.collector.finish(analysis, identifiers, null);
    const stopped = s.stopRequested;
    s.status = stopped ? 'stopped' : 'done';
    s.finishedAt = Date.now();
    this.pushSnapshot(true);
    if (stopped || identifiers.size === 0 || this.session !== s || s.info.kind === 'live') return;
    const audit = s.audit;
    audit.whatIfs = await s.collector.whatIfs(audit.devices, audit.observers, identifiers, audit.coverage, {
      paths: s.paths,
      defences: DEFAULT_DEFENCES,
      options: { groundTruth },
      shouldStop: () => s.stopRequested,
    });
    this.pushSnapshot(true);
  }

  private requireSession(): Session {
    if (this.session === null)
      throw new EngineError('not-found', 'no capture session: open a capture file first');
    return this.session;
  }

  private pause(): null {
    const s = this.requireSession();
    if (s.status !== 'replaying' && s.status !== 'capturing') return null;
    s.source?.pause();
    s.status = 'paused';
    this.pushSnapshot(true);
    return null;
  }

  private resume(): null {
    const s = this.requireSession();
    if (s.status !== 'paused') return null;
    s.source?.resume();
    s.status = s.info.kind === 'live' ? 'capturing' : 'replaying';
    this.pushSnapshot(true);
    return null;
  }

  private stop(): null {
    const s = this.requireSession();
    if (s.status === 'done' || s.status === 'stopped' || s.status === 'error') return null;
    s.stopRequested = true;
    s.source?.resume();
    s.source?.stop();
    return null;
  }

  private setSpeed(speed: ReplaySpeed): null {
    const s = this.requireSession();
    s.info.speed = speed;
    s.source?.setSpeed(speed);
    this.pushSnapshot(true);
    return null;
  }

  private async endSession(): Promise<void> {
    const s = this.session;
    if (s === null) return;
    s.stopRequested = true;
    s.source?.resume();
    s.source?.stop();
    this.session = null;
    await s.done;
  }

  // --- snapshots -------------------------------------------------------------------------------

  private startTicker(): void {
    if (this.ticker !== null) return;
    this.ticker = setInterval(() => {
      const s = this.session;
      if (s === null) return;
      const now = Date.now();
      const dt = (now - s.rateMark.at) / 1000;
      if (dt > 0) s.packetsPerSecond = (s.packets - s.rateMark.packets) / dt;
      s.rateMark = { at: now, packets: s.packets };
      // a live session's silent devices move on with the clock (asleep after a while)
      if (s.status === 'capturing') s.collector.truth.advanceTo(now / 1000);
      if (
        s.info.kind === 'live' &&
        (s.status === 'capturing' || s.status === 'paused') &&
        s.interim === null &&
        now - s.interimAt >= this.liveAuditInterval
      )
        this.startInterimAudit(s);
      if (s.status === 'replaying' || s.status === 'capturing' || s.status === 'analysing')
        this.pushSnapshot(false);
    }, this.interval);
    this.ticker.unref();
  }

  /**
   * Re-analyses a live session's observers on what it captured so far (their models label the
   * logs as they are), so the overview and findings fill in while the capture runs.
   */
  private startInterimAudit(s: Session): void {
    const identifiers = this.identifiers;
    if (identifiers === null || identifiers.size === 0 || s.captureStart === null || s.captureNow === null)
      return;
    s.interimAt = Date.now();
    const coverage = [{ start: s.captureStart, end: s.captureNow + 1 }];
    s.interim = s.collector
      .interim(s.inventory, s.packets, coverage, identifiers)
      .then(
        (audit) => {
          // a finished session's own audit wins over an interim one
          if (s.status === 'capturing' || s.status === 'paused') {
            s.audit = audit;
            this.pushSnapshot(true);
          }
        },
        (error: unknown) => {
          s.problems.push({
            severity: 'warning',
            message: `analysing the live capture so far failed: ${(error as Error).message}`,
          });
        },
      )
      .finally(() => {
        s.interim = null;
      });
  }

  /**
   * Sends a snapshot now if the last one is at least the interval old, else once it is (a state
   * change is never lost, but two snapshots are never closer than the interval).
   */
  private pushSnapshot(stateChanged: boolean): void {
    if (this.snapshotTimer !== null) return; // one is due already and will carry the latest state
    const wait = this.lastSnapshotAt + this.interval - Date.now();
    if (wait <= 0) {
      this.sendSnapshot();
      return;
    }
    if (stateChanged) {
      this.snapshotTimer = setTimeout(() => {
        this.snapshotTimer = null;
        this.sendSnapshot();
      }, wait);
    }
  }

  private sendSnapshot(): void {
    this.options.emit('snapshot', this.snapshot());
    this.lastSnapshotAt = Date.now(); // after building it: the interval is between deliveries
  }

  private findings(s: Session): Finding[] {
    if (s.audit === null) return [];
    // rebuilt on every snapshot so a rename shows in the findings at once
    const byMac = new Map(s.inventory.devices().map((d) => [d.mac, d]));
    const devices = s.audit.devices.map((d) => {
      const r = byMac.get(d.mac);
      return r === undefined
        ? d
        : { ...d, name: r.displayName, nameIsUsers: r.names.some((n) => n.source === 'user') };
    });
    return auditFindings({ ...s.audit, devices });
  }

  private row(s: Session, d: DeviceRecord, findings: readonly Finding[]): DeviceRow {
    const o = this.overrides.get(d.mac);
    const audit = s.audit;
    const exposure: DeviceRow['exposure'] = { napt: null, vpn: null };
    for (const obs of audit?.observers ?? []) {
      const r = obs.devices.find((x) => x.mac === d.mac);
      if (r === undefined || r.identity.packets === 0) continue;
      exposure[obs.view] = {
        className: r.identity.className,
        classSource: r.identity.classSource,
        recognisedShare: r.identity.recognisedShare,
        agreement: r.activity.agreement,
        busyRecall: r.activity.busyRecall,
        packets: r.identity.packets,
      };
    }
    const label = d.label !== null && !d.label.infrastructure ? d.label : null;
    // the ISP's model names the type only when it is sure of the device (most of its packets)
    const sure = [exposure.napt, exposure.vpn].find(
      (e) => e !== null && e.classSource !== 'lookalike' && e.recognisedShare >= 0.5,
    );
    const modelClass = sure?.className ?? null;
    const category = o.category ?? label?.category ?? modelClass;
    const own = findings.filter((f) => f.device === d.mac);
    const rank = ['high', 'medium', 'low', 'info'];
    const top =
      own.length === 0
        ? null
        : own.reduce((a, b) => (rank.indexOf(b.severity) < rank.indexOf(a.severity) ? b : a));
    const autoName = d.names.find((n) => n.source !== 'user')?.name ?? label?.device ?? d.displayName;
    return {
      mac: d.mac,
      name: o.name ?? label?.device ?? d.displayName,
      nameSource: o.name !== undefined ? 'user' : 'auto',
      autoName: label?.device ?? autoName,
      vendor: d.vendorText,
      category,
      categorySource:
        o.category !== undefined ? 'user' : label !== null ? 'labels' : modelClass !== null ? 'model' : null,
      trueLabel: label?.device ?? null,
      addresses: d.addresses.map((a) => a.address),
      state: s.collector.truth.tracker(d.mac)?.state ?? null,
      packets: d.packetsSent + d.packetsReceived,
      bytesSent: d.bytesSent,
      bytesReceived: d.bytesReceived,
      firstSeen: d.firstSeen,
      lastSeen: d.lastSeen,
      exposure,
      findings: own.length,
      topSeverity: top?.severity ?? null,
    };
  }

  private records(s: Session): DeviceRecord[] {
    return s.inventory
      .devices()
      .filter((d) => d.role === 'device' && isDeviceMac(d.mac) && d.label?.infrastructure !== true);
  }

  snapshot(): Snapshot {
    const s = this.session;
    if (s === null) {
      return {
        sessionId: 'none',
        seq: ++this.seq,
        status: 'idle',
        source: null,
        progress: IDLE_PROGRESS,
        problems: [
          ...this.notices.map((message) => ({ severity: 'warning' as const, message })),
          ...(this.modelsProblem === null
            ? []
            : [{ severity: 'warning' as const, message: this.modelsProblem }]),
        ],
        devices: [],
        observers: null,
        findings: [],
        whatIfs: [],
      };
    }
    const findings = this.findings(s);
    const elapsed = ((s.finishedAt ?? Date.now()) - s.startedAt) / 1000;
    const running = s.status === 'replaying' || s.status === 'capturing' || s.status === 'paused';
    const f = s.fraction;
    return {
      sessionId: s.id,
      seq: ++this.seq,
      status: s.status,
      source: { ...s.info },
      progress: {
        packets: s.packets,
        bytes: s.bytesRead,
        fraction: s.status === 'done' ? 1 : f,
        packetsPerSecond: running ? s.packetsPerSecond : 0,
        etaSeconds:
          running && f !== null && f > 0.01 && s.status !== 'paused' ? (elapsed * (1 - f)) / f : null,
        captureStart: s.captureStart,
        captureNow: s.captureNow,
        elapsedSeconds: elapsed,
      },
      problems: [...s.problems],
      devices: this.records(s)
        .map((d) => this.row(s, d, findings))
        .sort((a, b) => b.packets - a.packets),
      observers:
        s.audit === null
          ? null
          : s.audit.observers.map((o) => ({
              view: o.view,
              observer: o.observer,
              modelId: o.modelId,
              meanRecognisedShare: o.meanRecognisedShare,
              meanAgreement: o.meanAgreement,
            })),
      findings,
      whatIfs: (s.audit?.whatIfs ?? []).map((w) => ({
        id: w.id,
        view: w.view,
        description: w.description,
        meanRecognisedShare: w.meanRecognisedShare,
        meanAgreement: w.meanAgreement,
        costShare: w.costShare,
        extraBytes: w.extraBytes,
      })),
    };
  }

  private deviceDetail(mac: string): DeviceDetail {
    const s = this.requireSession();
    const record = this.deviceRecord(s, mac);
    const findings = this.findings(s);
    const audit = s.audit;
    const auditDevice = audit?.devices.find((d) => d.mac === mac);
    // while a live capture runs, its own timeline is newer than the last interim audit's copy
    const liveNow = s.info.kind === 'live' && (s.status === 'capturing' || s.status === 'paused');
    const current = s.collector.truth.tracker(mac)?.timeline() ?? null;
    const truth = (liveNow ? current : auditDevice?.truth) ?? current;
    const inferred: DeviceDetail['inferred'] = { napt: null, vpn: null };
    for (const o of audit?.observers ?? [])
      inferred[o.view] = o.devices.find((r) => r.mac === mac)?.inferred ?? null;
    const traffic = s.collector.metadata.devicesMetadata().find((m) => m.mac === mac);
    const soFar =
      s.captureStart === null || s.captureNow === null ? [] : [{ start: s.captureStart, end: s.captureNow }];
    return {
      row: this.row(s, record, findings),
      coverage: liveNow ? soFar : (audit?.coverage ?? soFar),
      truth: truth ?? { start: 0, end: 0, segments: [], spans: [], droppedSegments: 0, droppedSpans: 0 },
      inferred,
      rates: s.collector.rates.of(mac),
      destinations: {
        names: record.names
          .filter((n) => n.source === 'dns-query' || n.source === 'tls-sni')
          .map((n) => ({
            name: n.name,
            source: n.source === 'tls-sni' ? ('sni' as const) : ('dns' as const),
          })),
        services: traffic?.services ?? [],
        remotePeerCount: record.remotePeerCount,
      },
      findings: findings.filter((f) => f.device === mac),
      whatIfs: (audit?.whatIfs ?? []).flatMap((w) => {
        const r = w.devices.find((x) => x.mac === mac);
        return r === undefined
          ? []
          : [
              {
                id: w.id,
                view: w.view,
                description: w.description,
                recognisedShare: r.recognisedShare,
                agreement: r.agreement,
                busyRecall: r.busyRecall,
                costShare: w.costShare,
              },
            ];
      }),
    };
  }

  /** The session's device `mac`, checked before an edit is kept (a refused edit saves nothing). */
  private deviceRecord(s: Session, mac: string): DeviceRecord {
    const record = this.records(s).find((d) => d.mac === mac);
    if (record === undefined) throw new EngineError('not-found', `no device ${mac} in this session`);
    return record;
  }

  private rename(mac: string, name: string | null): DeviceRow {
    const s = this.requireSession();
    this.deviceRecord(s, mac);
    s.inventory.setUserName(mac, this.overrides.setName(mac, name));
    return this.rowAfterEdit(s, mac);
  }

  private setCategory(mac: string, category: string | null): DeviceRow {
    const s = this.requireSession();
    this.deviceRecord(s, mac);
    this.overrides.setCategory(mac, category);
    return this.rowAfterEdit(s, mac);
  }

  private rowAfterEdit(s: Session, mac: string): DeviceRow {
    this.pushSnapshot(true);
    return this.row(s, this.deviceRecord(s, mac), this.findings(s));
  }

  private exportSession(): { fileName: string; json: string } {
    const s = this.requireSession();
    const snapshot = this.snapshot();
    const doc = {
      format: 'telltale-session',
      formatVersion: 1,
      telltaleVersion: this.options.version,
      exportedAt: new Date().toISOString(),
      source: s.info,
      status: s.status,
      progress: snapshot.progress,
      problems: s.problems,
      devices: snapshot.devices,
      inventory: s.inventory.toJSON(),
      audit: s.audit,
      findings: snapshot.findings,
    };
    const stamp = new Date((s.captureStart ?? Date.now() / 1000) * 1000)
      .toISOString()
      .slice(0, 16)
      .replace(/[:T]/g, '-');
    return { fileName: `telltale-session-${stamp}.json`, json: `${JSON.stringify(doc, null, 1)}\n` };
  }
}
