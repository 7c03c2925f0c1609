/**
 * Browser mode (`telltale serve`): the engine behind a small HTTP + WebSocket server on
 * 127.0.0.1 only, serving the built UI and the same API the desktop app's preload gives it.
 *
 * Access needs the random token in the URL the server prints (`/?token=…`): the WebSocket
 * (`/api?token=…`) and uploads (`POST /upload?token=…&name=…`) refuse requests without it, and
 * requests whose Host is not this server (DNS rebinding) or whose Origin is another site. The
 * static UI is served with the same Content-Security-Policy as the desktop app. Nothing here
 * connects anywhere.
 *
 * Even a client with the token is not trusted (the API is a trust boundary):
 * - no message can stop the server: a frame the WebSocket protocol refuses closes that one
 *   connection, anything that is not a well-formed request gets an error reply;
 * - a client opens only files it uploaded, files given on the command line, and files under the
 *   folders given with `--allow`; errors never quote a file that is not a capture;
 * - uploads share one quota and are deleted when no session reads them (and at start-up).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, normalize, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { WebSocketServer, type WebSocket } from 'ws';
import { fail, type EventChannel, type Result, type WireMessage } from '../shared/ipc-contract.ts';
import { CONTENT_SECURITY_POLICY, contentType } from '../shared/security-policy.ts';
import { Engine, type EngineOptions } from './engine.ts';
import { checkClientRequest, FileGrants } from './file-grants.ts';
import { UploadError, UploadStore } from './upload-store.ts';

export interface EngineServerOptions extends Omit<EngineOptions, 'emit' | 'mode' | 'onSessionFiles'> {
  /** Folder of the built UI (index.html and assets). */
  rendererDir: string;
  /** 0 picks a free port. */
  port?: number;
  /** Most bytes all uploads together may hold (default 8 GiB). */
  uploadQuotaBytes?: number;
  /** Folders whose files clients may open without uploading them (`telltale serve --allow DIR`). */
  allowFolders?: readonly string[];
  /** Files clients may open (the captures and labels given on the command line). */
  allowFiles?: readonly string[];
}

