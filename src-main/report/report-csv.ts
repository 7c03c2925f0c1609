/**
 * The audit as CSV files for researchers (`telltale analyze --csv DIR`), each agreeing with the
 * session JSON (`--json`), times as seconds since the epoch and as UTC text:
 * - devices.csv: one row per device, both observers side by side — packets each sees, the catalog's
 *   evidence and what it names, the share it recognises, the in-home observer's share, busy spans
 *   seen of all, false busy spans per day; and the device's refused connection attempts (retries
 *   to a server that refused it, which count as idle);
 * - findings.csv: one row per finding (evidence lines joined by " | ");
 * - busy-spans.csv: every busy span of every device's timeline — the truth and each observer's.
 */
import type { ActivityTimeline } from '../activity/activity-timeline.ts';
import type { HomeAudit } from '../audit/audit-types.ts';
import { DEVICE_COLUMNS, OBSERVER_COLUMNS, observerCells, observerRow } from '../audit/batch-summary.ts';
import { deviceName, type Finding } from '../findings/findings.ts';
import { csvDocument, type CsvValue } from '../shared/csv.ts';

const iso = (seconds: number): string => new Date(seconds * 1000).toISOString();

export function devicesCsv(audit: HomeAudit): string {
  const header = [
    ...DEVICE_COLUMNS,
    'busy_spans',
    'refused_attempts',
    ...audit.observers.flatMap((o) => OBSERVER_COLUMNS.map((c) => `${o.view}_${c}`)),
  ];
  const rows = audit.devices.map((d): CsvValue[] => [
    d.mac,
    deviceName(d),
    d.vendor,
    d.trueLabel,
    d.category,
    d.packets,
    d.bytes,
    d.truth.spans.filter((s) => !s.routine).length,
    d.truth.refusals?.count ?? 0,
    ...audit.observers.flatMap((o) => observerCells(observerRow(o, d.mac))),
  ]);
  return csvDocument(header, rows);
}

export function findingsCsv(findings: readonly Finding[], audit: HomeAudit): string {
  const names = new Map(audit.devices.map((d) => [d.mac, deviceName(d)]));
  return csvDocument(
    ['id', 'severity', 'kind', 'observer', 'device_mac', 'device', 'title', 'evidence', 'advice'],
    findings.map((f) => [
      f.id,
      f.severity,
      f.kind,
      f.observer,
      f.device,
      f.device === null ? null : (names.get(f.device) ?? null),
      f.title,
      f.evidence.join(' | '),
      f.advice,
    ]),
  );
}

export function busySpansCsv(audit: HomeAudit): string {
  const rows: CsvValue[][] = [];
  const add = (mac: string, name: string, timeline: string, t: ActivityTimeline | null): void => {
    for (const s of t?.spans ?? [])
      rows.push([
        mac,
        name,
        timeline,
        s.start,
        s.end,
        iso(s.start),
        iso(s.end),
        s.duration,
        s.packets,
        s.bytesUp,
        s.bytesDown,
        s.bytesLocal,
        s.routine,
        s.description,
      ]);
  };
  for (const d of audit.devices) {
    add(d.mac, deviceName(d), 'truth', d.truth);
    for (const o of audit.observers)
      add(d.mac, deviceName(d), o.view, o.devices.find((r) => r.mac === d.mac)?.inferred ?? null);
  }
  return csvDocument(
    [
      'mac',
      'device',
      'timeline',
      'start',
      'end',
      'start_utc',
      'end_utc',
      'seconds',
      'packets',
      'bytes_up',
      'bytes_down',
      'bytes_local',
      'routine',
      'description',
    ],
    rows,
  );
}
