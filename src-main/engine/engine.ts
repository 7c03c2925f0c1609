/**
 * The engine behind the app: one capture session at a time (capture files replayed, or a live
 * interface), the audit of what it saw, the person's device names and types, the settings — and
 * the route table that answers every request of the IPC contract. Plain Node: the same engine
 * runs in Electron's utilityProcess, behind `telltale serve`, and in tests.
 *
 * A session's snapshot goes out at most once a second while it runs (and once when it changes
 * state), stamped with the engine's id, the session's id and a number that grows with every
 * snapshot: the UI drops stale ones and follows whichever session the engine runs (one opened
 * from the app's menu or another browser tab included). When the packets are read the
 * observers' models label them and the findings are made; the defence what-ifs follow (they read
 * the files again), and the snapshot is sent again when they are done.
 */
import { randomUUID } from 'node:crypto';
import { accessSync, constants, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { HomeAudit } from '../audit/audit-types.ts';
import { analyzeCaptures } from '../audit/capture-analysis.ts';
import { OBSERVER_NAMES } from '../audit/audit-types.ts';
import { openObserverModels } from '../audit/home-audit.ts';
import { writePacketLabels } from '../audit/packet-labels.ts';
import { startsLikeCapture } from '../capture/capture-format.ts';
import { dumpcapInterfaces, listInterfaces, LiveCaptureSource } from '../capture/live-capture.ts';
import { CommandCaptureSource, sshCaptureCommand, type CaptureCommand } from '../capture/stream-capture.ts';
import { DUMPCAP_ADVICE, dumpcapCommand, findDumpcap } from '../capture/dumpcap.ts';
import { ipv4Number, ipv4Text } from '../capture/inspect/arp-frame.ts';
import { InspectError } from '../capture/inspect/home-network.ts';
import {
  discoverOn,
  InspectCaptureSource,
  inspectPlan,
  ipv6Notice,
  startInspect,
} from '../capture/inspect/inspect-capture.ts';
import type { Discovery } from '../capture/inspect/discovery.ts';
import type { HomeNetwork } from '../capture/inspect/home-network.ts';
import { inspectRecordPath } from '../capture/inspect/restore-record.ts';
import { recoverNetwork } from '../capture/inspect/restore-watchdog.ts';
import { LiveCaptureUnavailable } from '../capture/live-capture.ts';
import { describeDiscovery } from '../devices/discovered-devices.ts';
import type { InspectDiscovery, InspectRequest } from '../shared/inspect-mode.ts';
import type { PacketSource } from '../capture/packet-source.ts';
import { normalizeMac } from '../devices/address-scope.ts';
import type { DeviceRecord } from '../devices/device-record.ts';
import { GroundTruth, GroundTruthError } from '../devices/ground-truth.ts';
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
  type ModelInfo,
  type ReplaySpeed,
  type RequestChannel,
  type RequestOf,
  type ResponseOf,
  type Result,
  type Snapshot,
  type SourceInfo,
} from '../shared/ipc-contract.ts';
import { checkPayload, quoteValue } from '../shared/request-validation.ts';
import { systemTimeZone } from '../shared/time-zone.ts';
import { DataFileError } from '../store/json-file.ts';
import { SettingsStore } from '../store/settings-store.ts';
import { UserOverrides } from '../store/user-overrides.ts';
import { DEFAULT_DEFENCES } from '../views/defences.ts';
import { NoChromiumError } from '../report/chromium.ts';
import { modelFacts } from '../report/model-facts.ts';
import { Session } from './session.ts';
import {
  deviceDetail,
  deviceRow,
  fileStamp,
  idleSnapshot,
  sessionDevices,
  sessionExport,
  sessionFindings,
  sessionCsv,
  sessionReport,
  sessionSnapshot,
} from './snapshot.ts';

