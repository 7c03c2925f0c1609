/**
 * Browser mode's server: it shuts down promptly even when a browser holds sockets open (a
 * speculative pre-connection that never sends a request and an idle keep-alive connection); a
 * client opens only files it uploaded or the person allowed, and never sees the content of a file
 * that is not a capture; uploads share a quota and are deleted when no session reads them; every
 * answer carries the security headers. (The fuzz test in test/fuzz/api.fuzz.test.ts throws random
 * and malformed messages at a real `telltale serve`.)
 */
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  startEngineServer,
  type EngineServerOptions,
  type RunningServer,
} from '../../../src-main/engine/engine-server.ts';
import { MIN_UPLOAD_BYTES } from '../../../src-main/engine/upload-store.ts';
import type { Result, Snapshot, WireMessage } from '../../../src-main/shared/ipc-contract.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('startEngineServer close', () => {
  it('does not wait for open sockets that never finish a request', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'telltale-server-'));
    dirs.push(dir);
    const rendererDir = join(dir, 'ui');
    mkdirSync(rendererDir);
    writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>t</title>');
    const server = await startEngineServer({
      dataDir: join(dir, 'data'),
      modelsDir: join(ROOT, 'test/fixtures/models'),
      rendererDir,
      version: 'test',
    });
    // A pre-connection: connected, nothing sent.
    const bare = connect(server.port, '127.0.0.1');
    await new Promise<void>((r) =>
      bare.once('connect', () => {
        r();
      }),
    );
    bare.on('error', () => undefined);
    // A half-sent request: headers started, never finished.
    const half = connect(server.port, '127.0.0.1');
    await new Promise<void>((r) =>
      half.once('connect', () => {
        r();
      }),
    );
    half.on('error', () => undefined);
    half.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    // A finished keep-alive request whose socket stays open.
    const status = await new Promise<number>((r, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: server.port,
          path: `/?token=${server.token}`,
          agent: false,
          headers: { Connection: 'keep-alive' },
        },
        (res) => {
          res.resume();
          r(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(200);
    const t0 = Date.now();
    await server.close();
    expect(Date.now() - t0).toBeLessThan(5_000);
    bare.destroy();
    half.destroy();
  }, 20_000);
});

const CAPTURE = join(ROOT, 'test/fixtures/decode/tuya-plug-active-1-600.pcap');
const LABELS = join(ROOT, 'test/fixtures/labels/ssi-tuya-plug.csv');
const SECRET = 'TELLTALE-SECRET-40fe';

interface Fixture {
  dir: string;
  allowed: string;
  outside: string;
  server: RunningServer;
  call(channel: string, payload: unknown): Promise<Result<unknown>>;
  upload(
    name: string,
    body: Buffer,
    headers?: Record<string, string>,
  ): Promise<{ status: number; result: Result<{ path: string }> }>;
  until(pred: (s: Snapshot) => boolean): Promise<Snapshot>;
}

const servers: RunningServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

