/**
 * `telltale analyze <capture...> [--labels labels.csv] [--json out.json] [--views lan,napt,vpn]
 * [--vpn-profile NAME] [--view napt|vpn [--models DIR]]`: the device table, per-view packet counts
 * and read errors; with `--view`, which device the observer's default model names for each
 * packet of that view, summarised per true device.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GroundTruth } from '../devices/ground-truth.ts';
import type { DeviceRecord } from '../devices/device-record.ts';
import { analyzeCaptures, type CaptureAnalysis } from '../audit/capture-analysis.ts';
import { runHomeAudit } from '../audit/home-audit.ts';
import { ViewLog } from '../audit/view-log.ts';
import { auditFindings } from '../findings/findings.ts';
import { busySpansCsv, devicesCsv, findingsCsv } from '../report/report-csv.ts';
import { csvDocument } from '../shared/csv.ts';
import type { Defence } from '../views/defences.ts';
import { exposureText, findingsText, inHomeText, timelinesText, whatIfText } from './audit-text.ts';
import { DeviceIdentifier } from '../inference/device-identifier.ts';
import {
  summariseByDevice,
  UNKNOWN_NAME,
  type DeviceIdentificationSummary,
} from '../inference/identification-summary.ts';
import type { ModelView } from '../inference/model-manifest.ts';
import { UNKNOWN_LABEL, type PacketLabels } from '../inference/window-stitching.ts';
import { VIEW_NAMES, type ViewName } from '../views/view-packet.ts';
import type { TunnelProfileName } from '../views/tunnel-profiles.ts';
import { type CliIo, ExitCode } from './cli-io.ts';
import { formatBytes, formatTable, formatTimestamp } from './format-table.ts';
import { ProgressBar } from './progress-bar.ts';

export interface AnalyzeArgs {
  captures: string[];
  labels: string | null;
  json: string | null;
  /** Folder for CSV files (devices, and with the audit findings and busy spans, with --view packets); null: none. */
  csv?: string | null;
  views: ViewName[];
  vpnProfile: TunnelProfileName | undefined;
  /** Identify devices as this observer's default model does (`--view`); null: do not. */
  identify?: { view: ModelView; modelsDir: string } | null;
  /**
   * The privacy audit (`--activity`, `--findings`): timelines per device and observer, exposures,
   * findings and the defence what-ifs; null: not asked for.
   */
  audit?: { activity: boolean; findings: boolean; defences: Defence[]; modelsDir: string } | null;
}

function addressList(device: DeviceRecord): string {
  return device.addresses.map((a) => a.address).join(' ');
}

export function deviceTable(analysis: CaptureAnalysis): string {
  const snapshot = analysis.inventory.toJSON();
  const withLabels = analysis.labels.length > 0;
  const devices = [...snapshot.devices].sort(
    (a, b) => b.packetsSent + b.packetsReceived - (a.packetsSent + a.packetsReceived),
  );
  const columns = [
    { header: 'MAC' },
    { header: 'vendor', max: 28 },
    { header: 'name', max: 28 },
    ...(withLabels ? [{ header: 'true label', max: 28 }] : []),
    { header: 'addresses', max: 36 },
    { header: 'pkts out', align: 'right' as const },
    { header: 'pkts in', align: 'right' as const },
    { header: 'bytes out', align: 'right' as const },
    { header: 'bytes in', align: 'right' as const },
    { header: 'first seen (UTC)' },
    { header: 'last seen (UTC)' },
  ];
  const rows = devices.map((d) => [
    d.role === 'gateway' ? `${d.mac} (gateway)` : d.mac,
    d.vendorText,
    d.displayName,
    ...(withLabels ? [d.label?.device ?? '-'] : []),
    addressList(d),
    String(d.packetsSent),
    String(d.packetsReceived),
    formatBytes(d.bytesSent),
    formatBytes(d.bytesReceived),
    formatTimestamp(d.firstSeen),
    formatTimestamp(d.lastSeen),
  ]);
  return formatTable(columns, rows);
}

function viewTable(analysis: CaptureAnalysis): string {
  const rows: string[][] = [];
  for (const name of VIEW_NAMES) {
    const view = analysis.views[name];
    if (view === undefined) continue;
    const s = view.stats;
    rows.push([
      name,
      String(s.packetsIn),
      String(s.packetsOut - s.packetsSynthesised),
      String(s.packetsHidden),
      String(s.packetsSynthesised),
      formatBytes(view.bytes),
    ]);
  }
  return formatTable(
    [
      { header: 'view' },
      { header: 'packets in', align: 'right' },
      { header: 'seen', align: 'right' },
      { header: 'hidden', align: 'right' },
      { header: 'added by view', align: 'right' },
      { header: 'bytes seen', align: 'right' },
    ],
    rows,
  );
}

