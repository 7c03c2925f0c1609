import { describe, expect, it } from 'vitest';
import {
  APP_START_URL,
  appFile,
  isAllowedRequest,
  isAppUrl,
  responseHeaders,
  secureWebPreferences,
} from '../../../src-main/app/security.ts';
import { CONTENT_SECURITY_POLICY } from '../../../src-main/shared/security-policy.ts';

describe('desktop security rules', () => {
  it('gives the window no Node, a sandbox and context isolation', () => {
    const p = secureWebPreferences('/app/preload.cjs');
    expect(p).toMatchObject({
      preload: '/app/preload.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
    });
  });

  it('knows its own origin and nothing else', () => {
    expect(isAppUrl(APP_START_URL)).toBe(true);
    for (const url of [
      'https://telltale/index.html',
      'app://other/index.html',
      'file:///etc/passwd',
      'nonsense',
      undefined,
    ]) {
      expect(isAppUrl(url)).toBe(false);
    }
  });

  it('lets no request reach a network', () => {
    expect(isAllowedRequest('app://telltale/assets/index.js')).toBe(true);
    expect(isAllowedRequest('data:image/png;base64,AAAA')).toBe(true);
    for (const url of [
      'https://example.com/',
      'http://127.0.0.1:8080/',
      'ws://127.0.0.1/api',
      'file:///tmp/x',
    ]) {
      expect(isAllowedRequest(url)).toBe(false);
    }
  });

  it('maps app:// URLs into the built UI and refuses to leave it', () => {
    expect(appFile('/r', 'app://telltale/')).toBe('/r/index.html');
    expect(appFile('/r', 'app://telltale/assets/a%20b.js')).toBe('/r/assets/a b.js');
    // the URL parser itself folds dot segments into the folder...
    expect(appFile('/r', 'app://telltale/%2e%2e/%2e%2e/etc/passwd')).toBe('/r/etc/passwd');
    // ...and encoded slashes that would climb out after decoding are refused
    expect(appFile('/r', 'app://telltale/..%2f..%2fetc%2fpasswd')).toBeNull();
    expect(appFile('/r', 'app://telltale/%E0%A4%A')).toBeNull();
    expect(appFile('/r', 'app://elsewhere/index.html')).toBeNull();
  });

  it('serves every file with the CSP and nosniff', () => {
    expect(responseHeaders('/r/index.html')).toEqual({
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Security-Policy': CONTENT_SECURITY_POLICY,
      'X-Content-Type-Options': 'nosniff',
    });
  });
});