async function fixture(options: Partial<EngineServerOptions> = {}, dataDir?: string): Promise<Fixture> {
  const dir = mkdtempSync(join(tmpdir(), 'telltale-server-'));
  dirs.push(dir);
  const rendererDir = join(dir, 'ui');
  mkdirSync(rendererDir);
  writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>t</title>');
  const allowed = join(dir, 'allowed');
  const outside = join(dir, 'outside');
  mkdirSync(allowed);
  mkdirSync(outside);
  const server = await startEngineServer({
    dataDir: dataDir ?? join(dir, 'data'),
    modelsDir: join(ROOT, 'test/fixtures/models'),
    rendererDir,
    version: 'test',
    allowFolders: [allowed],
    ...options,
  });
  servers.push(server);
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api?token=${server.token}`);
  await new Promise((r, reject) => {
    ws.once('open', r);
    ws.once('error', reject);
  });
  const pending = new Map<number, (r: Result<unknown>) => void>();
  let last: Snapshot | null = null;
  const waiters: (() => void)[] = [];
  ws.on('message', (data: Buffer) => {
    const m = JSON.parse(data.toString()) as WireMessage;
    if (m.type === 'response') pending.get(m.id)?.(m.result);
    else if (m.type === 'event' && m.event === 'snapshot') {
      last = m.payload as Snapshot;
      for (const w of waiters.splice(0)) w();
    }
  });
  let id = 0;
  return {
    dir,
    allowed,
    outside,
    server,
    call: (channel, payload) =>
      new Promise((r) => {
        pending.set(++id, r);
        ws.send(JSON.stringify({ type: 'request', id, channel, payload }));
      }),
    upload: async (name, body, headers = {}) => {
      const res = await fetch(
        `http://127.0.0.1:${server.port}/upload?token=${server.token}&name=${encodeURIComponent(name)}`,
        {
          method: 'POST',
          body,
          headers,
        },
      );
      return { status: res.status, result: (await res.json()) as Result<{ path: string }> };
    },
    until: async (pred) => {
      const t0 = Date.now();
      while (last === null || !pred(last)) {
        if (Date.now() - t0 > 30_000)
          throw new Error(
            `timed out; last snapshot: ${JSON.stringify(last?.status)} ${JSON.stringify(last?.problems)}`,
          );
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 200);
        });
      }
      return last;
    },
  };
}

function uploadsOnDisk(f: Fixture, dataDir = join(f.dir, 'data')): string[] {
  const d = join(dataDir, 'uploads');
  return existsSync(d) ? readdirSync(d, { recursive: true }).map(String) : [];
}

