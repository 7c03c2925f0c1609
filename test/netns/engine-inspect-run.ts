/**
 * The engine in inspect mode, run inside a test's "laptop" namespace by
 * test/netns/inspect-mode.test.ts: `node --import tsx engine-inspect-run.ts DATA MODELS`.
 * Prints one JSON line per step (discovered, started, ended) and reads "stop" (the person stops
 * the capture) or "close" (the app quits) from its standard input.
 */
import { createInterface } from 'node:readline';
import { Engine } from '../../src-main/engine/engine.ts';
import type { InspectDiscovery } from '../../src-main/shared/inspect-mode.ts';
import type { Snapshot } from '../../src-main/shared/ipc-contract.ts';

const [dataDir, modelsDir] = process.argv.slice(2);
const seen: { last: Snapshot | null } = { last: null };
const engine = new Engine({
  dataDir,
  modelsDir,
  mode: 'browser',
  version: 'test',
  snapshotIntervalMs: 50,
  emit: (_event, s) => {
    seen.last = s;
  },
});
const say = (o: object): void => {
  process.stdout.write(`${JSON.stringify(o)}\n`);
};

const found = await engine.handle('inspect.discover', { interface: 'eth0' });
if (!found.ok) {
  say({ step: 'failed', error: found.error });
  process.exit(1);
}
const discovery = found.value as InspectDiscovery;
say({ step: 'discovered', discovery });
const devices = discovery.devices.filter((d) => d.role === 'device').map((d) => d.mac);
const started = await engine.handle('capture.startInspect', { interface: 'eth0', devices, consent: true });
say({ step: 'started', ok: started.ok, value: started.ok ? started.value : started.error });
const order = await new Promise<string>((resolve) => {
  createInterface({ input: process.stdin }).on('line', (line) => {
    resolve(line.trim());
  });
});
if (order === 'stop') {
  await engine.handle('capture.stop', null);
  const t0 = Date.now();
  while (Date.now() - t0 < 60_000 && !['stopped', 'done', 'error'].includes(seen.last?.status ?? '')) {
    await new Promise((r) => setTimeout(r, 50));
  }
}
await engine.close();
const s = seen.last;
say({
  step: 'ended',
  status: s?.status,
  devices: s?.devices.map((d) => ({ mac: d.mac, packets: d.packets })),
  problems: s?.problems,
  source: s?.source,
});
process.exit(0);