function labelTable(analysis: CaptureAnalysis): string {
  const names = [...analysis.labels, '(no label)', '(tunnel)'];
  const views = VIEW_NAMES.filter((v) => analysis.views[v] !== undefined);
  const rows = names.map((label, i) => [
    label,
    ...views.map((v) => String(analysis.views[v]?.packetsByLabel[i] ?? 0)),
  ]);
  return formatTable(
    [{ header: 'true label', max: 36 }, ...views.map((v) => ({ header: v, align: 'right' as const }))],
    rows,
  );
}

/** The whole analysis as plain data for `--json`. */
export function analysisJson(
  analysis: CaptureAnalysis,
  identification?: ViewIdentification,
): Record<string, unknown> {
  return {
    ...(identification === undefined ? {} : { identification: identificationJson(identification) }),
    files: analysis.order.map((i) => analysis.files[i]),
    packets: analysis.packets,
    segments: analysis.segments,
    labels: analysis.labels,
    inventory: analysis.inventory.toJSON(),
    views: analysis.views,
  };
}

export async function runAnalyze(args: AnalyzeArgs, io: CliIo): Promise<number> {
  if (args.audit != null) return runAuditAnalyze(args, args.audit, io);
  const groundTruth = args.labels === null ? null : await GroundTruth.load(args.labels);
  const bar = io.progress === undefined ? null : new ProgressBar(io.progress);
  const identify = args.identify ?? null;
  // Open the model first: a missing or damaged model is reported before the long read.
  const identifier =
    identify === null ? null : await DeviceIdentifier.open(identify.modelsDir, identify.view);
  const log = identify === null ? null : new ViewLog<ModelView>(identify.view);
  const views =
    identify === null || args.views.includes(identify.view) ? args.views : [...args.views, identify.view];
  const analysis = await analyzeCaptures(args.captures, {
    groundTruth,
    views,
    viewOptions: { profile: args.vpnProfile },
    onViewPacket:
      log === null
        ? undefined
        : (view, vp) => {
            if (view === log.view) log.add(vp);
          },
    onSegmentStart:
      log === null
        ? undefined
        : (segment) => {
            log.startSegment(segment);
          },
    onProgress: (p) => {
      bar?.update({
        label: `${p.filesDone + 1}/${p.filesTotal} ${p.file.split('/').pop() ?? ''}`,
        fraction: p.fraction,
        packets: p.packets,
      });
    },
  });
  bar?.done();

  printAnalysis(analysis, views, io);
  let identification: ViewIdentification | undefined;
  if (identifier !== null && log !== null) {
    try {
      identification = await identifyView(identifier, log, analysis.labels);
    } finally {
      await identifier.close();
    }
    io.stdout(identificationText(identification));
  }
  reportReadErrors(analysis, io);
  if (args.json !== null) {
    writeFileSync(args.json, `${JSON.stringify(analysisJson(analysis, identification), null, 1)}\n`);
    io.stderr(`Wrote ${args.json}\n`);
  }
  if (args.csv != null) {
    const files: Record<string, string> = { 'devices.csv': inventoryCsv(analysis) };
    if (identification !== undefined) files['packets.csv'] = packetsCsv(identification);
    writeCsvFiles(args.csv, files, io);
  }
  return unreadableFiles(analysis) > 0 ? ExitCode.UNREADABLE : ExitCode.OK;
}

function writeCsvFiles(dir: string, files: Record<string, string>, io: CliIo): void {
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  io.stderr(`Wrote ${Object.keys(files).join(', ')} in ${dir}\n`);
}

/** The device inventory as CSV (analyze without the audit). */
function inventoryCsv(analysis: CaptureAnalysis): string {
  const snapshot = analysis.inventory.toJSON();
  return csvDocument(
    [
      'mac',
      'role',
      'vendor',
      'name',
      'true_label',
      'addresses',
      'packets_sent',
      'packets_received',
      'bytes_sent',
      'bytes_received',
      'first_seen',
      'last_seen',
    ],
    snapshot.devices.map((d) => [
      d.mac,
      d.role,
      d.vendorText,
      d.displayName,
      d.label?.device ?? null,
      addressList(d),
      d.packetsSent,
      d.packetsReceived,
      d.bytesSent,
      d.bytesReceived,
      d.firstSeen,
      d.lastSeen,
    ]),
  );
}

