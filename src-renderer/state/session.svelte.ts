/**
 * The UI's picture of the engine: the latest snapshot of the capture session, the app's facts and
 * settings, and the connection, fed by engine events. The engine runs one session at a time and
 * numbers its snapshots across sessions, so the UI shows the newest snapshot of whatever session
 * the engine runs — one the UI opened, one opened from the app's menu or in another browser tab —
 * and drops older ones. Every action returns the engine's answer as data; the state keeps the last
 * error to show.
 */
import type {
  ApiError,
  AppInfo,
  CaptureInterface,
  DeviceDetail,
  DeviceRow,
  EngineStatus,
  ReplaySpeed,
  ResponseOf,
  Result,
  SessionStatus,
  Settings,
  Snapshot,
  TelltaleApi,
} from '../../src-main/shared/ipc-contract.ts';
import type { InspectDiscovery } from '../../src-main/shared/inspect-mode.ts';
import type { RouterSsh } from '../../src-main/shared/router-capture.ts';
import { S } from '../lib/strings.ts';
import type { ConnectionState } from '../lib/ws-client.ts';

/** A labels file (mac,device,category) is a .csv among the chosen files. */
function isLabelsFile(name: string): boolean {
  return /\.csv$/i.test(name);
}

/** Why a choice of files cannot be opened (two labels files, or a labels file alone); null when it can. */
function choiceProblem(names: readonly string[]): string | null {
  const labels = names.filter(isLabelsFile).length;
  return labels > 1 ? S.capture.twoLabels : labels === names.length ? S.capture.labelsAlone : null;
}

export class SessionState {
  snapshot = $state<Snapshot | null>(null);
  info = $state<AppInfo | null>(null);
  settings = $state<Settings | null>(null);
  connection = $state<ConnectionState>('connecting');
  engine = $state<EngineStatus>({ state: 'running', message: null });
  error = $state<ApiError | null>(null);

  readonly devices = $derived(this.snapshot?.devices ?? []);
  readonly findings = $derived(this.snapshot?.findings ?? []);
  readonly status = $derived(this.snapshot?.status ?? 'idle');
  /**
   * The session's stage for people: its status, except that a finished read whose defence
   * what-ifs still run is 'defences' — "Done" only once everything is done.
   */
  readonly stage = $derived<SessionStatus | 'defences'>(
    (this.status === 'done' || this.status === 'stopped') && this.snapshot?.whatIfsPending != null
      ? 'defences'
      : this.status,
  );
  readonly running = $derived(
    this.status === 'replaying' || this.status === 'capturing' || this.status === 'paused',
  );

  constructor(private api: TelltaleApi | null = null) {}

  /** Connects the state to an API: subscribes to events and loads the first facts. */
  async attach(api: TelltaleApi): Promise<void> {
    this.api = api;
    api.on('snapshot', (s) => this.accept(s));
    api.on('engine.status', (s) => {
      this.engine = s;
      // a restarted engine numbers its snapshots anew: take whatever it sends next
      if (s.state === 'restarting') this.snapshot = null;
    });
    const [info, settings, snapshot] = await Promise.all([
      api.request('app.info', null),
      api.request('settings.get', null),
      api.request('session.snapshot', null),
    ]);
    if (info.ok) this.info = info.value;
    else this.error = info.error;
    if (settings.ok) this.settings = settings.value;
    if (snapshot.ok) this.accept(snapshot.value);
  }

  /**
   * Takes a snapshot unless it is stale: older than the one shown by the same engine (whose
   * numbers grow across its sessions). A snapshot of another engine (browser mode's server was
   * restarted) starts the numbering anew.
   */
  accept(s: Snapshot): boolean {
    const current = this.snapshot;
    if (current !== null && s.engineId === current.engineId && s.seq <= current.seq) return false;
    this.snapshot = s;
    return true;
  }

  private async call<T>(promise: Promise<Result<T>> | undefined): Promise<T | null> {
    if (promise === undefined) return null;
    const r = await promise;
    if (!r.ok) {
      this.error = r.error;
      return null;
    }
    this.error = null;
    return r.value;
  }

  clearError(): void {
    this.error = null;
  }

  /**
   * Opens capture files; a `.csv` among them is the labels file (mac,device,category: the true
   * device of each MAC), at most one, and never alone.
   */
  async openPaths(paths: string[], speed: ReplaySpeed): Promise<boolean> {
    const problem = choiceProblem(paths);
    if (problem !== null) {
      this.error = { code: 'bad-request', message: problem };
      return false;
    }
    const labels = paths.filter(isLabelsFile);
    const captures = paths.filter((p) => !isLabelsFile(p));
    const r = await this.call(
      this.api?.request('capture.openFiles', {
        paths: captures,
        speed,
        ...(labels.length === 1 ? { labels: labels[0] } : {}),
      }),
    );
    return r !== null && (await this.showSession());
  }

  /** After starting a capture: shows its first snapshot now rather than at the next event. */
  private async showSession(): Promise<boolean> {
    const s = await this.call(this.api?.request('session.snapshot', null));
    if (s !== null) this.accept(s);
    return true;
  }