export interface RunningServer {
  url: string;
  port: number;
  token: string;
  engine: Engine;
  /** The uploads folder's bookkeeping (tests look at what it keeps). */
  uploads: UploadStore;
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

/** Most WebSocket clients at once (a browser tab is one; the rest are refused with 503). */
export const MAX_CLIENTS = 32;
/** Largest WebSocket message accepted; a larger one closes the connection (1009). */
export const MAX_MESSAGE_BYTES = 1024 * 1024;

/** How a client is told to give the engine a file it may open. */
const FILE_ADVICE =
  'open it with "Choose files…" (it is uploaded), or start telltale serve with --allow DIR for the folder that holds it';

function sameToken(given: string | null, token: string): boolean {
  if (given === null) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Answers an HTTP request with a short text or JSON body and the security headers (every status). */
function reply(
  res: ServerResponse,
  status: number,
  body: string,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.writeHead(status, {
    'Content-Type': body.startsWith('{') ? 'application/json' : 'text/plain; charset=utf-8',
    ...SECURITY_HEADERS,
    ...headers,
  });
  res.end(body);
}

function replyResult(res: ServerResponse, status: number, result: Result<unknown>): void {
  reply(res, status, JSON.stringify(result));
}

export async function startEngineServer(options: EngineServerOptions): Promise<RunningServer> {
  const token = randomBytes(24).toString('base64url');
  const clients = new Set<WebSocket>();
  const broadcast = (event: EventChannel, payload: unknown): void => {
    const text = JSON.stringify({ type: 'event', event, payload } satisfies WireMessage);
    for (const ws of clients) if (ws.readyState === ws.OPEN) ws.send(text);
  };
  const uploads = new UploadStore(
    join(options.dataDir, 'uploads'),
    options.uploadQuotaBytes ?? 8 * 1024 ** 3,
  );
  const grants = new FileGrants(FILE_ADVICE);
  for (const folder of options.allowFolders ?? []) grants.allowFolder(folder);
  for (const file of options.allowFiles ?? []) grants.allowFile(file);
  const engine = new Engine({
    ...options,
    mode: 'browser',
    emit: (event, payload) => {
      broadcast(event, payload);
    },
    // the uploads no session reads any more are deleted
    onSessionFiles: (paths) => {
      uploads.sweep(new Set(paths));
    },
  });
  const rendererDir = resolve(options.rendererDir);
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
      reply(res, 500, `internal error: ${(error as Error).message}\n`);
    });
  });
  // a malformed request (bad headers, a reset socket) is that client's problem, never the server's
  server.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });

  async function handleHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!hostAllowed(req) || !originAllowed(req)) {
      reply(res, 403, 'forbidden: this server answers http://127.0.0.1 only\n');
      return;
    }
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    if (url.pathname === '/upload') {
      await handleUpload(req, res, url);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      reply(res, 405, 'method not allowed\n', { Allow: 'GET, HEAD' });
      return;
    }
    let relative: string;
    try {
      relative = url.pathname === '/' ? 'index.html' : decodeURIComponent(url.pathname.slice(1));
    } catch {
      reply(res, 400, 'bad request: the path is not valid percent-encoding\n');
      return;
    }
    const file = normalize(join(rendererDir, relative));
    if (!file.startsWith(rendererDir + sep) || !existsSync(file) || !statSync(file).isFile()) {
      reply(
        res,
        404,
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
    if (!sameToken(url.searchParams.get('token'), token)) {
      replyResult(res, 401, fail('permission', 'missing or wrong token'));
      return;
    }
    if (req.method !== 'POST') {
      replyResult(res, 405, fail('bad-request', 'uploads are POST requests'));
      return;
    }
    const length = Number(req.headers['content-length'] ?? NaN);
    try {
      const path = await uploads.receive(
        url.searchParams.get('name') ?? 'capture',
        req,
        Number.isFinite(length) ? length : null,
      );
      replyResult(res, 200, { ok: true, value: { path } });
    } catch (error) {
      if (!(error instanceof UploadError)) throw error;
      // the connection closes after the answer: what is left of the body is dropped
      res.setHeader('Connection', 'close');
      replyResult(
        res,
        error.status,
        fail(error.status === 413 ? 'bad-request' : 'unreadable', error.message),
      );
    }
  }

  /** The real path of a file a client names, if it uploaded it or the person allowed it. */
  function clientPath(path: string, what: string): Result<string> {
    if (uploads.has(path)) return { ok: true, value: path };
    return grants.check(path, what);
  }

  /** A request from a client, its paths checked against what the person chose, then the engine's answer. */
  async function answerRequest(channel: unknown, payload: unknown): Promise<Result<unknown>> {
    const checked = checkClientRequest(channel, payload, clientPath);
    if (!checked.ok) return checked;
    return engine.handle(checked.value.channel, checked.value.payload);
  }

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  wss.on('error', () => undefined); // errors of one connection are handled on that connection
  server.on('upgrade', (req, socket, head) => {
    socket.on('error', () => socket.destroy());
    let url: URL;
    try {
      url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    } catch {
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      return;
    }
    if (
      url.pathname !== '/api' ||
      !hostAllowed(req) ||
      !originAllowed(req) ||
      !sameToken(url.searchParams.get('token'), token)
    ) {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n');
      return;
    }
    if (clients.size >= MAX_CLIENTS) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      clients.add(ws);
      ws.on('close', () => clients.delete(ws));
      // a frame the protocol refuses (invalid UTF-8, too large, bad opcode) closes this
      // connection with the matching code; the server and the other clients go on
      ws.on('error', () => {
        clients.delete(ws);
        ws.terminate();
      });
      ws.on('message', (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => {
        if (isBinary) {
          ws.close(1003, 'text frames only');
          // a client that does not answer the close in a second is cut off
          setTimeout(() => {
            ws.terminate();
          }, 1000).unref();
          return;
        }
        const text = Array.isArray(data)
          ? Buffer.concat(data).toString('utf8')
          : Buffer.from(data as ArrayBuffer).toString('utf8');
        void answer(ws, text);
      });
    });
  });

  /** Answers one message; anything but a well-formed request gets an error reply (id 0 when it has none). */
  async function answer(ws: WebSocket, text: string): Promise<void> {
    let id = 0;
    let result: Result<unknown>;
    try {
      const m = JSON.parse(text) as unknown;
      const r = (typeof m === 'object' && m !== null ? m : {}) as Partial<
        Record<'type' | 'id' | 'channel' | 'payload', unknown>
      >;
      if (typeof r.id === 'number' && Number.isSafeInteger(r.id)) id = r.id;
      if (r.type !== 'request' || id !== r.id)
        result = fail(
          'bad-request',
          'a message must be a request: {"type":"request","id":N,"channel":…,"payload":…}',
        );
      else result = await answerRequest(r.channel, r.payload ?? null);
    } catch (error) {
      result =
        error instanceof SyntaxError
          ? fail('bad-request', 'the message is not JSON')
          : fail('internal', `the request failed: ${(error as Error).message}`);
    }
    if (ws.readyState === ws.OPEN)
      ws.send(JSON.stringify({ type: 'response', id, result } satisfies WireMessage));
  }

  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolveListen();
    });
  });
  port = (server.address() as AddressInfo).port;
  server.on('error', (error) => {
    process.stderr.write(`telltale: the server: ${error.message}\n`);
  });
  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    port,
    token,
    engine,
    uploads,
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
      uploads.clear();
    },
  };
}