describe('files a client may open', () => {
  it('refuses a path the person did not choose, the same way whether or not it exists, quoting nothing of it', async () => {
    const f = await fixture();
    const secret = join(f.outside, 'shadow');
    writeFileSync(secret, `root:${SECRET}:19000::::::\n`);
    const exists = await f.call('capture.openFiles', { paths: [secret] });
    const missing = await f.call('capture.openFiles', { paths: [join(f.outside, 'nothing-here')] });
    expect(exists).toMatchObject({ ok: false, error: { code: 'permission' } });
    expect(missing).toMatchObject({ ok: false, error: { code: 'permission' } });
    const message = (r: Result<unknown>): string => (r.ok ? '' : r.error.message);
    expect(message(exists).replace('shadow', 'X')).toBe(message(missing).replace('nothing-here', 'X'));
    expect(message(exists)).toMatch(/was not chosen in Telltale: open it with "Choose files…"/);
    // a capture the client may open, so that the labels path is what is refused
    copyFileSync(CAPTURE, join(f.allowed, 'plug.pcap'));
    for (const labels of [secret, '/proc/self/environ', '/etc/passwd']) {
      const r = await f.call('capture.openFiles', { paths: [join(f.allowed, 'plug.pcap')], labels });
      expect(r).toMatchObject({ ok: false, error: { code: 'permission' } });
      expect(JSON.stringify(r)).not.toContain(SECRET);
      expect(JSON.stringify(r)).not.toMatch(/root:|PATH=/);
    }
    for (const path of ['relative.pcap', `${f.allowed}/../outside/shadow`, '/etc/passwd'])
      expect(await f.call('capture.openFiles', { paths: [path] })).toMatchObject({
        ok: false,
        error: { code: 'permission' },
      });
    expect(((await f.call('session.snapshot', null)) as { value: Snapshot }).value.sessionId).toBe('none');
  });

  it('does not follow a link out of an allowed folder, nor tell through one what exists outside', async () => {
    const f = await fixture();
    writeFileSync(join(f.outside, 'shadow'), SECRET);
    symlinkSync(join(f.outside, 'shadow'), join(f.allowed, 'capture.pcap'));
    expect(await f.call('capture.openFiles', { paths: [join(f.allowed, 'capture.pcap')] })).toMatchObject({
      ok: false,
      error: { code: 'permission' },
    });
    // a link to a folder outside: a file there and a missing one get the same refusal
    symlinkSync(f.outside, join(f.allowed, 'out'));
    for (const name of ['shadow', 'missing', 'sub/missing'])
      expect(
        await f.call('capture.openFiles', { paths: [join(f.allowed, 'out', name)] }),
        name,
      ).toMatchObject({
        ok: false,
        error: { code: 'permission' },
      });
  });

  it('refuses a labels path that is not a regular file without blocking (a FIFO would hang a reader)', async () => {
    const f = await fixture();
    copyFileSync(CAPTURE, join(f.allowed, 'plug.pcap'));
    execFileSync('mkfifo', [join(f.allowed, 'labels.csv')]);
    const answers = await Promise.all(
      Array.from({ length: 6 }, () =>
        f.call('capture.openFiles', {
          paths: [join(f.allowed, 'plug.pcap')],
          labels: join(f.allowed, 'labels.csv'),
        }),
      ),
    );
    for (const r of answers) {
      expect(r.ok).toBe(false);
      expect(!r.ok && r.error.message).toMatch(/not a regular file/);
    }
    // the server's file work goes on
    expect((await f.upload('x.pcap', Buffer.alloc(10))).status).toBe(200);
  });

  it('runs one session however many opens arrive at once, and keeps the uploads of the one that won', async () => {
    const f = await fixture();
    const body = readFileSync(CAPTURE);
    const paths: string[] = [];
    for (let i = 0; i < 6; i++) {
      const u = await f.upload(`c${i}.pcap`, body);
      paths.push(u.result.ok ? u.result.value.path : '');
    }
    const opened = await Promise.all(
      paths.map((p) => f.call('capture.openFiles', { paths: [p], speed: 0.001 })),
    );
    expect(opened.every((r) => r.ok)).toBe(true);
    // they were served one after another: the last one is the session, and only its upload is kept
    const last = opened.at(-1)!;
    const snap = (await f.call('session.snapshot', null)) as { ok: true; value: Snapshot };
    expect(snap.value.sessionId).toBe(last.ok && (last.value as { sessionId: string }).sessionId);
    expect(paths.map((p) => existsSync(p))).toEqual([false, false, false, false, false, true]);
    // and closing stops it at once (no session left running that the engine lost track of)
    const t0 = Date.now();
    await f.server.close();
    servers.splice(servers.indexOf(f.server), 1);
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('opens files under an allowed folder, and says which allowed file is missing', async () => {
    const f = await fixture();
    copyFileSync(CAPTURE, join(f.allowed, 'plug.pcap'));
    copyFileSync(LABELS, join(f.allowed, 'labels.csv'));
    expect(await f.call('capture.openFiles', { paths: [join(f.allowed, 'gone.pcap')] })).toMatchObject({
      ok: false,
      error: { code: 'not-found' },
    });
    const r = await f.call('capture.openFiles', {
      paths: [join(f.allowed, 'plug.pcap')],
      labels: join(f.allowed, 'labels.csv'),
    });
    expect(r).toMatchObject({ ok: true, value: { kind: 'files', names: ['plug.pcap'] } });
    const s = await f.until((x) => x.status === 'done');
    expect(s.devices.length).toBeGreaterThan(0);
  });

  it('opens the files given on the command line', async () => {
    const f = await fixture({ allowFolders: [], allowFiles: [CAPTURE] });
    expect(await f.call('capture.openFiles', { paths: [CAPTURE] })).toMatchObject({ ok: true });
    expect(await f.call('capture.openFiles', { paths: [LABELS] })).toMatchObject({
      ok: false,
      error: { code: 'permission' },
    });
  });

  it('never quotes a chosen file that is not a capture or not a labels file', async () => {
    const f = await fixture();
    const text = join(f.allowed, 'notes.pcap');
    writeFileSync(text, `${SECRET} and more secret words\n`);
    copyFileSync(CAPTURE, join(f.allowed, 'plug.pcap'));
    const r = await f.call('capture.openFiles', { paths: [join(f.allowed, 'plug.pcap')], labels: text });
    expect(r).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    expect(JSON.stringify(r)).not.toContain(SECRET);
    // a file that is no capture alone is refused before the session on screen is ended, by name
    const alone = await f.call('capture.openFiles', { paths: [text] });
    expect(alone).toMatchObject({
      ok: false,
      error: {
        code: 'bad-request',
        message: 'notes.pcap is not a capture file (pcap, pcapng or gzip): nothing was opened',
      },
    });
    // beside a capture it is read, and its problem names it as the person knows it
    await f.call('capture.openFiles', { paths: [join(f.allowed, 'plug.pcap'), text] });
    const s = await f.until((x) => x.status === 'error' || x.status === 'done');
    expect(s.problems.map((p) => p.message)).toContainEqual(
      expect.stringMatching(/^notes\.pcap at byte offset 0: not a pcap, pcapng or gzip file/),
    );
    expect(JSON.stringify(s.problems)).not.toContain(f.allowed);
    // not the content, and not its first bytes in hex either
    const hex = Array.from(Buffer.from(SECRET.slice(0, 4)), (b) => b.toString(16).padStart(2, '0')).join(' ');
    expect(JSON.stringify(s)).not.toContain(SECRET);
    expect(JSON.stringify(s)).not.toContain(hex);
  });
});

describe('uploads', () => {
  it('opens an uploaded capture, and deletes it when a newer session replaces it and when the server closes', async () => {
    const f = await fixture();
    const body = readFileSync(CAPTURE);
    const first = await f.upload('../../etc/plug one.pcap', body);
    expect(first.status).toBe(200);
    expect(first.result.ok).toBe(true);
    const path1 = first.result.ok ? first.result.value.path : '';
    expect(path1.startsWith(join(f.dir, 'data', 'uploads'))).toBe(true);
    expect(path1.endsWith('plug_one.pcap')).toBe(true);
    expect(await f.call('capture.openFiles', { paths: [path1] })).toMatchObject({ ok: true });
    await f.until((x) => x.status === 'done');
    expect(existsSync(path1)).toBe(true);
    const second = await f.upload('two.pcap', body);
    const path2 = second.result.ok ? second.result.value.path : '';
    expect(await f.call('capture.openFiles', { paths: [path2] })).toMatchObject({ ok: true });
    await f.until((x) => x.status === 'done' && x.source?.names[0] === 'two.pcap');
    expect(existsSync(path1)).toBe(false);
    expect(existsSync(path2)).toBe(true);
    // a deleted upload can no longer be opened
    expect(await f.call('capture.openFiles', { paths: [path1] })).toMatchObject({
      ok: false,
      error: { code: 'permission' },
    });
    expect(f.server.uploads.bytesUsed).toBe(body.length);
    await f.server.close();
    servers.splice(servers.indexOf(f.server), 1);
    expect(uploadsOnDisk(f)).toEqual([]);
  });

  it('deletes a previous run’s uploads at start-up, and nothing else of the data folder', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'telltale-data-'));
    dirs.push(dataDir);
    const old = join(dataDir, 'uploads', '0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d');
    mkdirSync(old, { recursive: true });
    writeFileSync(join(old, 'big.pcap'), Buffer.alloc(1 << 20));
    // someone's own files in a folder of that name (telltale serve --data ~)
    mkdirSync(join(dataDir, 'uploads', 'thesis'));
    writeFileSync(join(dataDir, 'uploads', 'thesis', 'draft.docx'), 'mine');
    writeFileSync(join(dataDir, 'uploads', 'notes.txt'), 'mine');
    const f = await fixture({}, dataDir);
    expect(uploadsOnDisk(f, dataDir).sort()).toEqual(['notes.txt', 'thesis', 'thesis/draft.docx']);
  });

  it('counts every upload at least one block, so empty uploads cannot pile up', async () => {
    const f = await fixture({ uploadQuotaBytes: 3 * MIN_UPLOAD_BYTES });
    const status: number[] = [];
    for (let i = 0; i < 4; i++) status.push((await f.upload(`e${i}.pcap`, Buffer.alloc(0))).status);
    expect(status).toEqual([200, 200, 200, 413]);
    expect(f.server.uploads.bytesUsed).toBe(3 * MIN_UPLOAD_BYTES);
  });

  it('keeps an uploaded labels file as long as the session that read it', async () => {
    const f = await fixture();
    const capture = await f.upload('plug.pcap', readFileSync(CAPTURE));
    const labels = await f.upload('labels.csv', readFileSync(LABELS));
    const c = capture.result.ok ? capture.result.value.path : '';
    const l = labels.result.ok ? labels.result.value.path : '';
    expect(await f.call('capture.openFiles', { paths: [c], labels: l })).toMatchObject({ ok: true });
    await f.until((x) => x.status === 'done');
    expect([existsSync(c), existsSync(l)]).toEqual([true, true]);
  });

  it('refuses an upload over the quota, with or without a declared length, and keeps nothing of it', async () => {
    const f = await fixture({ uploadQuotaBytes: 10_000 });
    const declared = await f.upload('big.pcap', Buffer.alloc(20_000));
    expect(declared.status).toBe(413);
    expect(declared.result.ok).toBe(false);
    expect(!declared.result.ok && declared.result.error.message).toMatch(/no room for this upload/);
    // chunked: no Content-Length, refused while it arrives
    const res = await new Promise<number>((done, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: f.server.port,
          method: 'POST',
          path: `/upload?token=${f.server.token}&name=c.pcap`,
        },
        (r) => {
          r.resume();
          done(r.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      let sent = 0;
      const more = (): void => {
        // slow enough that the refusal arrives while the body is still being sent
        if (sent++ < 5) req.write(Buffer.alloc(4000), () => setTimeout(more, 20));
        else req.end();
      };
      more();
    });
    expect(res).toBe(413);
    expect(uploadsOnDisk(f)).toEqual([]);
    expect(f.server.uploads.bytesUsed).toBe(0);
    const small = await f.upload('small.pcap', Buffer.alloc(5000));
    expect(small.status).toBe(200);
    // two small uploads pass the quota together: the second is refused
    expect((await f.upload('small2.pcap', Buffer.alloc(6000))).status).toBe(413);
  });
});

