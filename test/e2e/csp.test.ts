/**
 * The built renderer under its production Content-Security-Policy, in Chromium: the policy in
 * index.html and in the server's headers is the one in src-main/shared/security-policy.ts, every
 * page loads with no CSP violation and no console error — and the violation collector does see a
 * violation when one is made on purpose. Also the browser-mode server's access rules: no token,
 * wrong Host or foreign Origin, no API.
 */
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  CONTENT_SECURITY_POLICY,
  META_CONTENT_SECURITY_POLICY,
} from '../../src-main/shared/security-policy.ts';
import { e2eSkipReason, launchBrowser, openPage, RENDERER, ROOT, TestServer } from './browser.ts';

const skip = e2eSkipReason();

function get(
  port: number,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers }, (res) => {
      res.resume();
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, headers: res.headers });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

function wsOpens(url: string, headers: Record<string, string> = {}): Promise<boolean> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    ws.on('open', () => {
      ws.close();
      resolve(true);
    });
    ws.on('error', () => {
      resolve(false);
    });
  });
}

describe('the policy in the source', () => {
  it('index.html carries the shared policy (without frame-ancestors, which only works as a header)', () => {
    const html = readFileSync(join(ROOT, 'src-renderer/index.html'), 'utf8');
    const meta = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(html)?.[1];
    expect(meta).toBe(META_CONTENT_SECURITY_POLICY);
    expect(CONTENT_SECURITY_POLICY).toBe(`${META_CONTENT_SECURITY_POLICY}; frame-ancestors 'none'`);
    expect(META_CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-inline|unsafe-eval/);
  });
});

describe.skipIf(skip !== '')('the built renderer under its CSP', () => {
  const server = new TestServer();
  let browser: Browser;

  beforeAll(async () => {
    await server.start();
    browser = await launchBrowser();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server.stop();
  });

  it('the built index.html keeps the policy, and the server sends it as a header', async () => {
    const built = readFileSync(join(RENDERER, 'index.html'), 'utf8');
    expect(built).toContain(`content="${META_CONTENT_SECURITY_POLICY}"`);
    const res = await get(server.server.port, '/', { Host: `127.0.0.1:${server.server.port}` });
    expect(res.status).toBe(200);
    expect(res.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });

  it('loads every page with no CSP violation and no console error', async () => {
    const { page, problems } = await openPage(browser);
    await page.goto(server.server.url);
    for (const hash of [
      '#/',
      '#/capture',
      '#/devices',
      '#/findings',
      '#/settings',
      '#/device/00:11:22:33:44:55',
    ]) {
      await page.evaluate((h) => {
        window.location.hash = h;
      }, hash);
      await page.locator('main h1, main p').first().waitFor();
    }
    expect(problems.csp).toEqual([]);
    expect(problems.console).toEqual([]);
    // the collector is live: an inline script is refused and reported
    await page.evaluate(() => {
      const s = document.createElement('script');
      s.textContent = 'window.__ran = true';
      document.body.append(s);
    });
    await expect.poll(() => problems.csp.length).toBeGreaterThan(0);
    expect(problems.csp[0]).toMatch(/^script-src/);
    await expect(
      page.evaluate(() => (window as unknown as { __ran?: boolean }).__ran),
    ).resolves.toBeUndefined();
    await page.context().close();
  });

  it('refuses the API without the token, from another Host or from another Origin', async () => {
    const { port, token } = server.server;
    expect(await wsOpens(`ws://127.0.0.1:${port}/api?token=${token}`)).toBe(true);
    expect(await wsOpens(`ws://127.0.0.1:${port}/api`)).toBe(false);
    // one character changed (a token that already starts with "x" gets a "y": 1 in 64 would not differ)
    const wrong = `${token.startsWith('x') ? 'y' : 'x'}${token.slice(1)}`;
    expect(wrong).not.toBe(token);
    expect(await wsOpens(`ws://127.0.0.1:${port}/api?token=${wrong}`)).toBe(false);
    expect(
      await wsOpens(`ws://127.0.0.1:${port}/api?token=${token}`, { Origin: 'http://evil.example' }),
    ).toBe(false);
    expect((await get(port, '/', { Host: 'evil.example' })).status).toBe(403);
    expect((await get(port, `/upload?token=${token}`, { Host: `127.0.0.1:${port}` })).status).toBe(405);
    expect((await get(port, '/../package.json', { Host: `127.0.0.1:${port}` })).status).toBe(404);
  });
});
