/**
 * Router capture through a command, in network namespaces this test makes and removes: a
 * "router" namespace and a "device" namespace joined by a veth pair. `tcpdump -w -` inside the
 * router namespace stands in for `ssh root@router tcpdump …`; the device sends a bounded burst of
 * UDP datagrams to the router. The engine reads the stream live, sees the device, and a command
 * that fails (tcpdump on an interface the router has not) is reported with its own words. Nothing
 * is sent outside the namespaces. Skipped, with the reason, where namespaces cannot be made.
 */
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src-main/engine/engine.ts';
import type { Snapshot } from '../../src-main/shared/ipc-contract.ts';
import { makeVethPair } from '../netns.ts';

const MODELS = resolve(import.meta.dirname, '../fixtures/models');
const pair = makeVethPair(`tt${process.pid % 100000}`, 231);
const skip =
  typeof pair === 'string'
    ? pair
    : spawnSync('sh', ['-c', 'command -v tcpdump']).status !== 0
      ? 'no tcpdump (apt-get install tcpdump)'
      : '';
if (skip !== '') {
  if (typeof pair !== 'string') pair.remove();
  console.warn(`router capture tests skipped: ${skip}`);
}
const net = typeof pair === 'string' ? null : pair;
/** The "router" end (a) and the "device" end (b). */
const ROUTER_NS = net?.a.ns ?? '';
const ROUTER_IF = net?.a.ifname ?? '';
const ROUTER_IP = net?.a.ip ?? '';
const DEVICE_NS = net?.b.ns ?? '';
const DEVICE_MAC = net?.b.mac ?? '';

/**
 * `count` UDP datagrams from the device to the router, `gapMs` apart (bash's /dev/udp; bounded),
 * sent by a child process while this one goes on reading the stream.
 */
async function deviceSends(count: number, gapMs: number): Promise<void> {
  await promisify(execFile)('ip', [
    'netns',
    'exec',
    DEVICE_NS,
    'bash',
    '-c',
    `for i in $(seq 1 ${count}); do echo "reading $i" > /dev/udp/${ROUTER_IP}/5683; sleep ${gapMs / 1000}; done`,
  ]);
}

async function until(pred: () => boolean, ms: number): Promise<void> {
  const t0 = Date.now();
  while (!pred()) {
    if (Date.now() - t0 > ms) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.skipIf(skip !== '')('router capture through a command, in network namespaces', () => {
  const dirs: string[] = [];
  let engine: Engine;
  let snapshots: Snapshot[];

  beforeAll(() => {
    const dataDir = mkdtempSync(join(tmpdir(), 'telltale-router-'));
    dirs.push(dataDir);
    snapshots = [];
    engine = new Engine({
      dataDir,
      modelsDir: MODELS,
      mode: 'browser',
      version: 'test',
      snapshotIntervalMs: 50,
      emit: (_event, s) => snapshots.push(s),
    });
  });

  afterAll(async () => {
    await engine?.close();
    net?.remove();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it("reads the router's capture stream live, sees the device, and keeps its packets when stopped", async () => {
    const info = await engine.startCommand({
      file: 'ip',
      args: ['netns', 'exec', ROUTER_NS, 'tcpdump', '-i', ROUTER_IF, '-U', '-s', '0', '-w', '-'],
      label: 'router (tcpdump)',
    });
    expect(info).toMatchObject({ kind: 'live', names: ['router (tcpdump)'] });
    const last = () => snapshots.at(-1)!;
    // tcpdump starts in the background: send until the stream carries packets, then a counted burst
    await until(() => last().status === 'capturing', 10_000);
    for (let i = 0; i < 40 && last().progress.packets === 0; i++) await deviceSends(1, 100);
    expect(last().progress.packets).toBeGreaterThan(0);
    const before = last().progress.packets;
    await deviceSends(20, 20);
    await until(() => last().progress.packets >= before + 20, 10_000);
    expect(last().devices.map((d) => d.mac)).toContain(DEVICE_MAC);
    await engine.handle('capture.stop', null);
    await until(() => ['stopped', 'done', 'error'].includes(last().status), 30_000);
    expect(last().status).toBe('stopped');
    expect(last().progress.packets).toBeGreaterThanOrEqual(before + 20);
    expect(last().problems.filter((p) => p.severity === 'error')).toEqual([]);
    // the stream carries the router's libpcap timestamps; its drops are the router's to count
    expect(last().progress.timestamps).toBe('libpcap');
    expect(last().progress.dropped).toBeNull();
  }, 60_000);

  it('says why a command failed, in its own words', async () => {
    const { sessionId } = await engine.startCommand({
      file: 'ip',
      args: ['netns', 'exec', ROUTER_NS, 'tcpdump', '-i', 'no-such-if9', '-U', '-w', '-'],
      label: 'router (tcpdump)',
    });
    // this session's last snapshot once it has ended (the one before ended too)
    const ended = () => {
      const s = snapshots.at(-1)!;
      return s.sessionId === sessionId && ['done', 'stopped', 'error'].includes(s.status);
    };
    await until(ended, 20_000);
    const problems = snapshots
      .at(-1)!
      .problems.map((p) => p.message)
      .join('\n');
    expect(problems).toMatch(
      /router \(tcpdump\): the command ended with exit code 1: tcpdump: .*no-such-if9/,
    );
  }, 30_000);
});