describe('HTTP answers', () => {
  it('answers a bad path with 400, and every status with the security headers', async () => {
    const f = await fixture();
    const get = (path: string, headers: Record<string, string> = {}, method = 'GET') =>
      new Promise<{ status: number; headers: Record<string, unknown> }>((done, reject) => {
        const req = request(
          {
            host: '127.0.0.1',
            port: f.server.port,
            path,
            method,
            headers: { Host: `127.0.0.1:${f.server.port}`, ...headers },
          },
          (res) => {
            res.resume();
            res.on('end', () => {
              done({ status: res.statusCode ?? 0, headers: res.headers });
            });
          },
        );
        req.on('error', reject);
        req.end();
      });
    const answers = [
      await get('/%'),
      await get('/', { Host: 'evil.example' }),
      await get('/', {}, 'DELETE'),
      await get('/nothing'),
      await get(`/upload?token=${f.server.token}`),
      await get('/upload?token=wrong', {}, 'POST'),
    ];
    expect(answers.map((a) => a.status)).toEqual([400, 403, 405, 404, 405, 401]);
    for (const a of answers) {
      expect(a.headers['content-security-policy']).toBeTruthy();
      expect(a.headers['x-content-type-options']).toBe('nosniff');
      expect(a.headers['x-frame-options']).toBe('DENY');
    }
  });
});
