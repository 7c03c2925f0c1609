/**
 * One capture's (or one home's) audit as a batch run keeps it: a small, plain record per device
 * and observer — what each observer's catalog and the observer trained on the home can tell, and
 * how many of the device's busy spans each sees — so a corpus of thousands of captures gives a
 * results file of kilobytes per capture, in JSON lines and CSV (cli/batch-command.ts).
 */
import type { CatalogEvidence } from '../shared/audit-types.ts';
import { csvLine, type CsvValue } from '../shared/csv.ts';
import type { HomeAudit, ObserverAudit } from './audit-types.ts';
import { recognisedCount, rightlyRecognised } from './exposure.ts';

export interface BatchObserverRow {
  view: string;
  /** The device's packets in this observer's view. */
  packets: number;
  /** The catalog's device-level evidence, and the class or category it names (null: none). */
  evidence: CatalogEvidence;
  named: string | null;
  /**
   * With labels, whether the class the catalog recognised it as is its own (or its platform's):
   * false for a look-alike; null without labels, or when the catalog recognised nothing.
   */
  catalogRight: boolean | null;
  /** Which catalog recognised it: the bundled models' or the wider one (null: neither). */
  recognisedBy: 'models' | 'wide' | null;
  /** Share of its packets the catalog's model names as its class (labels.csv's, else the model's most frequent). */
  recognisedShare: number;
  /** Share of its later packets the observer trained on this home names right; null: not measured. */
  inHomeShare: number | null;
  /** Busy spans of the truth (routine left out) the observer's timeline of the device shows, of all. */
  spansSeen: number;
  spansTotal: number;
  falseBusyPerDay: number;
}

export interface BatchDeviceRow {
  mac: string;
  name: string;
  vendor: string;
  trueLabel: string | null;
  category: string | null;
  packets: number;
  bytes: number;
  /** Seconds of the capture the device was busy (truth, LAN side). */
  busySeconds: number;
  /** Its connection attempts a server refused (they count as idle; activity/uncounted-packets.ts). */
  refusedAttempts: number;
  observers: BatchObserverRow[];
}

export interface BatchResult {
  /** The capture's file name, or the home's folder. */
  name: string;
  files: string[];
  packets: number;
  /** First and last packet (s since the epoch); null for a capture with none. */
  start: number | null;
  end: number | null;
  /** Wall-clock seconds the audit took. */
  seconds: number;
  /** Read problems (what was readable was used). */
  problems: string[];
  devices: BatchDeviceRow[];
  /**
   * Per observer: the devices its catalog rightly recognises (the device-level test passed, and
   * with labels for the device's own class) of those it sees; the mean share of their packets its
   * model names as their class (for a labelled device of a kind it does not know, the look-alike
   * it takes it for: a researcher's figure, not a recognition); the in-home observer's mean; busy
   * spans seen of all.
   */
  observers: {
    view: string;
    recognised: number;
    seen: number;
    meanRecognisedShare: number;
    inHomeMean: number | null;
    spansSeen: number;
    spansTotal: number;
  }[];
  /** Why the audit failed (then nothing else is filled in), or null. */
  error: string | null;
}

function busySeconds(audit: HomeAudit, mac: string): number {
  const d = audit.devices.find((x) => x.mac === mac);
  if (d === undefined) return 0;
  return d.truth.segments.filter((s) => s.state === 'busy').reduce((a, s) => a + s.end - s.start, 0);
}

/** What one observer tells of one device, as a batch record and the CSV files keep it. */
export function observerRow(o: ObserverAudit, mac: string): BatchObserverRow {
  const row = o.devices.find((r) => r.mac === mac);
  const inHome = o.inHome?.devices.find((x) => x.mac === mac);
  const id = row?.identity;
  return {
    view: o.view,
    packets: id?.packets ?? 0,
    evidence: id?.evidence ?? 'not-recognised',
    named:
      id === undefined
        ? null
        : id.evidence === 'recognised'
          ? id.topModelClass
          : id.evidence === 'looks-like'
            ? (id.category?.category ?? null)
            : null,
    catalogRight:
      id === undefined ||
      id.evidence !== 'recognised' ||
      id.classSource === 'model' ||
      id.classSource === null
        ? null
        : rightlyRecognised(id),
    recognisedBy: id?.recognisedBy ?? null,
    recognisedShare: id?.recognisedShare ?? 0,
    inHomeShare: inHome?.measured === true ? inHome.recognisedShare : null,
    spansSeen: row?.activity.spansSeen ?? 0,
    spansTotal: row?.activity.spansTotal ?? 0,
    falseBusyPerDay: row?.activity.falseBusyPerDay ?? 0,
  };
}