/** How long a discovery's list may be used to start inspect mode. */
const DISCOVERY_FRESH_MS = 10 * 60 * 1000;

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
   * How often a replay's observers are shown as they stand while the files are read (default
   * 5000 ms): their models label the packets as they come, so the first results need not wait
   * for the last file.
   */
  replayAuditIntervalMs?: number;
  /**
   * Called with the files the engine may still read whenever that changes: a session's inputs
   * when it opens, none when it ends (browser mode deletes the uploads no session reads).
   */
  onSessionFiles?: (paths: readonly string[]) => void;
  /**
   * How a live capture opens the interface: 'auto' (default) through libpcap in this process
   * (`cap`), else — refused or not loadable — through Wireshark's dumpcap where it is installed;
   * 'dumpcap' always through dumpcap (tests).
   */
  liveBackend?: 'auto' | 'dumpcap';
}

type EngineRoutes = {
  [K in RequestChannel]?: (payload: RequestOf<K>) => Promise<ResponseOf<K>> | ResponseOf<K>;
};

function checkMac(mac: string): string {
  const m = normalizeMac(mac);
  if (m === null) throw new EngineError('bad-request', `${quoteValue(mac)} is not a MAC address`);
  return m;
}

export class Engine {
  private readonly settings: SettingsStore;
  private readonly overrides: UserOverrides;
  private identifiers: Map<ModelView, DeviceIdentifier> | null = null;
  private modelsProblem: string | null = null;
  private session: Session | null = null;
  /** This engine's id: snapshots carry it, so a UI tells a restarted engine's numbering from this one's. */
  private readonly id = randomUUID();
  private seq = 0;
  private lastSnapshotAt = 0;
  private snapshotTimer: NodeJS.Timeout | null = null;
  private ticker: NodeJS.Timeout | null = null;
  private readonly interval: number;
  private readonly liveAuditInterval: number;
  private readonly replayAuditInterval: number;
  private readonly routes: EngineRoutes;
  /** Session starts and the close, one after another (see `exclusive`). */
  private switching: Promise<unknown> = Promise.resolve();
  private closing = false;
  /**
   * What was done at start-up that the person should know (a damaged data file moved aside, an
   * inspect session left by a Telltale that died undone).
   */
  readonly notices: string[];
  /** The last discovery of inspect mode: what the person chose devices from. */
  private discovery: { net: HomeNetwork; found: Discovery; at: number } | null = null;
  /** Putting back what an inspect session left by a Telltale that died changed (at start-up). */
  private readonly recovery: Promise<void>;

