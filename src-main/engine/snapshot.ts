/**
 * What the UI sees of a session, built from it on demand: the snapshot (progress, device rows,
 * observers, findings, what-ifs), one device's detail page, and the session as a JSON export.
 * Plain functions of the session and the person's overrides; nothing here changes the session.
 */
import { spansSeenOf } from '../audit/exposure.ts';
import { isDeviceMac } from '../devices/address-scope.ts';
import type { DeviceRecord } from '../devices/device-record.ts';
import { actionOf, deviceExposures, kindOfDevice } from '../findings/device-advice.ts';
import { categoryOfLabel } from '../shared/device-categories.ts';
import { auditFindings } from '../findings/findings.ts';
import {
  SEVERITIES,
  type DeviceDetail,
  type DeviceRow,
  type Finding,
  type Problem,
  type Snapshot,
} from '../shared/ipc-contract.ts';
import type { UserOverrides } from '../store/user-overrides.ts';
import type { HomeAudit } from '../audit/audit-types.ts';
import { homeSites } from '../audit/traffic-metadata.ts';
import { busySpansCsv, devicesCsv, findingsCsv } from '../report/report-csv.ts';
import { renderReport, type Paper } from '../report/report-html.ts';
import type { ModelFact } from '../report/model-facts.ts';
import type { Session } from './session.ts';

/** The snapshot of an engine with no session. */
export function idleSnapshot(engineId: string, seq: number, problems: Problem[]): Snapshot {
  return {
    engineId,
    sessionId: 'none',
    seq,
    status: 'idle',
    source: null,
    progress: {
      packets: 0,
      bytes: 0,
      fraction: null,
      packetsPerSecond: 0,
      etaSeconds: null,
      captureStart: null,
      captureNow: null,
      elapsedSeconds: 0,
      dropped: 0,
      timestamps: null,
    },
    problems,
    devices: [],
    observers: null,
    findings: [],
    whatIfs: [],
    whatIfsPending: null,
    sites: [],
  };
}

/** The home devices of a session (not the gateway, group addresses or infrastructure rows of the labels). */
export function sessionDevices(s: Session): DeviceRecord[] {
  return s.inventory
    .devices()
    .filter((d) => d.role === 'device' && isDeviceMac(d.mac) && d.label?.infrastructure !== true);
}

/** The session's findings, rebuilt each time so a rename shows in them at once. */
/** A capture's start (now when unknown) for file names: "2024-04-16-04-34" (UTC). */
export function fileStamp(seconds: number | null): string {
  return new Date((seconds ?? Date.now() / 1000) * 1000).toISOString().slice(0, 16).replace(/[:T]/g, '-');
}

/** The session's audit with the person's own device names (null before there is one). */
export function namedAudit(s: Session): HomeAudit | null {
  if (s.audit === null) return null;
  const byMac = new Map(s.inventory.devices().map((d) => [d.mac, d]));
  const devices = s.audit.devices.map((d) => {
    const r = byMac.get(d.mac);
    return r === undefined
      ? d
      : { ...d, name: r.displayName, nameIsUsers: r.names.some((n) => n.source === 'user') };
  });
  return { ...s.audit, devices };
}

export function sessionFindings(s: Session): Finding[] {
  const audit = namedAudit(s);
  return audit === null ? [] : findingsOf(s, audit);
}

/** The findings of the session's (named) audit, their times in the session's zone. */
function findingsOf(s: Session, audit: HomeAudit): Finding[] {
  return auditFindings(audit, { timeZone: s.timeZone });
}

/** The session's audit as CSV files (report/report-csv.ts), named after the capture's start. */
export function sessionCsv(s: Session): { fileName: string; csv: string }[] {
  const audit = namedAudit(s);
  if (audit === null) return [];
  const stamp = fileStamp(audit.start);
  return [
    { fileName: `telltale-${stamp}-devices.csv`, csv: devicesCsv(audit) },
    { fileName: `telltale-${stamp}-busy-spans.csv`, csv: busySpansCsv(audit) },
    {
      fileName: `telltale-${stamp}-findings.csv`,
      csv: findingsCsv(findingsOf(s, audit), audit),
    },
  ];
}

