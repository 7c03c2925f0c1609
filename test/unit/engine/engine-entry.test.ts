/** The utilityProcess entry over a real MessageChannel (Node's, shaped like Electron's MessagePortMain). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { serveEngine, type EnginePort } from '../../../src-main/engine/engine-entry.ts';
import type { Engine } from '../../../src-main/engine/engine.ts';
import type { WireMessage } from '../../../src-main/shared/ipc-contract.ts';

const ROOT = resolve(import.meta.dirname, '../../..');

function asElectronPort(port: MessagePort): EnginePort {
  return {
    postMessage: (m) => {
      port.postMessage(m);
    },
    on: (_event, listener) =>
      port.on('message', (data: unknown) => {
        listener({ data });
      }),
    start: () => {
      port.start();
    },
  };
}

let cleanup: (() => Promise<void>) | null = null;
afterEach(async () => {
  await cleanup?.();
  cleanup = null;
});

describe('engine entry', () => {
  it('answers requests and forwards events on the port it is given', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'telltale-entry-'));
    const { port1, port2 } = new MessageChannel();
    const engine: Engine = serveEngine(asElectronPort(port2), {
      dataDir,
      modelsDir: join(ROOT, 'test/fixtures/models'),
      version: 'test',
    });
    cleanup = async () => {
      port1.close();
      await engine.close();
      rmSync(dataDir, { recursive: true, force: true });
    };
    const messages: WireMessage[] = [];
    port1.on('message', (m: WireMessage) => messages.push(m));
    port1.postMessage({ type: 'request', id: 7, channel: 'app.info', payload: null } satisfies WireMessage);
    port1.postMessage({ type: 'request', id: 8, channel: 'no.such', payload: null });
    port1.postMessage({
      type: 'request',
      id: 9,
      channel: 'capture.openFiles',
      payload: { paths: [join(ROOT, 'test/fixtures/decode/tuya-plug-active-1-600.pcap')] },
    });
    const t0 = Date.now();
    while (
      !messages.some((m) => m.type === 'event' && (m.payload as { status?: string }).status === 'done')
    ) {
      if (Date.now() - t0 > 30_000) throw new Error('no done snapshot');
      await new Promise((r) => setTimeout(r, 20));
    }
    const byId = (id: number) => messages.find((m) => m.type === 'response' && m.id === id);
    expect(byId(7)).toMatchObject({ result: { ok: true, value: { mode: 'desktop', version: 'test' } } });
    expect(byId(8)).toMatchObject({ result: { ok: false, error: { code: 'bad-request' } } });
    expect(byId(9)).toMatchObject({ result: { ok: true } });
    expect(
      messages.filter((m) => m.type === 'event').every((m) => m.type === 'event' && m.event === 'snapshot'),
    ).toBe(true);
  });
});