  constructor(private readonly options: EngineOptions) {
    this.settings = new SettingsStore(options.dataDir);
    this.overrides = new UserOverrides(options.dataDir);
    this.notices = [this.settings.notice, this.overrides.notice].filter((n): n is string => n !== null);
    this.recovery = recoverNetwork(inspectRecordPath()).then(
      (done) => {
        if (done !== null) this.notices.push(done);
      },
      (error: unknown) => {
        this.notices.push(
          `an inspect session left by an earlier Telltale could not be undone: ${(error as Error).message}`,
        );
      },
    );
    this.interval = options.snapshotIntervalMs ?? 1000;
    this.liveAuditInterval = options.liveAuditIntervalMs ?? 30_000;
    this.replayAuditInterval = options.replayAuditIntervalMs ?? 5000;
    this.routes = {
      'app.info': () => this.appInfo(),
      'capture.interfaces': () => this.interfaces(),
      'capture.openFiles': (p) => this.openFiles(p.paths, p.speed, p.labels ?? null),
      'capture.openSample': () => this.openSample(),
      'capture.startLive': (p) => this.startLive(p.interface, p.filter),
      'capture.startRouter': (p) => this.startCommand(sshCaptureCommand(p)),
      'inspect.discover': (p) => this.discoverDevices(p.interface),
      'capture.startInspect': (p) => this.startInspecting(p),
      'capture.pause': () => this.pause(),
      'capture.resume': () => this.resume(),
      'capture.stop': () => this.stop(),
      'capture.setSpeed': (p) => this.setSpeed(p.speed),
      'session.snapshot': () => this.snapshot(),
      'session.export': () => this.exportSession(),
      'report.render': (p) => this.report(p),
      'session.exportCsv': () => ({ files: sessionCsv(this.requireAudited('the CSV files')) }),
      'session.exportPackets': (p) => this.exportPackets(p),
      'device.detail': (p) => this.deviceDetail(checkMac(p.mac)),
      'device.rename': (p) => this.rename(checkMac(p.mac), p.name),
      'device.setCategory': (p) => this.setCategory(checkMac(p.mac), p.category),
      'settings.get': () => this.settings.get(),
      'settings.update': (p) => {
        try {
          const settings = this.settings.update(p);
          // the findings on screen and the exports give times in the zone chosen now
          if (this.session !== null && this.session.timeZone !== this.timeZone()) {
            this.session.timeZone = this.timeZone();
            this.pushSnapshot(true);
          }
          return settings;
        } catch (error) {
          if (error instanceof RangeError) throw new EngineError('bad-request', error.message);
          throw error;
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
      if (error instanceof DataFileError) return fail('unavailable', error.message);
      if (error instanceof TypeError) return fail('bad-request', `${channel}: ${error.message}`);
      return fail('internal', `${channel}: ${(error as Error).message}`);
    }
  }

  /**
   * Runs `task` (a session start, or the close) after every one asked for before it has settled:
   * requests that arrive together never both become the session, so no session runs that the
   * engine does not track.
   */
  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.switching.then(task, task);
    this.switching = run.catch(() => undefined);
    return run;
  }

  private refuseWhenClosing(): void {
    if (this.closing) throw new EngineError('unavailable', 'the engine is closing');
  }

  /** Stops the session and the models' worker threads. */
  async close(): Promise<void> {
    this.closing = true;
    if (this.ticker !== null) clearInterval(this.ticker);
    if (this.snapshotTimer !== null) clearTimeout(this.snapshotTimer);
    await this.exclusive(() => this.endSession());
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
    const dumpcap = findDumpcap();
    try {
      this.interfaces();
      return { available: true, reason: null, dumpcap };
    } catch (error) {
      return { available: false, reason: (error as Error).message, dumpcap };
    }
  }

  private interfaces(): CaptureInterface[] {
    try {
      return listInterfaces();
    } catch (error) {
      // cap is not loadable here (the desktop app's runtime): dumpcap can list them too
      const dumpcap = findDumpcap();
      const listed = dumpcap === null ? null : dumpcapInterfaces(dumpcap);
      if (listed !== null && listed.length > 0) return listed;
      throw new EngineError('unavailable', (error as Error).message);
    }
  }

  private startLive(iface: string, filter: string | undefined): Promise<SourceInfo> {
    return this.exclusive(() => this.startLiveNow(iface, filter));
  }

  private async startLiveNow(iface: string, filter: string | undefined): Promise<SourceInfo> {
    this.refuseWhenClosing();
    const known = this.interfaces();
    if (!known.some((i) => i.name === iface)) {
      throw new EngineError(
        'not-found',
        `no interface ${quoteValue(iface)} (there are: ${known.map((i) => i.name).join(', ')})`,
      );
    }
    const bpf = filter ?? this.settings.get().captureFilter;
    const dumpcap = findDumpcap();
    if (this.options.liveBackend === 'dumpcap') {
      if (dumpcap === null)
        throw new EngineError('unavailable', `no dumpcap to capture with: ${DUMPCAP_ADVICE}`);
      return this.startStreamSession(
        viaDumpcap(iface),
        () => new CommandCaptureSource(dumpcapCommand(dumpcap, iface, bpf)),
      );
    }
    // libpcap in this process first; where it is refused (or cap is not built for this runtime,
    // as in the desktop app), Wireshark's dumpcap with the wireshark group's rights
    const probe = new LiveCaptureSource(iface, { filter: bpf });
    const opened = probe.open();
    const refused = !opened && (probe.libraryMissing || probe.errors.some((e) => e.kind === 'permission'));
    if (refused && dumpcap !== null)
      return this.startStreamSession(
        viaDumpcap(iface),
        () => new CommandCaptureSource(dumpcapCommand(dumpcap, iface, bpf)),
      );
    try {
      return await this.startStreamSession(iface, () => probe, true);
    } catch (error) {
      probe.stop();
      throw error;
    }
  }

  /** Inspect mode's errors as the engine's: what cannot be done here, or not permitted. */
  private async inspectStep<T>(step: () => Promise<T>): Promise<T> {
    try {
      return await step();
    } catch (error) {
      if (error instanceof InspectError && /needs root/.test(error.message))
        throw new EngineError('permission', error.message);
      if (error instanceof InspectError || error instanceof LiveCaptureUnavailable)
        throw new EngineError('unavailable', error.message);
      if (error instanceof Error && /capturing here is not permitted/.test(error.message))
        throw new EngineError('permission', error.message);
      throw error;
    }
  }

  /** The devices on `iface`'s network, for the person to choose from (changes nothing). */
  private discoverDevices(iface: string): Promise<InspectDiscovery> {
    return this.inspectStep(async () => {
      this.refuseWhenClosing();
      await this.recovery;
      const started = Date.now();
      const { net, found } = await discoverOn(iface, { shouldStop: () => this.closing });
      this.discovery = { net, found, at: Date.now() };
      const names = new Map<string, string>();
      for (const [mac, o] of this.overrides.all()) if (o.name !== undefined) names.set(mac, o.name);
      const mask = net.prefix === 0 ? 0 : (0xffffffff << (32 - net.prefix)) >>> 0;
      return {
        interface: iface,
        self: net.self,
        subnet: `${ipv4Text((ipv4Number(net.self.ip) & mask) >>> 0)}/${net.prefix}`,
        gatewayIp: net.gatewayIp,
        devices: describeDiscovery(found, net.gatewayIp, names),
        noSweep: found.noSweep,
        asked: found.asked,
        seconds: (Date.now() - started) / 1000,
      };
    });
  }

  /**
   * Inspect mode: the devices the person ticked (from the last discovery on that interface) are
   * redirected through this computer and captured live; the session's end puts everything back.
   */
  private startInspecting(p: InspectRequest): Promise<SourceInfo> {
    return this.exclusive(() =>
      this.inspectStep(async () => {
        this.refuseWhenClosing();
        if (!p.consent) throw new EngineError('bad-request', "inspect mode needs the person's consent");
        const d = this.discovery;
        if (d === null || d.net.iface !== p.interface || Date.now() - d.at > DISCOVERY_FRESH_MS)
          throw new EngineError(
            'unavailable',
            `look for devices on ${p.interface} first (the list is made fresh for each session)`,
          );
        await this.endSession();
        const plan = inspectPlan(d.net, d.found, p.devices, inspectRecordPath());
        // what the session hears goes to the session it began with, never to a later one
        const owner: { session: Session | null } = { session: null };
        const inspect = await startInspect(plan, {
          onProblem: (message) => {
            const s = owner.session;
            if (s === null || this.session !== s) return;
            s.problems.push({ severity: 'error', message });
            s.requestStop();
            this.pushSnapshot(true);
          },
          onIpv6: (device, address) => {
            const s = owner.session;
            if (s === null || this.session !== s) return;
            s.problems.push({ severity: 'warning', message: ipv6Notice(device, address) });
            this.pushSnapshot(true);
          },
        });
        const name = `${plan.devices.length} device${plan.devices.length === 1 ? '' : 's'} inspected through ${p.interface}`;
        try {
          const info = await this.startStreamSession(name, () => new InspectCaptureSource(inspect), true);
          const s = this.session;
          owner.session = s;
          // the session's end (stop, error, a new session, the engine closing) puts the network back
          if (s !== null) s.done = s.done.finally(() => this.endInspect(s, inspect));
          return info;
        } catch (error) {
          await inspect.stop();
          throw error;
        }
      }),
    );
  }

  private async endInspect(s: Session, inspect: InspectCaptureSource['session']): Promise<void> {
    const problems = await inspect.stop();
    for (const message of problems)
      s.problems.push({ severity: 'error', message: `putting the network back: ${message}` });
    if (problems.length > 0 && this.session === s) this.pushSnapshot(true);
  }

  /**
   * Captures what a command writes to its standard output (a router's tcpdump over SSH): a live
   * session like an interface's. The app's route builds the command from checked fields only
   * (shared/router-capture.ts); `telltale serve --from-command` passes the person's own.
   */
  startCommand(command: CaptureCommand): Promise<SourceInfo> {
    return this.exclusive(async () => {
      this.refuseWhenClosing();
      return this.startStreamSession(command.label, () => new CommandCaptureSource(command));
    });
  }

  /**
   * Ends the session and starts a live one named `name` reading the source `open` makes;
   * `countsDrops`: the source counts the packets it loses (libpcap in this process).
   */
  private async startStreamSession(
    name: string,
    open: (name: string) => PacketSource,
    countsDrops = false,
  ): Promise<SourceInfo> {
    await this.endSession();
    const identifiers = await this.models();
    const s = new Session({ kind: 'live', names: [name], speed: 'max' }, [name], [...identifiers.keys()]);
    // only libpcap in this process counts what it loses; a command's capture keeps its count
    if (!countsDrops) s.progress.dropped = null;
    this.beginSession(s, 'capturing', []);
    s.done = this.runSession(s, null, identifiers, open);
    return { ...s.info };
  }

  /**
   * Makes `s` the session: the person's names, the models' problem, the ticker, a first snapshot.
   * `files` are the files it reads (captures and labels; none for a live capture).
   */
  private beginSession(s: Session, status: Snapshot['status'], files: readonly string[]): void {
    for (const [mac, o] of this.overrides.all())
      if (o.name !== undefined) s.inventory.setUserName(mac, o.name);
    for (const message of this.notices) s.problems.push({ severity: 'warning', message });
    if (this.modelsProblem !== null) s.problems.push({ severity: 'warning', message: this.modelsProblem });
    s.status = status;
    s.timeZone = this.timeZone();
    this.session = s;
    this.options.onSessionFiles?.(files);
    this.startTicker();
    this.pushSnapshot(true);
  }

  /** The zone times are given in: the person's setting, else this computer's. */
  private timeZone(): string {
    return this.settings.get().timeZone ?? systemTimeZone();
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

  /** The sample capture beside the models: its captures and its labels file. */
  private openSample(): Promise<SourceInfo> {
    const dir = join(this.options.modelsDir, 'samples');
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      throw new EngineError('not-found', 'this installation has no sample capture (models/samples)');
    }
    const captures = names.filter((n) => /\.(pcap|pcapng|cap)(\.gz)?$/i.test(n)).sort();
    if (captures.length === 0)
      throw new EngineError('not-found', 'this installation has no sample capture (models/samples)');
    const labels = names.includes('labels.csv') ? join(dir, 'labels.csv') : null;
    return this.openFiles(
      captures.map((n) => join(dir, n)),
      'max',
      labels,
    );
  }

  private openFiles(
    paths: readonly string[],
    speedIn: ReplaySpeed | undefined,
    labels: string | null,
  ): Promise<SourceInfo> {
    return this.exclusive(() => this.openFilesNow(paths, speedIn, labels));
  }

  private async openFilesNow(
    paths: readonly string[],
    speedIn: ReplaySpeed | undefined,
    labels: string | null,
  ): Promise<SourceInfo> {
    this.refuseWhenClosing();
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
    // a choice with no capture in it is refused here, so the session on screen is kept
    if (!paths.some((p) => startsLikeCapture(p)))
      throw new EngineError(
        'bad-request',
        paths.length === 1
          ? `${basename(paths[0])} is not a capture file (pcap, pcapng or gzip): nothing was opened`
          : `none of the ${paths.length} files is a capture file (pcap, pcapng or gzip): nothing was opened`,
      );
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
    const s = new Session({ kind: 'files', names: paths.map((p) => basename(p)), speed }, paths, [
      ...identifiers.keys(),
    ]);
    s.groundTruth = groundTruth;
    this.beginSession(s, 'replaying', labels === null ? paths : [...paths, labels]);
    s.done = this.runSession(s, groundTruth, identifiers, undefined);
    return { ...s.info };
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
    const hooks = s.collector.hooks(identifiers);
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
      afterBatch: hooks.afterBatch,
      onProgress: (p) => {
        s.progress.packets = p.packets;
        s.progress.fraction = p.fraction;
        const source = s.source;
        if (source !== null && s.isLive) {
          s.progress.dropped = source instanceof LiveCaptureSource ? source.stats.dropped : null;
          // a stream's packets carry the time its capture stamped them with (libpcap's, on the router)
          s.progress.timestamps = source instanceof LiveCaptureSource ? source.timestamps : 'libpcap';
        }
      },
      onPacket: (pkt) => {
        hooks.onPacket(pkt);
        s.progress.onPacket(pkt.raw.ts, pkt.raw.origLen);
      },
    });
    s.source = null;
    for (const f of analysis.files) {
      for (const e of f.errors) {
        // the person knows a file by its name (an upload's path is the engine's business); a live
        // source is named as the person gave it
        const message = s.isLive ? e.message : e.message.split(f.path).join(basename(f.path));
        s.problems.push({
          severity: e.fatal && f.packets === 0 ? 'error' : 'warning',
          message:
            e.fatal && f.packets > 0 ? `${message} (the ${f.packets} packets before it were used)` : message,
        });
      }
    }
    s.progress.packets = analysis.packets;
    if (this.session !== s) return;
    if (analysis.packets === 0 && s.problems.some((p) => p.severity === 'error')) {
      s.status = 'error';
      s.progress.finishedAt = Date.now();
      this.pushSnapshot(true);
      return;
    }
    s.status = 'analysing';
    this.pushSnapshot(true);
    if (s.interim !== null) await s.interim; // one labelling at a time
    s.audit = await s.collector.finish(analysis, identifiers, null);
    const stopped = s.stopRequested;
    s.status = stopped ? 'stopped' : 'done';
    s.progress.finishedAt = Date.now();
    this.pushSnapshot(true);
    if (stopped || identifiers.size === 0 || this.session !== s || s.isLive) return;
    const audit = s.audit;
    // "done" is the audit; the what-ifs follow with their own progress, marked pending until they end
    s.whatIfProgress = { stage: 'what ifs: starting', fraction: null };
    this.pushSnapshot(true);
    try {
      audit.whatIfs = await s.collector.whatIfs(
        audit.devices,
        audit.observers,
        identifiers,
        audit.coverage,
        {
          paths: s.paths,
          defences: DEFAULT_DEFENCES,
          options: { groundTruth },
          shouldStop: () => s.stopRequested,
        },
        (p) => {
          s.whatIfProgress = { stage: p.stage, fraction: p.fraction };
          this.pushSnapshot(false);
        },
      );
    } finally {
      s.whatIfProgress = null;
    }
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
    s.status = s.isLive ? 'capturing' : 'replaying';
    this.pushSnapshot(true);
    return null;
  }

  private stop(): null {
    const s = this.requireSession();
    if (s.status === 'done' || s.status === 'stopped' || s.status === 'error') return null;
    s.requestStop();
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
    s.abandon();
    this.session = null;
    await s.done;
    await s.packetExports.dispose();
  }

  // --- snapshots -------------------------------------------------------------------------------

  private startTicker(): void {
    if (this.ticker !== null) return;
    this.ticker = setInterval(() => {
      const s = this.session;
      if (s === null) return;
      const now = Date.now();
      s.progress.tick(now);
      // a live session's silent devices move on with the clock (asleep after a while)
      if (s.status === 'capturing') s.collector.truth.advanceTo(now / 1000);
      const every = s.liveNow
        ? this.liveAuditInterval
        : s.status === 'replaying'
          ? this.replayAuditInterval
          : null;
      if (every !== null && s.interim === null && now - s.interimAt >= every) this.startInterimAudit(s);
      if (s.status === 'replaying' || s.status === 'capturing' || s.status === 'analysing')
        this.pushSnapshot(false);
    }, this.interval);
    this.ticker.unref();
  }

  /**
   * The audit of what a live session captured, or a replay read, so far (the observers' answers
   * as their models have labelled them), so the overview and findings fill in while it runs.
   */
  private startInterimAudit(s: Session): void {
    const identifiers = this.identifiers;
    const { captureStart, captureNow } = s.progress;
    if (identifiers === null || identifiers.size === 0 || captureStart === null || captureNow === null)
      return;
    s.interimAt = Date.now();
    const coverage = [{ start: captureStart, end: captureNow + 1 }];
    s.interim = s.collector
      .interim(s.inventory, s.progress.packets, coverage, identifiers)
      .then(
        (audit) => {
          // a finished session's own audit wins over an interim one
          if (s.liveNow || s.status === 'replaying') {
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

  snapshot(): Snapshot {
    const s = this.session;
    if (s === null)
      return idleSnapshot(this.id, ++this.seq, [
        ...this.notices.map((message) => ({ severity: 'warning' as const, message })),
        ...(this.modelsProblem === null
          ? []
          : [{ severity: 'warning' as const, message: this.modelsProblem }]),
      ]);
    return sessionSnapshot(this.id, ++this.seq, s, this.overrides);
  }

  private deviceDetail(mac: string): DeviceDetail {
    const s = this.requireSession();
    return deviceDetail(s, this.deviceRecord(s, mac), this.overrides);
  }

  /** The session's device `mac`, checked before an edit is kept (a refused edit saves nothing). */
  private deviceRecord(s: Session, mac: string): DeviceRecord {
    const record = sessionDevices(s).find((d) => d.mac === mac);
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
    return deviceRow(s, this.deviceRecord(s, mac), sessionFindings(s), this.overrides);
  }

  /** The session, when its audit is finished (exports are made from that audit). */
  private requireAudited(what: string): Session & { audit: HomeAudit } {
    const s = this.requireSession();
    if (s.audit === null || s.running)
      throw new EngineError(
        'unavailable',
        `${what} are made from the finished audit: wait until the capture is read and analysed (or stop it)`,
      );
    return s as Session & { audit: HomeAudit };
  }

  private async report(request: RequestOf<'report.render'>): Promise<ResponseOf<'report.render'>> {
    const s = this.requireAudited('reports');
    const device = request.device == null ? null : checkMac(request.device);
    if (device !== null && !s.audit.devices.some((d) => d.mac === device))
      throw new EngineError('not-found', `no device ${device} in this audit`);
    try {
      return await sessionReport(
        s,
        { ...request, device },
        this.options.version,
        modelFacts(this.options.modelsDir),
      );
    } catch (error) {
      if (error instanceof NoChromiumError) throw new EngineError('unavailable', error.message);
      throw error;
    }
  }

  /** A part of the per-packet export of one observer (audit/packet-labels.ts, engine/packet-export.ts). */
  private async exportPackets(
    request: RequestOf<'session.exportPackets'>,
  ): Promise<ResponseOf<'session.exportPackets'>> {
    const s = this.requireAudited('per-packet labels');
    if (s.isLive)
      throw new EngineError(
        'unavailable',
        'per-packet labels are made from capture files, and a live capture is not kept on disk: record it (e.g. tcpdump -w home.pcap) and open the file',
      );
    const { view, part } = request;
    const identifier = (await this.models()).get(view);
    if (identifier === undefined)
      throw new EngineError('unavailable', this.modelsProblem ?? `no model for ${OBSERVER_NAMES[view]}`);
    // the what-ifs label with the same models: the export waits for them
    await s.done;
    try {
      const r = await s.packetExports.part(view, part, (out) =>
        writePacketLabels(s.paths, {
          view,
          identifier,
          groundTruth: s.groundTruth,
          out,
          shouldStop: () => this.session !== s,
        }),
      );
      if (this.session !== s)
        throw new EngineError('unavailable', 'the session ended while its packets were exported');
      const stamp = fileStamp(s.audit.start);
      return { fileName: `telltale-${stamp}-packets-${view}.csv`, ...r };
    } catch (error) {
      if (error instanceof RangeError) throw new EngineError('bad-request', error.message);
      throw error;
    }
  }

  private exportSession(): { fileName: string; json: string } {
    return sessionExport(this.requireSession(), this.snapshot(), this.options.version);
  }
}

/** A live session's name when Wireshark's dumpcap captures for it (the UI shows which way is in use). */
function viaDumpcap(iface: string): string {
  return `${iface} (through Wireshark's dumpcap)`;
}
