/**
 * Fuzz test of browser mode's API as an attacker holding the URL token would use it: seeded
 * random JSON on every request channel (random payloads and payloads shaped like the contract's
 * with random values), messages that are not requests, binary frames, frames the WebSocket
 * protocol refuses (invalid UTF-8, reserved opcodes and bits, unmasked, oversized, a length that
 * lies), and bursts of connections. After every batch the server must still answer a fresh
 * client, and no reply may quote a secret file or open one the person did not choose. The server
 * is a real `telltale serve` process, so an error nothing handles ends it and fails the test.
 *
 * The seed is fixed (override with TELLTALE_FUZZ_SEED); a failure names the seed and the case.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { MAX_MESSAGE_BYTES } from '../../src-main/engine/engine-server.ts';
import { REQUEST_CHANNELS, type WireMessage } from '../../src-main/shared/ipc-contract.ts';
import { mulberry32 as prng } from '../../src-main/views/seeded-random.ts';

const SEED = Number(process.env.TELLTALE_FUZZ_SEED ?? 0x5eed15);
const ROOT = resolve(import.meta.dirname, '../..');
const SECRET = 'TELLTALE-SECRET-7c1d';

let dir: string;
let secretDir: string;
let child: ChildProcess;
let stderr = '';
const server = { port: 0, token: '' };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'telltale-api-fuzz-'));
  secretDir = join(dir, 'secret');
  mkdirSync(secretDir);
  writeFileSync(join(secretDir, 'shadow'), `root:${SECRET}:19000:0:99999:7:::\n`);
  writeFileSync(join(secretDir, 'labels.csv'), `mac,device\n${SECRET},x\n`);
  const allowed = join(dir, 'allowed');
  mkdirSync(allowed);
  // a link inside an allowed folder that leads out of it, and a capture the client may open
  symlinkSync(join(secretDir, 'shadow'), join(allowed, 'link.pcap'));
  copyFileSync(join(ROOT, 'test/fixtures/decode/tuya-plug-active-1-600.pcap'), join(allowed, 'plug.pcap'));
  child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(ROOT, 'src-main/cli/telltale.ts'),
      'serve',
      '--data',
      join(dir, 'data'),
      '--models',
      join(ROOT, 'test/fixtures/models'),
      '--allow',
      allowed,
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const url = await new Promise<URL>((done, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /http:\/\/127\.0\.0\.1:\d+\/\?token=\S+/.exec(out);
      if (m !== null) done(new URL(m[0]));
    });
    child.once('exit', (code) => {
      reject(new Error(`telltale serve exited (${code}): ${stderr}`));
    });
  });
  server.port = Number(url.port);
  server.token = url.searchParams.get('token')!;
}, 60_000);

afterAll(async () => {
  const exited = new Promise<number | null>((done) => child.once('exit', done));
  const alive = child.exitCode === null;
  child.kill('SIGTERM');
  // the server was alive to the end and stops cleanly and promptly when asked (no session left
  // running that it lost track of)
  expect(alive, `telltale serve ended during the test: ${stderr}`).toBe(true);
  const code = await Promise.race([
    exited,
    new Promise<string>((r) =>
      setTimeout(() => {
        r('still running');
      }, 10_000),
    ),
  ]);
  if (code === 'still running') child.kill('SIGKILL');
  expect(code).toBe(0);
  rmSync(dir, { recursive: true, force: true });
}, 30_000);

function openClient(): Promise<WebSocket> {
  return new Promise((resolveOpen, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api?token=${server.token}`);
    ws.once('open', () => {
      resolveOpen(ws);
    });
    ws.once('error', reject);
  });
}

/** Sends raw texts on one connection and collects one reply per text (or what came before a close). */
function exchange(texts: readonly string[]): Promise<{ replies: WireMessage[]; closed: number | null }> {
  return openClient().then(
    (ws) =>
      new Promise((done) => {
        const replies: WireMessage[] = [];
        let closed: number | null = null;
        const finish = (): void => {
          ws.removeAllListeners();
          ws.on('error', () => undefined);
          ws.terminate();
          done({ replies, closed });
        };
        ws.on('message', (data: Buffer) => {
          const m = JSON.parse(data.toString('utf8')) as WireMessage;
          if (m.type !== 'response') return;
          replies.push(m);
          if (replies.length === texts.length) finish();
        });
        ws.on('close', (code) => {
          closed = code;
          finish();
        });
        ws.on('error', () => undefined);
        for (const t of texts) ws.send(t);
        if (texts.length === 0) finish();
      }),
  );
}