/** The CSV columns of one observer's row (each prefixed with the view: `napt_packets`). */
/** The columns that say which device a row is and how much it sent, in every device CSV. */
export const DEVICE_COLUMNS: readonly string[] = [
  'mac',
  'name',
  'vendor',
  'true_label',
  'category',
  'packets',
  'bytes',
];

export const OBSERVER_COLUMNS = [
  'packets',
  'evidence',
  'named',
  'catalog_right',
  'recognised_by',
  'recognised_share',
  'in_home_share',
  'spans_seen',
  'spans_total',
  'false_busy_per_day',
] as const;

/** An observer's row as CSV cells in OBSERVER_COLUMNS order (empty cells for none). */
export function observerCells(o: BatchObserverRow | undefined): CsvValue[] {
  return o === undefined
    ? OBSERVER_COLUMNS.map(() => null)
    : [
        o.packets,
        o.evidence,
        o.named,
        o.catalogRight,
        o.recognisedBy,
        o.recognisedShare,
        o.inHomeShare,
        o.spansSeen,
        o.spansTotal,
        o.falseBusyPerDay,
      ];
}

/** The batch record of one audit. */
export function batchResult(
  name: string,
  files: readonly string[],
  audit: HomeAudit,
  seconds: number,
): BatchResult {
  const devices: BatchDeviceRow[] = audit.devices.map((d) => ({
    mac: d.mac,
    name: d.name,
    vendor: d.vendor,
    trueLabel: d.trueLabel,
    category: d.category,
    packets: d.packets,
    bytes: d.bytes,
    busySeconds: busySeconds(audit, d.mac),
    refusedAttempts: d.truth.refusals?.count ?? 0,
    observers: audit.observers.map((o) => observerRow(o, d.mac)),
  }));
  return {
    name,
    files: [...files],
    packets: audit.packets,
    start: audit.start,
    end: audit.end,
    seconds,
    problems: audit.files.flatMap((f) =>
      f.errors.map((e) => (e.message.includes(f.path) ? e.message : `${f.path}: ${e.message}`)),
    ),
    devices,
    observers: audit.observers.map((o) => ({
      view: o.view,
      recognised: recognisedCount(o.devices),
      seen: o.devices.filter((r) => r.identity.packets > 0).length,
      meanRecognisedShare: o.meanRecognisedShare,
      inHomeMean: o.inHome?.meanRecognisedShare ?? null,
      spansSeen: o.devices.reduce((a, r) => a + r.activity.spansSeen, 0),
      spansTotal: o.devices.reduce((a, r) => a + r.activity.spansTotal, 0),
    })),
    error: null,
  };
}

/** The record of an audit that failed. */
export function failedBatchResult(name: string, files: readonly string[], error: string): BatchResult {
  return {
    name,
    files: [...files],
    packets: 0,
    start: null,
    end: null,
    seconds: 0,
    problems: [],
    devices: [],
    observers: [],
    error,
  };
}

/** Header of the CSV: one row per device of each capture, both observers side by side. */
export function batchCsvHeader(views: readonly string[]): string[] {
  return [
    'capture',
    ...DEVICE_COLUMNS,
    'busy_seconds',
    'refused_attempts',
    ...views.flatMap((v) => OBSERVER_COLUMNS.map((c) => `${v}_${c}`)),
    'error',
  ];
}

/** The CSV rows of one result (no header; a failed capture is one row with its error). */
export function batchCsvRows(result: BatchResult, views: readonly string[]): string[] {
  const width = batchCsvHeader(views).length;
  if (result.error !== null) {
    const row: (string | null)[] = new Array<string | null>(width).fill(null);
    row[0] = result.name;
    row[width - 1] = result.error;
    return [csvLine(row)];
  }
  return result.devices.map((d) => {
    const cells: CsvValue[] = [
      result.name,
      d.mac,
      d.name,
      d.vendor,
      d.trueLabel,
      d.category,
      d.packets,
      d.bytes,
      Math.round(d.busySeconds),
      d.refusedAttempts,
    ];
    for (const view of views) cells.push(...observerCells(d.observers.find((x) => x.view === view)));
    cells.push(null);
    return csvLine(cells);
  });
}