/** Each packet of the `--view` observer: its time, true device and the model's answer. */
function packetsCsv(id: ViewIdentification): string {
  const name = (k: number): string => (k === UNKNOWN_LABEL ? UNKNOWN_NAME : id.modelLabels[k]);
  const trueName = (t: number): string | null => (t >= 0 ? id.deviceLabels[t] : t === -1 ? null : '(tunnel)');
  const rows = Array.from(id.trueLabel, (t, i) => [
    i,
    id.ts[i],
    trueName(t),
    name(id.labels.labelIndex[i]),
    Number(id.labels.confidence[i].toFixed(6)),
  ]);
  return csvDocument(['row', 'ts', 'true_label', 'predicted', 'confidence'], rows);
}

/** `analyze --activity / --findings`: the analysis of the audit's first pass, then the audit. */
async function runAuditAnalyze(
  args: AnalyzeArgs,
  options: NonNullable<AnalyzeArgs['audit']>,
  io: CliIo,
): Promise<number> {
  const groundTruth = args.labels === null ? null : await GroundTruth.load(args.labels);
  const bar = io.progress === undefined ? null : new ProgressBar(io.progress);
  const { audit, analysis } = await runHomeAudit(args.captures, {
    modelsDir: options.modelsDir,
    groundTruth,
    vpnProfile: args.vpnProfile,
    defences: options.findings ? options.defences : [],
    onProgress: (p) => {
      bar?.update({ label: p.stage, fraction: p.fraction, packets: p.packets });
    },
  });
  bar?.done();
  printAnalysis(
    analysis,
    VIEW_NAMES.filter((v) => analysis.views[v] !== undefined),
    io,
  );
  if (options.activity) io.stdout(`${timelinesText(audit)}\n`);
  io.stdout(`${exposureText(audit)}\n`);
  const inHome = inHomeText(audit);
  if (inHome !== '') io.stdout(`${inHome}\n`);
  const findings = options.findings ? auditFindings(audit) : [];
  if (options.findings) {
    io.stdout(`${findingsText(findings, audit)}\n`);
    const whatIfs = whatIfText(audit);
    if (whatIfs !== '') io.stdout(`${whatIfs}\n`);
  }
  reportReadErrors(analysis, io);
  if (args.json !== null) {
    const doc = { ...analysisJson(analysis), audit, findings };
    writeFileSync(args.json, `${JSON.stringify(doc, null, 1)}\n`);
    io.stderr(`Wrote ${args.json}\n`);
  }
  if (args.csv != null) {
    const files: Record<string, string> = {
      'devices.csv': devicesCsv(audit),
      'busy-spans.csv': busySpansCsv(audit),
    };
    if (options.findings) files['findings.csv'] = findingsCsv(findings, audit);
    writeCsvFiles(args.csv, files, io);
  }
  return unreadableFiles(analysis) > 0 ? ExitCode.UNREADABLE : ExitCode.OK;
}

/** The device table, the views' packet counts and decoding problems. */
function printAnalysis(analysis: CaptureAnalysis, views: readonly ViewName[], io: CliIo): void {
  const snapshot = analysis.inventory.toJSON();
  io.stdout(
    `${analysis.files.length} file(s), ${analysis.packets} packets, ${snapshot.homeDeviceCount} home device(s)` +
      `${snapshot.gatewayMac === null ? '' : `, gateway ${snapshot.gatewayMac}`}\n\n`,
  );
  io.stdout(`${deviceTable(analysis)}\n\n`);
  if (views.length > 0) {
    io.stdout(`Observer views\n${viewTable(analysis)}\n\n`);
    if (analysis.labels.length > 0)
      io.stdout(`Packets per true device and view\n${labelTable(analysis)}\n\n`);
  }
  const decodeProblems = analysis.files.reduce((n, f) => n + f.decodeTruncated + f.decodeMalformed, 0);
  if (decodeProblems > 0) {
    const truncated = analysis.files.reduce((n, f) => n + f.decodeTruncated, 0);
    io.stdout(
      `Decoding stopped early in ${decodeProblems} packet(s) (${truncated} cut by the snap length or capture, ` +
        `${decodeProblems - truncated} malformed); their outer layers are still used.\n`,
    );
  }
}