/** The server answers a fresh client's request and serves its page. */
async function expectAlive(context: string): Promise<void> {
  const { replies } = await exchange([
    JSON.stringify({ type: 'request', id: 7, channel: 'app.info', payload: null }),
  ]);
  expect(replies[0], `alive after ${context}`).toMatchObject({
    type: 'response',
    id: 7,
    result: { ok: true },
  });
  // 200, or 404 saying the UI is not built when the test runs before npm run build
  const res = await fetch(`http://127.0.0.1:${server.port}/`);
  expect(res.status, `serves the page after ${context}`).toBeLessThan(500);
  await res.arrayBuffer();
}

function randomString(rnd: () => number, max: number): string {
  const pools = [
    'abcdefghijklmnopqrstuvwxyz0123456789',
    '/.\\:-_ %\0\n"\'',
    '\u00e9\u4e2d\ud83d\ude00\ud800\udfff\u202e',
  ];
  let s = '';
  const n = Math.floor(rnd() * max);
  for (let i = 0; i < n; i++) {
    const pool = pools[Math.floor(rnd() * pools.length)];
    s += pool[Math.floor(rnd() * pool.length)];
  }
  return s;
}

function randomValue(rnd: () => number, depth = 0): unknown {
  const r = rnd();
  if (depth > 4 || r < 0.15) return randomString(rnd, 24);
  if (r < 0.25) return Math.floor(rnd() * 2 ** 40) * (rnd() < 0.5 ? -1 : 1);
  if (r < 0.3) return [Infinity, -0, NaN, 1e308, 5e-324, 0.5, 10_001][Math.floor(rnd() * 7)];
  if (r < 0.35) return rnd() < 0.5;
  if (r < 0.45) return null;
  if (r < 0.7) return Array.from({ length: Math.floor(rnd() * 4) }, () => randomValue(rnd, depth + 1));
  const o: Record<string, unknown> = {};
  const keys = [
    'paths',
    'speed',
    'labels',
    'interface',
    'filter',
    'mac',
    'name',
    'category',
    'theme',
    '__proto__',
    'constructor',
    randomString(rnd, 8),
  ];
  for (let i = Math.floor(rnd() * 4); i > 0; i--)
    o[keys[Math.floor(rnd() * keys.length)]] = randomValue(rnd, depth + 1);
  return o;
}

