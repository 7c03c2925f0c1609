/**
 * Browser mode (`telltale serve`): the engine behind a small HTTP + WebSocket server on
 * 127.0.0.1 only, serving the built UI and the same API the desktop app's preload gives it.
 *
 * Access needs the random token in the URL the server prints (`/?token=…`): the WebSocket
 * (`/api?token=…`) and uploads (`POST /upload?token=…&name=…`) refuse requests without it, and
 * requests whose Host is not this server (DNS rebinding) or whose Origin is another site. The
 * static UI is served with the same Content-Security-Policy as the desktop app. Nothing here
 * connects anywhere.
 */
import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, normalize, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { WebSocketServer, type WebSocket } from 'ws';
import {
  fail,
  isRequestChannel,
  type EventChannel,
  type Result,
  type WireMessage,
} from '../shared/ipc-contract.ts';
import { CONTENT_SECURITY_POLICY, contentType } from '../shared/security-policy.ts';
import { Engine, type EngineOptions } from './engine.ts';

export interface EngineServerOptions extends Omit<EngineOptions, 'emit' | 'mode'> {
  /** Folder of the built UI (index.html and assets). */
  rendererDir: string;
  /** 0 picks a free port. */
  port?: number;
  /** Largest upload accepted, bytes (default 8 GiB). */
  maxUploadBytes?: number;
}

export interface RunningServer {
  url: string;
  port: number;
  token: string;
  engine: Engine;
  close(): Promise<void>;
}

const SECURITY_HEADERS = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'X-Frame-Options': 'DENY',
};

function sameToken(given: string | null, token: string): boolean {
  if (given === null) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** A file name safe to keep: letters, digits, dot, dash, underscore; at most 100 characters. */
export function safeFileName(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? '';
  const cleaned = base.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '');
  return (cleaned === '' ? 'capture' : cleaned).slice(0, 100);
}

export async function startEngineServer(options: EngineServerOptions): Promise<RunningServer> {
  const token = randomBytes(24).toString('base64url');
  const clients = new Set<WebSocket>();
  const broadcast = (event: EventChannel, payload: unknown): void => {
    const text = JSON.stringify({ type: 'event', event, payload } satisfies WireMessage);
    for (const ws of clients) if (ws.readyState === ws.OPEN) ws.send(text);
  };
  const engine = new Engine({
    ...options,
    mode: 'browser',
    emit: (event, payload) => {
      broadcast(event, payload);
    },
  });
  const rendererDir = resolve(options.rendererDir);
  const uploads = join(options.dataDir, 'uploads');
  const maxUpload = options.maxUploadBytes ?? 8 * 1024 ** 3;
  let port = 0;

  const hostAllowed = (req: IncomingMessage): boolean => {
    const host = req.headers.host ?? '';
    return host === `127.0.0.1:${port}` || host === `localhost:${port}`;
  };
  const originAllowed = (req: IncomingMessage): boolean => {
    const origin = req.headers.origin;
    return (
      origin === undefined || origin === `http://127.0.0.1:${port}` || origin === `http://localhost:${port}`
    );
  };

  const server: Server = createServer((req, res) => {
    handleHttp(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(`internal error: ${(error as Error).message}\n`);
    });
  });

  async function handleHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!hostAllowed(req) || !originAllowed(req)) {
      res.writeHead(403, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('forbidden: this server answers http://127.0.0.1 only\n');
      return;
    }
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    if (url.pathname === '/upload') {
      await handleUpload(req, res, url);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' });
      res.end();
      return;
    }
    const relative = url.pathname === '/' ? 'index.html' : decodeURIComponent(url.pathname.slice(1));
    const file = normalize(join(rendererDir, relative));
    if (!file.startsWith(rendererDir + sep) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8', ...SECURITY_HEADERS });
      res.end(
        existsSync(join(rendererDir, 'index.html'))
          ? 'not found\n'
          : `the UI is not built: run "npm run build" (no ${join(rendererDir, 'index.html')})\n`,
      );
      return;
    }
    res.writeHead(200, {
      'Content-Type': contentType(file),
      'Cache-Control': relative === 'index.html' ? 'no-store' : 'max-age=3600',
      ...SECURITY_HEADERS,
    });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    await pipeline(createReadStream(file), res);
  }

  async function handleUpload(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const reply = (status: number, result: Result<unknown>): void => {
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(result));
    };
    if (!sameToken(url.searchParams.get('token'), token)) {
      reply(401, fail('permission', 'missing or wrong token'));
      return;
    }
    if (req.method !== 'POST') {
      reply(405, fail('bad-request', 'uploads are POST requests'));
      return;
    }
    const length = Number(req.headers['content-length'] ?? NaN);
    if (Number.isFinite(length) && length > maxUpload) {
      reply(413, fail('bad-request', `the file is larger than ${maxUpload} bytes`));
      return;
    }
    // one folder per upload keeps the file's own name (the UI shows it) without clashes
    const dir = join(uploads, randomUUID());
    mkdirSync(dir, { recursive: true });
    const path = join(dir, safeFileName(url.searchParams.get('name') ?? 'capture'));
    let received = 0;
    req.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > maxUpload) req.destroy(new Error('upload too large'));
    });
    try {
      await pipeline(req, createWriteStream(path));
    } catch (error) {
      reply(400, fail('unreadable', `the upload failed: ${(error as Error).message}`));
      return;
    }
    reply(200, { ok: true, value: { path } });
  }

  const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    if (
      url.pathname !== '/api' ||
      !hostAllowed(req) ||
      !originAllowed(req) ||
      !sameToken(url.searchParams.get('token'), token)
    ) {
      socket.write('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n');
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      clients.add(ws);
      ws.on('close', () => clients.delete(ws));
      ws.on('message', (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => {
        if (isBinary) return;
        const text = Array.isArray(data)
          ? Buffer.concat(data).toString('utf8')
          : Buffer.from(data as ArrayBuffer).toString('utf8');
        void answer(ws, text);
      });
    });
  });

  async function answer(ws: WebSocket, text: string): Promise<void> {
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    const m = message as Partial<Extract<WireMessage, { type: 'request' }>>;
    if (m.type !== 'request' || typeof m.id !== 'number') return;
    const result = isRequestChannel(m.channel)
      ? await engine.handle(m.channel, m.payload ?? null)
      : fail('bad-request', `unknown request "${String(m.channel)}"`);
    if (ws.readyState === ws.OPEN)
      ws.send(JSON.stringify({ type: 'response', id: m.id, result } satisfies WireMessage));
  }

  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolveListen();
    });
  });
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    port,
    token,
    engine,
    close: async () => {
      for (const ws of clients) ws.terminate();
      wss.close();
      const closed = new Promise<void>((r) =>
        server.close(() => {
          r();
        }),
      );
      // close() waits for every open socket; a browser's speculative pre-connection or a
      // keep-alive socket that never sends a request would hold it until the headers timeout.
      server.closeAllConnections();
      await closed;
      await engine.close();
    },
  };
}
