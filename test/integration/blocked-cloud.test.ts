/**
 * Devices that cannot reach their cloud are awake, not busy (activity/uncounted-packets.ts), on
 * the real MADEA home: on the evening of 2023-06-13 (local time; files 19:14–19:58) its router
 * answered every name with 192.168.5.1, which refused every connection. The Amazon plug looked up
 * a name, sent NTP and got "port unreachable" every 3 s; the Ultraloq lock looked up its broker and
 * had its SYN reset ten times a second, and rejoined the Wi-Fi again and again. Counted as volume
 * these made both busy for most of the evening (the lock 2 640 s at a stretch); nobody used either.
 * The CLI and the report say instead that they tried, and how often, to reach a server that
 * refused them. Skipped when the datasets are absent.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runHomeAudit } from '../../src-main/audit/home-audit.ts';
import { timelinesText } from '../../src-main/cli/audit-text.ts';
import { GroundTruth } from '../../src-main/devices/ground-truth.ts';
import { auditFindings } from '../../src-main/findings/findings.ts';
import { devicesCsv } from '../../src-main/report/report-csv.ts';
import { renderReport } from '../../src-main/report/report-html.ts';

const MADEA = resolve(import.meta.dirname, '../../../shared/datasets/madea');
const MONITORING = join(MADEA, 'monitoring');
const present = existsSync(join(MADEA, 'labels.csv')) && existsSync(MONITORING);

describe.skipIf(!present)('devices retrying a blocked cloud on the MADEA home', () => {
  it('keeps them awake and never busy', async () => {
    const files = readdirSync(MONITORING)
      .filter((f) => /_2023-6-13_19_/.test(f))
      .sort()
      .map((f) => join(MONITORING, f));
    expect(files.length).toBeGreaterThanOrEqual(15);
    const { audit } = await runHomeAudit(files, {
      observers: [],
      groundTruth: GroundTruth.loadSync(join(MADEA, 'labels.csv')),
    });
    for (const name of ['Amazon Plug', 'Ultraloq Smart Lock']) {
      const device = audit.devices.find((d) => d.trueLabel === name);
      expect(device, name).toBeDefined();
      const { truth } = device!;
      expect(
        truth.spans.filter((s) => !s.routine).map((s) => s.description),
        name,
      ).toEqual([]);
      const seconds = (state: string): number =>
        truth.segments.filter((s) => s.state === state).reduce((sum, s) => sum + s.end - s.start, 0);
      expect(seconds('idle'), name).toBeGreaterThan(0.9 * (truth.end - truth.start));
      // a retry loop: thousands of refusals over most of the hour
      expect(truth.refusals!.count, name).toBeGreaterThan(500);
      expect(truth.refusals!.last - truth.refusals!.first, name).toBeGreaterThan(1800);
    }
    const plug = audit.devices.find((d) => d.trueLabel === 'Amazon Plug')!;
    const said =
      /Between 2023-06-14 \d\d:\d\d:\d\d UTC and 2023-06-14 \d\d:\d\d:\d\d UTC it tried \d+ times to reach a server that refused it\./;
    const text = timelinesText(audit);
    expect(text.slice(text.indexOf(`Amazon Plug (${plug.mac})`))).toMatch(said);
    const report = renderReport(audit, auditFindings(audit, { timeZone: 'UTC' }), {
      title: 'blocked cloud',
      captures: files,
      generatedAt: new Date(0),
      timeZone: 'UTC',
      telltaleVersion: 'test',
      paper: 'A4',
      device: plug.mac,
    });
    expect(report).toMatch(/it tried [\d,]+ times to reach a server that refused it\./);
    // the whole home was refused that evening: the report's first page and the CLI say so once
    const cutOff = /Between .+ and .+, \d+ of your devices kept trying to reach servers that refused them/;
    expect(report).toMatch(cutOff);
    expect(text).toMatch(cutOff);
    // and researchers get the count in devices.csv
    const [header, ...rows] = devicesCsv(audit).trim().split('\n');
    const row = rows.find((r) => r.startsWith(plug.mac))!.split(',');
    expect(Number(row[header.split(',').indexOf('refused_attempts')])).toBe(plug.truth.refusals!.count);
  }, 120_000);
});
