/**
 * `telltale analyze <capture...> [--labels labels.csv] [--json out.json] [--views lan,napt,vpn]
 * [--vpn-profile NAME]`: the device table, per-view packet counts and read errors.
 */
import { writeFileSync } from 'node:fs';
import { GroundTruth } from '../devices/ground-truth.ts';
import type { DeviceRecord } from '../devices/device-record.ts';
import { analyzeCaptures, type CaptureAnalysis } from '../engine/capture-analysis.ts';
import { VIEW_NAMES, type ViewName } from '../views/view-packet.ts';
import type { TunnelProfileName } from '../views/tunnel-profiles.ts';
import { type CliIo, ExitCode } from './cli-io.ts';
import { formatBytes, formatTable, formatTimestamp } from './format-table.ts';
import { ProgressBar } from './progress-bar.ts';

export interface AnalyzeArgs {
  captures: string[];
  labels: string | null;
  json: string | null;
  views: ViewName[];
  vpnProfile: TunnelProfileName | undefined;
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
export function analysisJson(analysis: CaptureAnalysis): unknown {
  return {
    files: analysis.order.map((i) => analysis.files[i]),
    packets: analysis.packets,
    segments: analysis.segments,
    labels: analysis.labels,
    inventory: analysis.inventory.toJSON(),
    views: analysis.views,
  };
}

export async function runAnalyze(args: AnalyzeArgs, io: CliIo): Promise<number> {
  const groundTruth = args.labels === null ? null : await GroundTruth.load(args.labels);
  const bar = io.progress === undefined ? null : new ProgressBar(io.progress);
  const analysis = await analyzeCaptures(args.captures, {
    groundTruth,
    views: args.views,
    viewOptions: { profile: args.vpnProfile },
    onProgress: (p) => {
      bar?.update({
        label: `${p.filesDone + 1}/${p.filesTotal} ${p.file.split('/').pop() ?? ''}`,
        fraction: p.fraction,
        packets: p.packets,
      });
    },
  });
  bar?.done();

  const snapshot = analysis.inventory.toJSON();
  io.stdout(
    `${analysis.files.length} file(s), ${analysis.packets} packets, ${snapshot.homeDeviceCount} home device(s)` +
      `${snapshot.gatewayMac === null ? '' : `, gateway ${snapshot.gatewayMac}`}\n\n`,
  );
  io.stdout(`${deviceTable(analysis)}\n\n`);
  if (args.views.length > 0) {
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
  reportReadErrors(analysis, io);
  if (args.json !== null) {
    writeFileSync(args.json, `${JSON.stringify(analysisJson(analysis), null, 1)}\n`);
    io.stderr(`Wrote ${args.json}\n`);
  }
  return unreadableFiles(analysis) > 0 ? ExitCode.UNREADABLE : ExitCode.OK;
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
