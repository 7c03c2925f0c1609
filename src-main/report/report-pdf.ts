/**
 * The report's HTML printed to PDF by a Chromium already on the computer (Debian's `chromium`,
 * Chrome, or Chromium named by TELLTALE_CHROMIUM), driven by playwright-core. Why this renderer:
 * the desktop app prints with its own Chromium (Electron's printToPDF), so one HTML layout gives
 * the same pages everywhere — vector charts, embedded fonts, page numbers and a running header —
 * where a PDF library would need a second layout; and no browser is downloaded or bundled.
 */
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { printTemplates, type Paper } from './report-html.ts';

const CANDIDATES = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/snap/bin/chromium',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
  'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe',
];

/** The Chromium to print with, or null when none is found. */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string | null {
  const named = env.TELLTALE_CHROMIUM ?? env.CHROMIUM_PATH;
  if (named !== undefined && named !== '') return existsSync(named) ? named : null;
  return CANDIDATES.find((c) => existsSync(c)) ?? null;
}

export class NoChromiumError extends Error {
  override name = 'NoChromiumError';
}

/** The report's HTML printed as PDF (A4 or Letter, running header, page numbers). */
export async function renderPdf(html: string, paper: Paper, title: string): Promise<Buffer> {
  const executablePath = findChromium();
  if (executablePath === null)
    throw new NoChromiumError(
      'a PDF needs Chromium or Chrome on this computer, and none was found: install it (Debian and Ubuntu: apt install chromium) or name it with TELLTALE_CHROMIUM=/path/to/chrome; the report can still be saved as a web page',
    );
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  const browser = await chromium.launch({
    executablePath,
    // Chromium refuses to run as root inside its sandbox
    args: root ? ['--no-sandbox'] : [],
  });
  try {
    const page = await browser.newPage();
    await page.emulateMedia({ media: 'print', colorScheme: 'light' });
    await page.setContent(html, { waitUntil: 'load' });
    return await page.pdf({
      format: paper,
      printBackground: true,
      preferCSSPageSize: true,
      displayHeaderFooter: true,
      ...printTemplates(title),
    });
  } finally {
    await browser.close();
  }
}
