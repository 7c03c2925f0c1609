/**
 * The Content-Security-Policy of the UI, one string for the desktop app (a <meta> in index.html
 * and the session's response headers) and browser mode (the server's header). Nothing but the
 * app's own files; no inline script or style, no eval, no plugins, no frames, no form posts. The
 * WebSocket of browser mode is same-origin ('self' covers ws: on the page's own host in Chromium).
 */
const POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
];

/** The policy as index.html's <meta> carries it (frame-ancestors only works as a header). */
export const META_CONTENT_SECURITY_POLICY = POLICY.join('; ');

/** The policy as a response header (the server of browser mode, the desktop app's protocol). */
export const CONTENT_SECURITY_POLICY = [...POLICY, "frame-ancestors 'none'"].join('; ');

/** Content types of the built UI's files, by extension (both servers of the UI use them). */
const CONTENT_TYPES: Readonly<Record<string, string>> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
  png: 'image/png',
  ico: 'image/x-icon',
  json: 'application/json',
  map: 'application/json',
  woff2: 'font/woff2',
};

export function contentType(path: string): string {
  const dot = path.lastIndexOf('.');
  return (
    (dot < 0 ? undefined : CONTENT_TYPES[path.slice(dot + 1).toLowerCase()]) ?? 'application/octet-stream'
  );
}
