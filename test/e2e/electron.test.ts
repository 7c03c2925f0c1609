/**
 * Smoke test of the real desktop app: launch Electron on the built app (playwright-core's Electron
 * support), see the window, open a capture the way a person does (the page's file input, whose
 * files the preload grants to the main process) and see the device table fill. Needs Electron's
 * binary (`npm ci` downloads it); where it is missing (CI and our own machines, which cannot
 * download it) the test is skipped and the reason printed, so any machine with Electron runs it.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { _electron as electron, type ElectronApplication } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, SHOTS } from './browser.ts';

const CAPTURES = [
  join(ROOT, 'test/fixtures/decode/xiaobai-camera-setup.pcap'),
  join(ROOT, 'test/fixtures/decode/xiaodu-plug-setup.pcap'),
];

/** The Electron binary's path, or why the app cannot be launched here. */
function electronBinary(): { path: string } | { skip: string } {
  if (
    !existsSync(join(ROOT, 'dist/src-main/app/main.js')) ||
    !existsSync(join(ROOT, 'dist/renderer/index.html'))
  )
    return { skip: 'the app is not built (npm run build)' };
  let path: string;
  try {
    path = createRequire(import.meta.url)('electron') as string;
  } catch (error) {
    return { skip: `Electron's binary is not installed (${(error as Error).message.split('\n')[0]})` };
  }
  if (!existsSync(path)) return { skip: `Electron's binary is not installed (${path} is missing)` };
  if (
    process.platform === 'linux' &&
    process.env.DISPLAY === undefined &&
    process.env.WAYLAND_DISPLAY === undefined
  )
    return { skip: 'no display (run under xvfb-run)' };
  return { path };
}

const binary = electronBinary();
const skip = 'skip' in binary ? binary.skip : '';
if (skip !== '') console.warn(`Electron smoke test skipped: ${skip}`);

describe.skipIf(skip !== '')('the desktop app (Electron)', () => {
  const userData = mkdtempSync(join(tmpdir(), 'telltale-electron-'));
  let app: ElectronApplication | null = null;

  afterAll(async () => {
    await app?.close();
    rmSync(userData, { recursive: true, force: true });
  });

  it('starts, opens a capture chosen in the window and lists its devices', async () => {
    app = await electron.launch({
      executablePath: (binary as { path: string }).path,
      // its own user-data folder: the test never touches the person's names and settings
      args: [ROOT, `--user-data-dir=${userData}`],
      cwd: ROOT,
      timeout: 60_000,
    });
    const page = await app.firstWindow();
    await page.getByRole('heading', { name: 'Your home at a glance' }).waitFor({ timeout: 30_000 });
    await page.evaluate(() => {
      window.location.hash = '#/capture';
    });
    await page.locator('[data-testid=file-input]').setInputFiles(CAPTURES);
    await page.locator('footer.status .state', { hasText: 'Done' }).waitFor({ timeout: 60_000 });
    await page.evaluate(() => {
      window.location.hash = '#/devices';
    });
    const rows = page.locator('[data-testid=devices] tbody tr');
    await rows.first().waitFor();
    expect(await rows.count()).toBeGreaterThanOrEqual(2);
    await page.screenshot({ path: join(SHOTS, 'electron-devices.png') });
  }, 180_000);
});
