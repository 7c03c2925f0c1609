/**
 * Finding the Chromium or Chrome that prints reports (report-pdf.ts), without loading the driver:
 * the commands and the engine load playwright-core only when they print.
 */
import { existsSync } from 'node:fs';

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

/** The Chromium to print with (TELLTALE_CHROMIUM or CHROMIUM_PATH, else a usual place), or null. */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string | null {
  const named = env.TELLTALE_CHROMIUM ?? env.CHROMIUM_PATH;
  if (named !== undefined && named !== '') return existsSync(named) ? named : null;
  return CANDIDATES.find((c) => existsSync(c)) ?? null;
}

export class NoChromiumError extends Error {
  override name = 'NoChromiumError';
}