/** Files that gave no packet at all because of a fatal problem. */
export function unreadableFiles(analysis: CaptureAnalysis): number {
  return analysis.files.filter((f) => f.packets === 0 && f.errors.some((e) => e.fatal)).length;
}

/**
 * Read problems on stderr: "error" when a file gave nothing, "warning" when damage ended a file
 * early (the packets before it were used) or a record was skipped.
 */
export function reportReadErrors(analysis: CaptureAnalysis, io: CliIo): void {
  const lines: string[] = [];
  for (const i of analysis.order) {
    const f = analysis.files[i];
    for (const e of f.errors) {
      if (e.fatal && f.packets === 0) lines.push(`  error: ${e.message}`);
      else if (e.fatal) lines.push(`  warning: ${e.message} (the ${f.packets} packets before it were used)`);
      else lines.push(`  warning: ${e.message}`);
    }
  }
  if (lines.length > 0) io.stderr(`Read problems (${lines.length}):\n${lines.join('\n')}\n`);
}

/** The observer model's answers for one view's packets. */
export interface ViewIdentification {
  view: ModelView;
  modelId: string;
  modelLabels: readonly string[];
  unknownThreshold: number;
  deviceLabels: readonly string[];
  devices: DeviceIdentificationSummary[];
  ts: Float64Array;
  trueLabel: Int16Array;
  labels: PacketLabels;
}

async function identifyView(
  identifier: DeviceIdentifier,
  log: ViewLog<ModelView>,
  deviceLabels: readonly string[],
): Promise<ViewIdentification> {
  const n = log.rows;
  const labels = await log.identify(identifier);
  const trueLabel = log.label.subarray(0, n);
  return {
    view: log.view,
    modelId: identifier.model.id,
    modelLabels: identifier.labels,
    unknownThreshold: identifier.model.unknownThreshold,
    deviceLabels,
    devices: summariseByDevice(
      deviceLabels,
      identifier.labels,
      trueLabel,
      labels.labelIndex,
      identifier.model.labelMembers,
    ),
    ts: log.ts.subarray(0, n),
    trueLabel,
    labels,
  };
}

const percent = (share: number): string => `${(100 * share).toFixed(1)} %`;

/** The per-device table of `--view`. */
export function identificationText(id: ViewIdentification): string {
  const rows = id.devices.map((d) => [
    d.device,
    String(d.packets),
    d.topLabel ?? '-',
    percent(d.topShare),
    percent(d.unknownShare),
    d.correctShare === null ? '-' : percent(d.correctShare),
  ]);
  const table = formatTable(
    [
      { header: 'true device', max: 32 },
      { header: 'packets', align: 'right' },
      { header: 'model says (top)', max: 32 },
      { header: 'top share', align: 'right' },
      { header: 'unknown', align: 'right' },
      { header: 'right', align: 'right' },
    ],
    rows,
  );
  const known = id.devices.filter((d) => d.correctShare !== null);
  const packets = known.reduce((a, d) => a + d.packets, 0);
  const right = known.reduce((a, d) => a + (d.correctShare ?? 0) * d.packets, 0);
  const overall =
    packets === 0
      ? 'No packet of this view belongs to a device the model knows.'
      : `Right on ${percent(right / packets)} of the ${packets} packets of devices the model knows.`;
  return (
    `What the ${id.view.toUpperCase()} observer's model (${id.modelId}) says about each device ` +
    `(unknown below confidence ${id.unknownThreshold})\n${table}\n${overall}\n\n`
  );
}

function identificationJson(id: ViewIdentification): unknown {
  const name = (k: number): string => (k === UNKNOWN_LABEL ? UNKNOWN_NAME : id.modelLabels[k]);
  const trueName = (t: number): string | null => (t >= 0 ? id.deviceLabels[t] : t === -1 ? null : '(tunnel)');
  const packets = Array.from(id.trueLabel, (t, i) => ({
    ts: id.ts[i],
    trueLabel: trueName(t),
    predicted: name(id.labels.labelIndex[i]),
    confidence: Number(id.labels.confidence[i].toFixed(6)),
  }));
  return {
    view: id.view,
    model: id.modelId,
    modelLabels: id.modelLabels,
    unknownThreshold: id.unknownThreshold,
    devices: id.devices,
    packets,
  };
}