/**
 * The privacy report of a session's audit (report/report-html.ts) as a web page, or as PDF printed
 * by the computer's Chromium; with `device`, that device's section alone.
 */
export async function sessionReport(
  s: Session,
  request: { format: 'html' | 'pdf'; device?: string | null; paper?: Paper },
  version: string,
  models: readonly ModelFact[] = [],
): Promise<{ fileName: string; mime: string; data: string; encoding: 'utf8' | 'base64' }> {
  const audit = namedAudit(s);
  if (audit === null) throw new Error('no audit yet');
  const paper = request.paper ?? 'A4';
  const names = s.info.names;
  const title = names.length === 1 ? names[0] : `${names.length} captures`;
  const html = renderReport(audit, findingsOf(s, audit), {
    title,
    captures: names,
    generatedAt: new Date(),
    telltaleVersion: version,
    paper,
    device: request.device ?? null,
    timeZone: s.timeZone,
    models,
  });
  const stamp = fileStamp(audit.start);
  const base = `telltale-report-${stamp}${request.device == null ? '' : `-${request.device.replace(/:/g, '')}`}`;
  if (request.format === 'html')
    return { fileName: `${base}.html`, mime: 'text/html', data: html, encoding: 'utf8' };
  // the browser driver is loaded only to print
  const { renderPdf } = await import('../report/report-pdf.ts');
  const pdf = await renderPdf(html, paper, title);
  return {
    fileName: `${base}.pdf`,
    mime: 'application/pdf',
    data: pdf.toString('base64'),
    encoding: 'base64',
  };
}

/**
 * What the source being read has reported so far (a stream that stalled, a live capture's drops):
 * shown while it runs; once it ends they are among the session's problems, with the file name.
 */
function sourceProblems(s: Session): Problem[] {
  return (s.source?.errors ?? []).map((e) => ({
    severity: e.fatal ? 'error' : 'warning',
    message: e.message,
  }));
}

/** Sites the home page lists. */
const HOME_SITES = 12;

/** One device's row of the device table. */
export function deviceRow(
  s: Session,
  d: DeviceRecord,
  findings: readonly Finding[],
  overrides: UserOverrides,
): DeviceRow {
  const o = overrides.get(d.mac);
  const exposure = deviceExposures(s.audit, d.mac);
  const label = d.label !== null && !d.label.infrastructure ? d.label : null;
  // the ISP's model names the type only when it is sure of the device (most of its packets)
  // the device's type from the catalog only where it recognises the device (and, with labels, rightly)
  const sure = [exposure.napt, exposure.vpn].find(
    (e) => e !== null && e.evidence === 'recognised' && e.catalogRight !== false,
  );
  // a platform's class (Tuya's plugs, bulbs, sensors …) says nothing of the kind
  const modelClass = sure?.catalogPlatform == null ? (sure?.catalogClass ?? null) : null;
  // labels.csv's category; IoT Sentinel's labels have none, its table says what each device is
  const labelled =
    label === null ? null : label.category !== '' ? label.category : categoryOfLabel(null, label.device);
  const category = o.category ?? labelled ?? modelClass;
  const kind = kindOfDevice(category, label?.device ?? '', exposure);
  const own = findings.filter((f) => f.device === d.mac);
  const top =
    own.length === 0
      ? null
      : own.reduce((a, b) => (SEVERITIES.indexOf(b.severity) < SEVERITIES.indexOf(a.severity) ? b : a));
  const autoName = d.names.find((n) => n.source !== 'user')?.name ?? label?.device ?? d.displayName;
  const tracker = s.collector.truth.tracker(d.mac);
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
    state: tracker?.state ?? null,
    refusals: tracker?.refusals ?? null,
    packets: d.packetsSent + d.packetsReceived,
    bytesSent: d.bytesSent,
    bytesReceived: d.bytesReceived,
    firstSeen: d.firstSeen,
    lastSeen: d.lastSeen,
    exposure,
    kind,
    action: actionOf(s.audit, d.mac, kind, exposure),
    findings: own.length,
    topSeverity: top?.severity ?? null,
  };
}

