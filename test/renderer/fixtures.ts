/** Snapshots, rows and a fake API for the renderer tests. */
import type {
  DeviceRow,
  EventChannel,
  Finding,
  RequestChannel,
  Result,
  Snapshot,
  TelltaleApi,
} from '../../src-main/shared/ipc-contract.ts';

export function row(over: Partial<DeviceRow> = {}): DeviceRow {
  return {
    mac: 'aa:bb:cc:00:00:01',
    name: 'Nest Camera',
    nameSource: 'auto',
    autoName: 'Nest Camera',
    vendor: 'Google, Inc.',
    category: 'camera',
    categorySource: 'labels',
    trueLabel: 'Nest Camera',
    addresses: ['192.168.4.20'],
    state: 'busy',
    packets: 1000,
    bytesSent: 900_000,
    bytesReceived: 100_000,
    refusals: null,
    firstSeen: 1_700_000_000,
    lastSeen: 1_700_003_600,
    exposure: {
      napt: {
        className: 'Nest Camera',
        classSource: 'labels',
        recognisedShare: 0.94,
        agreement: 0.9,
        busyRecall: 0.8,
        spansSeen: 4,
        spansTotal: 5,
        falseBusyPerDay: 0.5,
        busySecondsSeen: 600,
        packets: 900,
        evidence: 'recognised',
        catalogClass: 'Nest Camera',
        catalogShare: 0.9,
        catalogPlatform: null,
        catalogRight: true,
        wideCatalog: null,
        category: null,
        inHome: { measured: true, unmeasured: null, recognisedShare: 0.97, interval: [0.95, 0.99] },
      },
      vpn: {
        className: 'Nest Camera',
        classSource: 'labels',
        recognisedShare: 0.55,
        agreement: 0.7,
        busyRecall: 0.6,
        spansSeen: 4,
        spansTotal: 5,
        falseBusyPerDay: 0.5,
        busySecondsSeen: 600,
        packets: 900,
        evidence: 'recognised',
        catalogClass: 'Nest Camera',
        catalogShare: 0.9,
        catalogPlatform: null,
        catalogRight: true,
        wideCatalog: null,
        category: null,
        inHome: { measured: true, unmeasured: null, recognisedShare: 0.97, interval: [0.95, 0.99] },
      },
    },
    kind: 'camera',
    action: null,
    findings: 1,
    topSeverity: 'high',
    ...over,
  };
}

export function finding(over: Partial<Finding> = {}): Finding {
  return {
    id: 'identity:napt:aa:bb:cc:00:00:01',
    kind: 'identity',
    severity: 'high',
    observer: 'napt',
    device: 'aa:bb:cc:00:00:01',
    title: 'Your ISP can tell there is a Nest Camera in your home.',
    evidence: ['900 of its packets cross your router.'],
    advice: 'Use a VPN.',
    ...over,
  };
}

export function snapshot(over: Partial<Snapshot> = {}): Snapshot {
  return {
    engineId: 'e1',
    sessionId: 's1',
    seq: 1,
    status: 'done',
    source: { sessionId: 's1', kind: 'files', names: ['home.pcapng.gz'], speed: 'max' },
    progress: {
      packets: 1000,
      bytes: 1e6,
      fraction: 1,
      packetsPerSecond: 0,
      etaSeconds: null,
      captureStart: 1_700_000_000,
      captureNow: 1_700_003_600,
      elapsedSeconds: 3,
      dropped: 0,
      timestamps: null,
    },
    problems: [],
    devices: [row()],
    observers: [
      {
        view: 'napt',
        observer: 'your ISP',
        modelId: 'napt-m',
        meanRecognisedShare: 0.94,
        meanAgreement: 0.9,
        spansSeen: 4,
        spansTotal: 5,
      },
      {
        view: 'vpn',
        observer: "your VPN's carrier",
        modelId: 'vpn-m',
        meanRecognisedShare: 0.55,
        meanAgreement: 0.7,
        spansSeen: 4,
        spansTotal: 5,
      },
    ],
    findings: [finding()],
    whatIfs: [],
    whatIfsPending: null,
    sites: [],
    ...over,
  };
}

/** An API whose answers a test scripts per channel; records the requests and lets the test emit events. */
export class FakeApi implements TelltaleApi {
  readonly calls: { channel: RequestChannel; payload: unknown }[] = [];
  private readonly listeners = new Map<EventChannel, ((p: unknown) => void)[]>();

  constructor(
    private readonly answers: Partial<Record<RequestChannel, (payload: unknown) => Result<unknown>>> = {},
  ) {}

  request<K extends RequestChannel>(channel: K, payload: unknown): Promise<Result<never>> {
    this.calls.push({ channel, payload });
    const answer = this.answers[channel];
    return Promise.resolve(
      (answer === undefined
        ? { ok: false, error: { code: 'unavailable', message: `${channel}: not scripted` } }
        : answer(payload)) as Result<never>,
    );
  }

  on(event: EventChannel, listener: (payload: never) => void): () => void {
    const list = this.listeners.get(event) ?? [];
    list.push(listener as (p: unknown) => void);
    this.listeners.set(event, list);
    return () => undefined;
  }

  emit(event: EventChannel, payload: unknown): void {
    for (const l of this.listeners.get(event) ?? []) l(payload);
  }

  pathsForFiles(files: readonly File[]): Promise<Result<string[]>> {
    return Promise.resolve({ ok: true, value: files.map((f) => `/uploads/${f.name}`) });
  }
}