/** A payload shaped like the channel's own, with random or hostile values. */
function shapedPayload(rnd: () => number, channel: string): unknown {
  const plug = join(dir, 'allowed', 'plug.pcap');
  const hostilePaths = [
    join(secretDir, 'shadow'),
    join(secretDir, 'labels.csv'),
    `${dir}/allowed/../secret/shadow`,
    `${dir}/allowed/link.pcap`,
    '/proc/self/environ',
    '/etc/passwd',
    'relative/path.pcap',
    '/dev/zero',
    '',
  ];
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  const hostileLabels = hostilePaths.filter((p) => p !== '');
  const hostileValue = (): unknown => {
    const v = randomValue(rnd);
    return v === null || v === '' ? pick(hostileLabels) : v;
  };
  switch (channel) {
    case 'capture.openFiles':
      return {
        // often an openable capture, so that the labels path is what decides
        paths:
          rnd() < 0.4
            ? [plug]
            : Array.from({ length: 1 + Math.floor(rnd() * 3) }, () =>
                rnd() < 0.7 ? pick(hostilePaths) : randomValue(rnd),
              ),
        // always hostile labels: with an openable capture every such request must still be refused
        // (never none: null or '' mean "no labels", and the capture would rightly open)
        labels: rnd() < 0.8 ? pick(hostileLabels) : hostileValue(),
        ...(rnd() < 0.3 ? { speed: randomValue(rnd) } : {}),
      };
    case 'capture.startLive':
      return { interface: rnd() < 0.5 ? randomString(rnd, 300) : randomValue(rnd), filter: randomValue(rnd) };
    case 'device.rename':
    case 'device.setCategory':
    case 'device.detail':
      return {
        mac: rnd() < 0.5 ? 'aa:bb:cc:dd:ee:ff' : randomValue(rnd),
        name: randomValue(rnd),
        category: randomValue(rnd),
      };
    case 'settings.update':
      return {
        [pick(['theme', 'defaultSpeed', 'defaultInterface', 'captureFilter', 'x'])]: randomValue(rnd),
      };
    case 'capture.setSpeed':
      return { speed: randomValue(rnd) };
    default:
      return randomValue(rnd);
  }
}

/** A masked client frame (RFC 6455 §5.2), with every field settable to a wrong value. */
function frame(opts: {
  opcode: number;
  payload: Buffer;
  fin?: boolean;
  rsv?: number;
  mask?: boolean;
  lengthOverride?: number;
}): Buffer {
  const { opcode, payload, fin = true, rsv = 0, mask = true } = opts;
  const len = opts.lengthOverride ?? payload.length;
  const head: number[] = [(fin ? 0x80 : 0) | (rsv << 4) | opcode];
  const m = mask ? 0x80 : 0;
  if (len < 126) head.push(m | len);
  else if (len < 65536) head.push(m | 126, len >> 8, len & 0xff);
  else {
    head.push(m | 127);
    const big = Buffer.alloc(8);
    big.writeBigUInt64BE(BigInt(len));
    head.push(...big);
  }
  const key = Buffer.from([0x12, 0x34, 0x56, 0x78]);
  const body = Buffer.from(payload);
  if (mask) for (let i = 0; i < body.length; i++) body[i] ^= key[i % 4];
  return Buffer.concat([Buffer.from(head), mask ? key : Buffer.alloc(0), body]);
}

/**
 * Opens a raw WebSocket (handshake by hand), writes `bytes`, and resolves true when the server
 * closes the connection within 5 s (false when it is still open then).
 */
function rawSession(bytes: Buffer): Promise<boolean> {
  return new Promise((done, reject) => {
    const socket: Socket = connect(server.port, '127.0.0.1');
    let upgraded = false;
    const timer = setTimeout(() => {
      socket.destroy();
      done(false);
    }, 5000);
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      if (upgraded) done(true);
      else reject(new Error('the handshake failed'));
    });
    socket.on('data', (d: Buffer) => {
      if (!upgraded && d.toString('latin1').startsWith('HTTP/1.1 101')) {
        upgraded = true;
        socket.write(bytes);
      }
    });
    socket.write(
      `GET /api?token=${server.token} HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nUpgrade: websocket\r\n` +
        'Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
  });
}

