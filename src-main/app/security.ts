/**
 * The desktop app's security rules as plain functions (no `electron` import, so they are tested
 * under Node): the app's own origin, the web preferences every window gets, which requests and
 * navigations are allowed, and how app:// URLs map to the built UI's files.
 *
 * The window loads the UI from app://telltale/ (a privileged standard scheme served from the
 * built renderer folder, with the CSP as a header); it has no Node, runs sandboxed with context
 * isolation, may not navigate anywhere else or open windows, gets no permission it asks for, and
 * every network request that is not the app's own files is cancelled: the app makes no network
 * connection of its own.
 */
import { join, normalize, sep } from 'node:path';
import { CONTENT_SECURITY_POLICY, contentType } from '../shared/security-policy.ts';

export const APP_SCHEME = 'app';
export const APP_HOST = 'telltale';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_START_URL = `${APP_ORIGIN}/index.html`;

/** True for a URL of the app's own UI. */
export function isAppUrl(url: string | undefined | null): boolean {
  if (typeof url !== 'string') return false;
  try {
    const u = new URL(url);
    return u.protocol === `${APP_SCHEME}:` && u.host === APP_HOST;
  } catch {
    return false;
  }
}

/** Requests the window may make: its own files, inline data and developer tools; nothing on a network. */
export function isAllowedRequest(url: string): boolean {
  return isAppUrl(url) || url.startsWith('data:') || url.startsWith('blob:') || url.startsWith('devtools://');
}

/** The web preferences of the app's window. */
export function secureWebPreferences(preload: string): Record<string, unknown> {
  return {
    preload,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    navigateOnDragDrop: false,
    spellcheck: false,
    safeDialogs: true,
  };
}

/** Headers of every file the app:// protocol serves. */
export function responseHeaders(file: string): Record<string, string> {
  return {
    'Content-Type': contentType(file),
    'Content-Security-Policy': CONTENT_SECURITY_POLICY,
    'X-Content-Type-Options': 'nosniff',
  };
}

/** The file of the built UI an app:// URL names, or null (another host, or outside the folder). */
export function appFile(rendererDir: string, url: string): string | null {
  if (!isAppUrl(url)) return null;
  const { pathname } = new URL(url);
  let rel: string;
  try {
    rel = decodeURIComponent(pathname);
  } catch {
    return null;
  }
  if (rel === '/' || rel === '') rel = '/index.html';
  const root = normalize(rendererDir);
  const file = normalize(join(root, rel));
  return file.startsWith(root + sep) ? file : null;
}