  async openFiles(files: readonly File[], speed: ReplaySpeed): Promise<boolean> {
    // checked before anything is uploaded
    const problem = choiceProblem(files.map((f) => f.name));
    if (problem !== null) {
      this.error = { code: 'bad-request', message: problem };
      return false;
    }
    const paths = await this.call(this.api?.pathsForFiles(files));
    return paths === null ? false : this.openPaths(paths, speed);
  }

  /** The sample capture that ships with the app (two devices being set up, with their labels). */
  async openSample(): Promise<boolean> {
    const r = await this.call(this.api?.request('capture.openSample', null));
    return r !== null && (await this.showSession());
  }

  /** Desktop only: the native open dialog. */
  async chooseFiles(speed: ReplaySpeed): Promise<boolean> {
    const paths = await this.call(this.api?.request('dialog.openCaptures', null));
    return paths === null || paths.length === 0 ? false : this.openPaths(paths, speed);
  }

  async interfaces(): Promise<CaptureInterface[]> {
    return (await this.call(this.api?.request('capture.interfaces', null))) ?? [];
  }

  async startLive(iface: string, filter: string): Promise<boolean> {
    const r = await this.call(this.api?.request('capture.startLive', { interface: iface, filter }));
    return r !== null && (await this.showSession());
  }

  /** Captures on the router over SSH (its tcpdump, streamed); false when it could not start. */
  async startRouter(r: RouterSsh): Promise<boolean> {
    const answer = await this.call(this.api?.request('capture.startRouter', r));
    return answer !== null && (await this.showSession());
  }

  /** The devices on an interface's network, for inspect mode (changes nothing); null on failure. */
  discover(iface: string): Promise<InspectDiscovery | null> {
    return this.call(this.api?.request('inspect.discover', { interface: iface }));
  }

  /** Inspect mode for the ticked devices (MACs), after the person's consent; false when it could not start. */
  async startInspect(iface: string, devices: string[]): Promise<boolean> {
    const answer = await this.call(
      this.api?.request('capture.startInspect', { interface: iface, devices, consent: true }),
    );
    return answer !== null && (await this.showSession());
  }

  pause(): Promise<unknown> {
    return this.call(this.api?.request('capture.pause', null));
  }

  resume(): Promise<unknown> {
    return this.call(this.api?.request('capture.resume', null));
  }

  stop(): Promise<unknown> {
    return this.call(this.api?.request('capture.stop', null));
  }

  setSpeed(speed: ReplaySpeed): Promise<unknown> {
    return this.call(this.api?.request('capture.setSpeed', { speed }));
  }

  /** Renames a device (null: back to the found name); the row in the snapshot follows at once. */
  async rename(mac: string, name: string | null): Promise<DeviceRow | null> {
    const row = await this.call(this.api?.request('device.rename', { mac, name }));
    if (row !== null) this.replaceRow(row);
    return row;
  }

  async setCategory(mac: string, category: string | null): Promise<DeviceRow | null> {
    const row = await this.call(this.api?.request('device.setCategory', { mac, category }));
    if (row !== null) this.replaceRow(row);
    return row;
  }

  private replaceRow(row: DeviceRow): void {
    const s = this.snapshot;
    if (s === null) return;
    this.snapshot = { ...s, devices: s.devices.map((d) => (d.mac === row.mac ? row : d)) };
  }

  detail(mac: string): Promise<DeviceDetail | null> {
    return this.call(this.api?.request('device.detail', { mac }));
  }

  async updateSettings(patch: Partial<Settings>): Promise<void> {
    const s = await this.call(this.api?.request('settings.update', patch));
    if (s !== null) this.settings = s;
  }

  exportSession(): Promise<{ fileName: string; json: string } | null> {
    return this.call(this.api?.request('session.export', null));
  }

  /** The audit as CSV files (devices, busy spans, findings). */
  exportCsv(): Promise<ResponseOf<'session.exportCsv'> | null> {
    return this.call(this.api?.request('session.exportCsv', null));
  }

  /**
   * Each packet one observer sees with the model's answer, as CSV: fetched part by part
   * (`onPart` after each), joined into one file; null when the engine refused (the error is set).
   */
  async exportPackets(
    view: 'napt' | 'vpn',
    onPart: (done: number, parts: number) => void = () => undefined,
  ): Promise<{ fileName: string; rows: number; blob: Blob } | null> {
    const pieces: string[] = [];
    let parts = 1;
    let fileName = '';
    let rows = 0;
    for (let part = 0; part < parts; part++) {
      const r = await this.call(this.api?.request('session.exportPackets', { view, part }));
      if (r === null) return null;
      parts = r.parts;
      fileName = r.fileName;
      rows = r.rows;
      pieces.push(r.csv);
      onPart(part + 1, parts);
    }
    return { fileName, rows, blob: new Blob(pieces, { type: 'text/csv' }) };
  }

  /** The privacy report (a web page, or a PDF the engine prints); a device's section alone with `device`. */
  report(format: 'html' | 'pdf', device: string | null = null): Promise<ResponseOf<'report.render'> | null> {
    return this.call(this.api?.request('report.render', { format, device }));
  }

  device(mac: string): DeviceRow | undefined {
    return this.devices.find((d) => d.mac === mac);
  }
}
