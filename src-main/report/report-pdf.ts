/**
 * The report's HTML printed to PDF by a Chromium already on the computer (Debian's `chromium`,
 * Chrome, or Chromium named by TELLTALE_CHROMIUM), driven by playwright-core. Why this renderer:
 * the desktop app prints with its own Chromium (Electron's printToPDF), so one HTML layout gives
 * the same pages everywhere — vector charts, embedded fonts, page numbers and a running header —
 * where a PDF library would need a second layout; and no browser is downloaded or bundled.
 */
import { chromium } from 'playwright-core';
import { findChromium, NoChromiumError } from './chromium.ts';
import { printTemplates, type Paper } from './report-html.ts';

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
