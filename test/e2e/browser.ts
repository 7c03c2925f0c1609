/**
 * Shared set-up of the end-to-end tests: the engine's browser-mode server on the built UI, and
 * Debian's Chromium driven by playwright-core, with every console error, page error and CSP
 * violation of the page collected so a test can require there are none. Screenshots go to
 * test-results/e2e/.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startEngineServer, type RunningServer } from '../../src-main/engine/engine-server.ts';

export const ROOT = resolve(import.meta.dirname, '../..');
export const RENDERER = join(ROOT, 'dist/renderer');
export const MODELS = join(ROOT, 'models');
export const SHOTS = join(ROOT, 'test-results/e2e');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Why the e2e tests cannot run here, or '' when they can. */
export function e2eSkipReason(): string {
  if (!existsSync(CHROMIUM)) return `no Chromium at ${CHROMIUM} (apt-get install chromium)`;
  if (!existsSync(join(RENDERER, 'index.html'))) return 'the UI is not built (npm run build:ui)';
  if (!existsSync(join(MODELS, 'manifest.json'))) return 'no bundled models';
  return '';
}

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

export interface PageProblems {
  console: string[];
  csp: string[];
}

/** Opens a page that records console errors, page errors and CSP violations. */
export async function openPage(
  browser: Browser,
  viewport = { width: 1280, height: 800 },
  colorScheme: 'light' | 'dark' = 'light',
): Promise<{ page: Page; problems: PageProblems }> {
  const context = await browser.newContext({ viewport, colorScheme, acceptDownloads: true });
  const page = await context.newPage();
  const problems: PageProblems = { console: [], csp: [] };
  page.on('console', (m) => {
    if (m.type() === 'error') problems.console.push(m.text());
  });
  page.on('pageerror', (e) => problems.console.push(`page error: ${e.message}`));
  await page.exposeFunction('__reportCsp', (text: string) => {
    problems.csp.push(text);
  });
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      (window as unknown as { __reportCsp: (t: string) => void }).__reportCsp(
        `${e.violatedDirective} blocked ${e.blockedURI || '(inline)'} at ${e.sourceFile}:${e.lineNumber}`,
      );
    });
  });
  return { page, problems };
}

export async function shot(page: Page, name: string): Promise<string> {
  mkdirSync(SHOTS, { recursive: true });
  const path = join(SHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** A server with its own data folder (kept across `restart` to test what survives). */
export class TestServer {
  server!: RunningServer;
  readonly dataDir = mkdtempSync(join(tmpdir(), 'telltale-e2e-'));

  async start(): Promise<RunningServer> {
    this.server = await startEngineServer({
      dataDir: this.dataDir,
      modelsDir: MODELS,
      rendererDir: RENDERER,
      version: 'test',
    });
    return this.server;
  }

  async restart(): Promise<RunningServer> {
    await this.server.close();
    return this.start();
  }

  async stop(): Promise<void> {
    await this.server.close();
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}
