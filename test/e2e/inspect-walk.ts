/**
 * Run inside the "laptop" namespace of test/e2e/inspect-mode.test.ts:
 * `node --import tsx inspect-walk.ts`. Starts browser mode (engine and built UI) there, and walks
 * inspect mode in Chromium as a person would: Capture ▸ Look for devices, the list, tick the
 * first device, the consent, Start; waits while packets come in; Stop. Prints one JSON line of
 * what it saw; screenshots go to test-results/e2e/.
 */
import { launchBrowser, openPage, shot, TestServer } from './browser.ts';

const server = new TestServer();
await server.start();
const browser = await launchBrowser();
const out: Record<string, unknown> = {};
try {
  const { page, problems } = await openPage(browser, { width: 1280, height: 900 });
  await page.goto(server.server.url);
  await page.evaluate(() => {
    window.location.hash = '#/capture';
  });
  const start = page.getByTestId('inspect-start');
  await page.getByTestId('inspect-look').click();
  const table = page.getByTestId('inspect-devices');
  await table.waitFor({ timeout: 30_000 });
  out.rows = await table.locator('tbody tr').evaluateAll((rows) =>
    rows.map((r) => ({
      text: [...r.querySelectorAll('td')]
        .map((td) => (td.textContent ?? '').replace(/\s+/g, ' ').trim())
        .join(' | '),
      tickable: r.querySelector<HTMLInputElement>('input[type=checkbox]')?.disabled === false,
    })),
  );
  await page.locator('[data-testid=inspect-devices] input:not([disabled])').first().check();
  out.startBeforeConsent = await start.isDisabled();
  await page.getByTestId('inspect-consent-tick').check();
  out.startAfterConsent = await start.isDisabled();
  await shot(page, 'inspect-consent');
  await start.click();
  await page.locator('footer.status .state', { hasText: 'Capturing' }).waitFor({ timeout: 30_000 });
  process.stdout.write('started\n');
  const packets = page.getByTestId('packets');
  const t0 = Date.now();
  while (Date.now() - t0 < 20_000 && Number((await packets.textContent())?.replace(/,/g, '') ?? 0) < 40)
    await page.waitForTimeout(250);
  out.packets = Number((await packets.textContent())?.replace(/,/g, '') ?? 0);
  await shot(page, 'inspect-running');
  await page.getByRole('button', { name: 'Stop', exact: true }).click();
  await page.locator('footer.status .state', { hasText: /Stopped|Done/ }).waitFor({ timeout: 60_000 });
  out.problems = await page.locator('.problems li').allTextContents();
  out.console = problems.console;
  out.csp = problems.csp;
} finally {
  await browser.close();
  await server.stop();
}
process.stdout.write(`${JSON.stringify(out)}\n`);
process.exit(0);