describe(`the browser-mode API under fuzzing (seed ${SEED})`, () => {
  it('answers random JSON on every channel with a result as data, never a file it was not given', async () => {
    const rnd = prng(SEED);
    const channels = [...REQUEST_CHANNELS, 'fs.readFile', '__proto__', ''];
    let id = 1;
    for (let batch = 0; batch < 40; batch++) {
      const texts: string[] = [];
      const ids: number[] = [];
      for (let i = 0; i < 50; i++) {
        const channel = channels[Math.floor(rnd() * channels.length)];
        const payload = rnd() < 0.6 ? shapedPayload(rnd, channel) : randomValue(rnd);
        ids.push(++id);
        texts.push(JSON.stringify({ type: 'request', id, channel, payload }));
      }
      const { replies, closed } = await exchange(texts);
      expect(closed, `batch ${batch}: the connection stays open`).toBeNull();
      expect(
        replies.map((r) => (r.type === 'response' ? r.id : -1)).sort((a, b) => a - b),
        `batch ${batch}`,
      ).toEqual(ids);
      for (const r of replies) {
        const text = JSON.stringify(r);
        expect(text, `batch ${batch}: a reply quotes the secret`).not.toContain(SECRET);
        if (r.type !== 'response') continue;
        expect(typeof r.result.ok).toBe('boolean');
        if (!r.result.ok) expect(r.result.error.code).not.toBe('internal');
      }
      // nothing hostile was ever opened
      const snap = await exchange([
        JSON.stringify({ type: 'request', id: 1, channel: 'session.snapshot', payload: null }),
      ]);
      const s = snap.replies[0];
      expect(
        s.type === 'response' && s.result.ok && (s.result.value as { sessionId: string }).sessionId,
      ).toBe('none');
    }
    await expectAlive('random JSON');
  }, 120_000);

  it('answers messages that are not requests with an error, and survives text that is not JSON', async () => {
    const rnd = prng(SEED ^ 0x55);
    const texts = [
      '',
      'not json',
      '{"type":"request"',
      'null',
      '[]',
      '"request"',
      JSON.stringify({ type: 'response', id: 1, result: { ok: true } }),
      JSON.stringify({ type: 'request', id: 'x', channel: 'app.info' }),
      JSON.stringify({ type: 'request', id: 1.5, channel: 'app.info' }),
      JSON.stringify({ type: 'request', id: 2 ** 60, channel: 'app.info' }),
      `${'['.repeat(100_000)}${']'.repeat(100_000)}`,
      JSON.stringify({
        type: 'request',
        id: 3,
        channel: 'capture.openFiles',
        payload: { paths: Array(2000).fill('/x') },
      }),
      ...Array.from({ length: 200 }, () => randomString(rnd, 200)),
    ];
    const { replies, closed } = await exchange(texts);
    expect(closed).toBeNull();
    expect(replies).toHaveLength(texts.length);
    for (const r of replies)
      expect(r).toMatchObject({ type: 'response', result: { ok: false, error: { code: 'bad-request' } } });
    await expectAlive('malformed messages');
  }, 60_000);

  it('closes only the offending connection on frames the protocol refuses', async () => {
    const rnd = prng(SEED ^ 0xaa);
    const text = (s: string): Buffer => Buffer.from(s, 'utf8');
    const cases: [string, Buffer][] = [
      ['invalid UTF-8 in a text frame', frame({ opcode: 1, payload: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]) })],
      ['a lone surrogate encoded in UTF-8', frame({ opcode: 1, payload: Buffer.from([0xed, 0xa0, 0x80]) })],
      ['a message over the limit', frame({ opcode: 1, payload: Buffer.alloc(MAX_MESSAGE_BYTES + 1, 0x20) })],
      [
        'a length header of 2^62 bytes',
        frame({ opcode: 1, payload: Buffer.alloc(16), lengthOverride: 2 ** 62 }),
      ],
      ['a binary frame', frame({ opcode: 2, payload: Buffer.from([1, 2, 3]) })],
      ['a reserved opcode', frame({ opcode: 3, payload: text('{}') })],
      ['reserved bits set', frame({ opcode: 1, payload: text('{}'), rsv: 7 })],
      ['an unmasked client frame', frame({ opcode: 1, payload: text('{}'), mask: false })],
      ['a fragmented control frame', frame({ opcode: 9, payload: text('x'), fin: false })],
      ['a continuation with nothing to continue', frame({ opcode: 0, payload: text('x') })],
      ['a close frame with a bad code', frame({ opcode: 8, payload: Buffer.from([0x03, 0xe7]) })],
      [
        'fragments over the limit together',
        Buffer.concat([
          frame({ opcode: 1, payload: Buffer.alloc(MAX_MESSAGE_BYTES / 2 + 10, 0x20), fin: false }),
          frame({ opcode: 0, payload: Buffer.alloc(MAX_MESSAGE_BYTES / 2 + 10, 0x20) }),
        ]),
      ],
      ['random bytes', Buffer.from(Array.from({ length: 512 }, () => Math.floor(rnd() * 256)))],
    ];
    for (const [name, bytes] of cases) {
      expect(await rawSession(bytes), `${name}: the server closes that connection`).toBe(true);
      await expectAlive(name);
    }
  }, 60_000);

  it('survives HTTP requests that are malformed or hostile', async () => {
    const raw = (request: string): Promise<string> =>
      new Promise((done) => {
        const socket = connect(server.port, '127.0.0.1');
        let got = '';
        socket.on('data', (d: Buffer) => (got += d.toString('latin1')));
        socket.on('error', () => undefined);
        socket.on('close', () => {
          done(got);
        });
        socket.end(request);
        setTimeout(() => socket.destroy(), 2000);
      });
    const host = `Host: 127.0.0.1:${server.port}\r\n`;
    expect(await raw(`GET /% HTTP/1.1\r\n${host}Connection: close\r\n\r\n`)).toMatch(/^HTTP\/1\.1 400/);
    expect(await raw(`GET /%E0%A4%A HTTP/1.1\r\n${host}Connection: close\r\n\r\n`)).toMatch(
      /^HTTP\/1\.1 400/,
    );
    expect(await raw('NOT HTTP AT ALL\r\n\r\n')).toMatch(/^HTTP\/1\.1 400/);
    expect(await raw(`GET / HTTP/1.1\r\n${host}Content-Length: -1\r\n\r\n`)).toMatch(/^HTTP\/1\.1 400/);
    expect(
      await raw(`GET /api HTTP/1.1\r\n${host}Upgrade: websocket\r\nConnection: Upgrade\r\n\r\n`),
    ).toMatch(/^HTTP\/1\.1 403/);
    await expectAlive('malformed HTTP');
  }, 30_000);

  it('serves many opens sent at once one after another, leaving one session', async () => {
    const texts = Array.from({ length: 10 }, (_, i) =>
      JSON.stringify({
        type: 'request',
        id: i + 1,
        channel: 'capture.openFiles',
        payload: { paths: [join(dir, 'allowed', 'plug.pcap')], speed: 0.001 },
      }),
    );
    const { replies } = await exchange(texts);
    const idOf = (r: WireMessage | undefined): string =>
      r?.type === 'response' && r.result.ok ? (r.result.value as { sessionId: string }).sessionId : '';
    expect(replies.map(idOf).filter((x) => x !== '')).toHaveLength(10);
    const snap = await exchange([
      JSON.stringify({ type: 'request', id: 99, channel: 'session.snapshot', payload: null }),
    ]);
    expect(idOf(snap.replies[0])).toBe(idOf(replies.find((r) => r.type === 'response' && r.id === 10)));
    // afterAll then asks the server to stop: no session it lost track of may hold it
  }, 30_000);

  it('refuses connections beyond its limit and goes on serving', async () => {
    const clients: WebSocket[] = [];
    let refused = 0;
    for (let i = 0; i < 40; i++) {
      try {
        clients.push(await openClient());
      } catch {
        refused++;
      }
    }
    expect(refused).toBeGreaterThan(0);
    for (const c of clients) c.terminate();
    await new Promise((r) => setTimeout(r, 100));
    await expectAlive('too many connections');
  }, 30_000);
});
