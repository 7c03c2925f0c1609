/**
 * Browser mode's server shuts down promptly even when a browser holds sockets open: a
 * speculative pre-connection that never sends a request and an idle keep-alive connection.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startEngineServer } from '../../../src-main/engine/engine-server.ts';

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