/** The snapshot of a session (numbered `seq` by the engine). */
export function sessionSnapshot(
  engineId: string,
  seq: number,
  s: Session,
  overrides: UserOverrides,
): Snapshot {
  const findings = sessionFindings(s);
  const devices = sessionDevices(s)
    .map((d) => deviceRow(s, d, findings, overrides))
    .sort((a, b) => b.packets - a.packets);
  // who the smart-home devices talk to (a phone's or computer's sites are its own business)
  const smart = new Set(
    devices.filter((d) => d.category?.toUpperCase().startsWith('NON-IOT') !== true).map((d) => d.mac),
  );
  return {
    engineId,
    sessionId: s.id,
    seq,
    status: s.status,
    source: { ...s.info },
    progress: s.progress.toProgress(s.status),
    problems: [...s.problems, ...sourceProblems(s)],
    devices,
    observers:
      s.audit === null
        ? null
        : s.audit.observers.map((o) => ({
            view: o.view,
            observer: o.observer,
            modelId: o.modelId,
            meanRecognisedShare: o.meanRecognisedShare,
            meanAgreement: o.meanAgreement,
            spansSeen: spansSeenOf(o.devices).seen,
            spansTotal: spansSeenOf(o.devices).total,
          })),
    findings,
    whatIfs: (s.audit?.whatIfs ?? []).map((w) => ({
      id: w.id,
      view: w.view,
      description: w.description,
      meanRecognisedShare: w.meanRecognisedShare,
      meanAgreement: w.meanAgreement,
      spansSeen: w.spansSeen,
      spansTotal: w.spansTotal,
      costShare: w.costShare,
      extraBytes: w.extraBytes,
    })),
    whatIfsPending: s.whatIfProgress === null ? null : { ...s.whatIfProgress },
    sites: homeSites(
      s.collector.metadata.devicesMetadata().filter((m) => smart.has(m.mac)),
      HOME_SITES,
    ),
  };
}

/** The detail page of the session's device `record`. */
export function deviceDetail(s: Session, record: DeviceRecord, overrides: UserOverrides): DeviceDetail {
  const mac = record.mac;
  const findings = sessionFindings(s);
  const audit = s.audit;
  const auditDevice = audit?.devices.find((d) => d.mac === mac);
  // while a live capture runs, its own timeline is newer than the last interim audit's copy
  const current = s.collector.truth.tracker(mac)?.timeline() ?? null;
  const truth = (s.liveNow ? current : auditDevice?.truth) ?? current;
  const inferred: DeviceDetail['inferred'] = { napt: null, vpn: null };
  for (const o of audit?.observers ?? [])
    inferred[o.view] = o.devices.find((r) => r.mac === mac)?.inferred ?? null;
  const traffic = s.collector.metadata.devicesMetadata().find((m) => m.mac === mac);
  const soFar = s.progress.covered();
  return {
    row: deviceRow(s, record, findings, overrides),
    coverage: s.liveNow ? soFar : (audit?.coverage ?? soFar),
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
      sites: traffic?.sites ?? [],
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
              spansSeen: r.spansSeen,
              spansTotal: r.spansTotal,
              sample:
                w.sample === null
                  ? null
                  : { seconds: w.sample.seconds, ofSeconds: w.sample.ofSeconds, blocks: w.sample.blocks },
              undefended: r.undefended,
              costShare: w.costShare,
            },
          ];
    }),
  };
}

/** The whole session as a JSON document the person saves (format `telltale-session`, version 1). */
export function sessionExport(
  s: Session,
  snapshot: Snapshot,
  version: string,
): { fileName: string; json: string } {
  const doc = {
    format: 'telltale-session',
    formatVersion: 1,
    telltaleVersion: version,
    exportedAt: new Date().toISOString(),
    source: s.info,
    status: s.status,
    progress: snapshot.progress,
    problems: s.problems,
    devices: snapshot.devices,
    inventory: s.inventory.toJSON(),
    audit: s.audit,
    /** Set while the what-ifs still run (the audit's `whatIfs` are then not all there yet). */
    whatIfsPending: snapshot.whatIfsPending,
    findings: snapshot.findings,
  };
  const stamp = fileStamp(s.progress.captureStart);
  return { fileName: `telltale-session-${stamp}.json`, json: `${JSON.stringify(doc, null, 1)}\n` };
}
