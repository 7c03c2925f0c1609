/**
 * `telltale report` end to end on real captures from another lab (../shared/datasets/extras
 * mud-devices: a plug, a lamp and a door sensor, with labels): the HTML page and the PDF printed by
 * Debian's Chromium. pdftotext finds the cover verdict, every device and every section; the page
 * count stays in bounds; pdffonts shows the fonts embedded; pdftoppm renders each page and
 * nothing touches the right margin. Skipped, with the reason, where Chromium, poppler-utils or the
 * dataset are missing.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './run-cli.ts';
import { findChromium } from '../../src-main/report/chromium.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const MUD = resolve(ROOT, '../shared/datasets/extras/mud-devices');
const CAPTURES = [
  'tapo-p115/G06-tapo-p115.pcap.gz',
  'mood_lamp-3204432/G06-mood_lamp-3204432.pcap.gz',
  'door_sensor-19JWT/G06-door_sensor-19JWT.pcapng.gz',
].map((f) => join(MUD, f));
const DEVICES = ['TP-Link Tapo P115 Plug', 'LSC Smart Connect Mood Lamp', 'Tuya WiFi Door Sensor'];

function hasTool(tool: string): boolean {
  return spawnSync(tool, ['-v']).error === undefined;
}

const skip = !existsSync(MUD)
  ? 'no ../shared/datasets/extras/mud-devices'
  : findChromium() === null
    ? 'no Chromium (apt-get install chromium)'
    : !hasTool('pdftoppm')
      ? 'no poppler-utils (apt-get install poppler-utils)'
      : '';
if (skip !== '') console.warn(`report tests skipped: ${skip}`);

const work = mkdtempSync(join(tmpdir(), 'telltale-report-'));
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

const run = runCli;

/** A binary PGM (P5) as width, height and grey bytes. */
function readPgm(path: string): { width: number; height: number; pixels: Buffer } {
  const data = readFileSync(path);
  const header = /^P5\s+(\d+)\s+(\d+)\s+(\d+)\s/.exec(data.subarray(0, 64).toString('latin1'));
  if (header === null) throw new Error(`${path}: not a binary PGM`);
  const width = Number(header[1]);
  const height = Number(header[2]);
  return { width, height, pixels: data.subarray(header[0].length, header[0].length + width * height) };
}

describe.skipIf(skip !== '')('telltale report', () => {
  it('writes the report as a web page and a PDF that holds every device and section, nothing cut', async () => {
    const pdf = join(work, 'home.pdf');
    const htmlFile = join(work, 'home.html');
    const r = await run([
      'report',
      ...CAPTURES,
      '--labels',
      join(MUD, 'labels.csv'),
      '--pdf',
      pdf,
      '--html',
      htmlFile,
      '--title',
      'MUD lab devices',
      '--time-zone',
      'Europe/London',
      '--paper',
      'letter',
    ]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const html = readFileSync(htmlFile, 'utf8');
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain("default-src 'none'");

    const text = execFileSync('pdftotext', ['-layout', pdf, '-']).toString();
    // the cover's verdict, the running header and page numbers
    expect(text).toMatch(/Your ISP\s+sees traffic of \d+ of your \d+ devices/);
    expect(text).toMatch(/What helps most:/);
    expect(text).toContain('Telltale privacy report — MUD lab devices');
    expect(text).toContain('Europe/London');
    for (const section of [
      'Your household',
      'Device by device',
      'How this was measured',
      'Appendix',
      'The evidence, device by device',
    ])
      expect(text).toContain(section);
    for (const device of DEVICES) expect(text.replace(/\s+/g, ' ')).toContain(device);
    const pages = Number(/Pages:\s+(\d+)/.exec(execFileSync('pdfinfo', [pdf]).toString())![1]);
    expect(text).toContain(`page 1 of ${pages}`);
    expect(pages).toBeGreaterThanOrEqual(3);
    expect(pages).toBeLessThanOrEqual(10);
    expect(execFileSync('pdfinfo', [pdf]).toString()).toMatch(/Page size:\s+612 x 792 pts \(letter\)/);

    // every font embedded
    const fonts = execFileSync('pdffonts', [pdf]).toString().trim().split('\n').slice(2);
    expect(fonts.length).toBeGreaterThan(0);
    for (const line of fonts) expect(line.split(/\s+/).at(-5)).toBe('yes');

    // nothing in the right margin of any page (the page's last 5 mm), rendered at 50 dpi
    execFileSync('pdftoppm', ['-r', '50', '-gray', pdf, join(work, 'page')]);
    const rendered = readdirSync(work).filter((f) => f.startsWith('page') && f.endsWith('.pgm'));
    expect(rendered).toHaveLength(pages);
    const margin = Math.round((5 / 25.4) * 50);
    for (const f of rendered) {
      const { width, height, pixels } = readPgm(join(work, f));
      let inked = 0;
      for (let y = 0; y < height; y++)
        for (let x = width - margin; x < width; x++) if (pixels[y * width + x] < 200) inked++;
      expect(inked, `${f}: ink in the right margin`).toBe(0);
    }
  }, 180_000);

  it("writes one device's report, the device named by its name", async () => {
    const htmlFile = join(work, 'lamp.html');
    const r = await run([
      'report',
      ...CAPTURES,
      '--labels',
      join(MUD, 'labels.csv'),
      '--html',
      htmlFile,
      '--device',
      'lsc smart connect mood lamp',
      '--no-what-if',
    ]);
    expect(r.err).toBe('');
    const html = readFileSync(htmlFile, 'utf8');
    expect(html).toMatch(/<h3>LSC Smart Connect Mood Lamp/);
    expect(html).not.toContain('Your household');
    expect(html).not.toMatch(/<h3>TP-Link Tapo P115 Plug/);
    expect(
      (await run(['report', CAPTURES[0], '--html', join(work, 'x.html'), '--device', 'No Such Lamp'])).err,
    ).toMatch(/--device: no home device "No Such Lamp" in these captures \(give a MAC address or one of: "/);
  }, 120_000);

  it('refuses what it cannot do with a message that says why', async () => {
    expect((await run(['report', CAPTURES[0]])).err).toMatch(/needs --pdf FILE, --html FILE or both/);
    expect((await run(['report', CAPTURES[0], '--html', join(work, 'x.html'), '--paper', 'a3'])).err).toMatch(
      /--paper: "a3" is not a4 or letter/,
    );
    expect(
      (await run(['report', CAPTURES[0], '--html', join(work, 'x.html'), '--time-zone', 'Mars/Olympus'])).err,
    ).toMatch(/--time-zone: "Mars\/Olympus" is not a time zone/);
    expect(
      (await run(['report', CAPTURES[0], '--html', join(work, 'x.html'), '--device', '02:00:00:00:00:99']))
        .err,
    ).toMatch(/--device: no home device 02:00:00:00:00:99/);
  }, 120_000);
});
