/**
 * `telltale report <capture...> [--labels labels.csv] [--pdf out.pdf] [--html out.html]
 * [--paper a4|letter] [--device MAC|NAME] [--title NAME] [--time-zone ZONE] [--no-what-if]`: the full
 * audit (both observers, timelines, the in-home observers, findings and the default what-ifs),
 * then the privacy report of report/report-html.ts as a web page and / or a PDF.
 */
import { writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { runHomeAudit } from '../audit/home-audit.ts';
import { GroundTruth } from '../devices/ground-truth.ts';
import { normalizeMac } from '../devices/address-scope.ts';
import type { HomeAudit } from '../audit/audit-types.ts';
import { auditFindings, deviceName } from '../findings/findings.ts';
import { renderReport, type Paper } from '../report/report-html.ts';
import { modelFacts } from '../report/model-facts.ts';
import { isTimeZone, systemTimeZone } from '../shared/time-zone.ts';
import { DEFAULT_DEFENCES, type Defence } from '../views/defences.ts';
import { type CliIo, ExitCode, UsageError } from './cli-io.ts';
import { ProgressBar } from './progress-bar.ts';

export interface ReportArgs {
  captures: string[];
  labels: string | null;
  pdf: string | null;
  html: string | null;
  paper: Paper;
  device: string | null;
  title: string | null;
  timeZone: string | undefined;
  whatIfs: boolean;
  modelsDir: string;
  version: string;
}

/** `a4` / `letter` in any case. */
export function parsePaper(text: string | undefined): Paper {
  if (text === undefined) return 'A4';
  const t = text.trim().toLowerCase();
  if (t === 'a4') return 'A4';
  if (t === 'letter') return 'Letter';
  throw new UsageError(`--paper: "${text}" is not a4 or letter`);
}

/** An IANA time zone this Node knows, e.g. Europe/Berlin. */
export function parseTimeZone(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const given = text; // quoted as given: past the guard below, `text` narrows to never
  if (isTimeZone(text)) return text;
  throw new UsageError(
    `--time-zone: "${given}" is not a time zone (e.g. Europe/Berlin, America/New_York, UTC)`,
  );
}

/** The home device `--device` names: by MAC address, else by its name (any case); a usage error otherwise. */
function pickDevice(audit: HomeAudit, wanted: string, mac: string | null): string {
  if (mac !== null) {
    if (!audit.devices.some((d) => d.mac === mac))
      throw new UsageError(`--device: no home device ${mac} in these captures`);
    return mac;
  }
  const named = audit.devices.filter((d) => deviceName(d).toLowerCase() === wanted.trim().toLowerCase());
  if (named.length === 1) return named[0].mac;
  if (named.length > 1)
    throw new UsageError(
      `--device: ${named.length} devices are called "${wanted}" (${named.map((d) => d.mac).join(', ')}): give its MAC address`,
    );
  const names = audit.devices.map((d) => `"${deviceName(d)}"`);
  throw new UsageError(
    `--device: no home device "${wanted}" in these captures (give a MAC address or one of: ${names.slice(0, 20).join(', ')}${names.length > 20 ? ', …' : ''})`,
  );
}

export async function runReport(args: ReportArgs, io: CliIo): Promise<number> {
  if (args.pdf === null && args.html === null)
    throw new UsageError('report needs --pdf FILE, --html FILE or both');
  // a MAC address, or a device's name (read once the audit has named the devices)
  const wantedMac = args.device === null ? null : normalizeMac(args.device);
  const groundTruth = args.labels === null ? null : await GroundTruth.load(args.labels);
  const bar = io.progress === undefined ? null : new ProgressBar(io.progress);
  const defences: Defence[] = args.whatIfs ? [...DEFAULT_DEFENCES] : [];
  const { audit } = await runHomeAudit(args.captures, {
    modelsDir: args.modelsDir,
    groundTruth,
    defences,
    onProgress: (p) => {
      bar?.update({ label: p.stage, fraction: p.fraction, packets: p.packets });
    },
  });
  bar?.done();
  const device = args.device === null ? null : pickDevice(audit, args.device, wantedMac);
  // the findings quote times in the report's zone
  const timeZone = args.timeZone ?? systemTimeZone();
  const findings = auditFindings(audit, { timeZone });
  const title =
    args.title ??
    (args.captures.length === 1 ? basename(args.captures[0]) : `${args.captures.length} captures`);
  const html = renderReport(audit, findings, {
    title,
    captures: args.captures.map((c) => basename(c)),
    generatedAt: new Date(),
    timeZone,
    telltaleVersion: args.version,
    paper: args.paper,
    device,
    models: modelFacts(args.modelsDir),
  });
  if (args.html !== null) {
    writeFileSync(args.html, html);
    io.stdout(`wrote ${args.html}\n`);
  }
  if (args.pdf !== null) {
    // the browser driver is loaded only to print
    const { renderPdf } = await import('../report/report-pdf.ts');
    writeFileSync(args.pdf, await renderPdf(html, args.paper, title));
    io.stdout(`wrote ${args.pdf}\n`);
  }
  return ExitCode.OK;
}
