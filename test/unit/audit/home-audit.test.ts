/**
 * The audit collector: its what-ifs stop between defences when asked, so closing the engine or
 * starting a new session never waits for every defence to be replayed; an interim audit (live
 * sessions) leaves the final one unchanged.
 */
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DeviceInventory } from '../../../src-main/devices/device-inventory.ts';
import { analyzeCaptures } from '../../../src-main/audit/capture-analysis.ts';
import { AuditCollector } from '../../../src-main/audit/audit-collector.ts';
import { openObserverModels } from '../../../src-main/audit/home-audit.ts';
import type { Defence } from '../../../src-main/views/defences.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const MODELS = join(ROOT, 'test/fixtures/models');
const CAPTURE = join(ROOT, 'test/fixtures/decode/tuya-plug-active-1-600.pcap');

describe('AuditCollector.whatIfs', () => {
  it('runs every defence from one pass, or stops between defences when shouldStop says so', async () => {
    const identifiers = await openObserverModels(MODELS, ['vpn']);
    try {
      const collector = new AuditCollector(['vpn']);
      const analysis = await analyzeCaptures([CAPTURE], { views: collector.views, ...collector.hooks() });
      const audit = await collector.finish(analysis, identifiers, null);
      const defences: Defence[] = [
        { kind: 'padding', multiple: 64 },
        { kind: 'padding', multiple: 256 },
      ];
      const run = (shouldStop?: () => boolean) =>
        collector.whatIfs(audit.devices, audit.observers, identifiers, audit.coverage, {
          paths: [CAPTURE],
          defences,
          options: { modelsDir: MODELS },
          shouldStop,
        });
      expect(await run()).toHaveLength(2);
      // asked before the shared pass over the files, then before each what-if is labelled
      let asked = 0;
      expect(await run(() => ++asked > 2)).toHaveLength(1);
      expect(await run(() => true)).toHaveLength(0);
    } finally {
      for (const identifier of identifiers.values()) await identifier.close();
    }
  }, 60_000);

  it('an interim audit partway through changes nothing in the final one', async () => {
    const identifiers = await openObserverModels(MODELS, ['napt', 'vpn']);
    try {
      // batches small enough for the interim audit to hold some; the plain audit labels as it reads
      const plain = new AuditCollector(['napt', 'vpn'], {}, { batchRows: 100 });
      const plainAnalysis = await analyzeCaptures([CAPTURE], {
        views: plain.views,
        ...plain.hooks(identifiers),
      });
      const expected = await plain.finish(plainAnalysis, identifiers, null);
      // the same answers whether the rows were labelled as they came or all at the end
      const atEnd = new AuditCollector(['napt', 'vpn'], {}, { batchRows: 100 });
      const atEndAnalysis = await analyzeCaptures([CAPTURE], { views: atEnd.views, ...atEnd.hooks() });
      const late = await atEnd.finish(atEndAnalysis, identifiers, null);

      const live = new AuditCollector(['napt', 'vpn'], {}, { batchRows: 100 });
      const hooks = live.hooks();
      const inventory = new DeviceInventory();
      let packets = 0;
      let first: number | null = null;
      let interim: Promise<Awaited<ReturnType<AuditCollector['interim']>>> | null = null;
      const analysis = await analyzeCaptures([CAPTURE], {
        views: live.views,
        ...hooks,
        onPacket: (pkt) => {
          hooks.onPacket(pkt);
          first ??= pkt.raw.ts;
          if (++packets === 300)
            interim = live.interim(inventory, packets, [{ start: first, end: pkt.raw.ts + 1 }], identifiers);
        },
        inventory,
      });
      const mid = await interim!;
      expect(mid.packets).toBe(300);
      expect(mid.observers.map((o) => o.view)).toEqual(['napt', 'vpn']);
      expect(mid.observers[0].packets).toBeGreaterThan(0);
      expect(mid.observers[0].packets).toBeLessThan(expected.observers[0].packets);
      const final = await live.finish(analysis, identifiers, null);
      // the same results (how long the in-home observers took is not a result)
      const untimed = (observers: typeof final.observers) =>
        observers.map((o) => ({ ...o, inHome: o.inHome && { ...o.inHome, seconds: 0, forestSeconds: 0 } }));
      expect(untimed(final.observers)).toEqual(untimed(expected.observers));
      expect(final.devices).toEqual(expected.devices);
      expect(untimed(late.observers)).toEqual(untimed(expected.observers));
    } finally {
      for (const identifier of identifiers.values()) await identifier.close();
    }
  }, 60_000);
});

describe('AuditCollector and the in-home observer', () => {
  const TWO = [
    join(ROOT, 'test/fixtures/decode/xiaobai-camera-setup.pcap'),
    join(ROOT, 'test/fixtures/decode/xiaodu-plug-setup.pcap'),
  ];

  it('trains the in-home observer when finishing, and finishes without it when cancelled (no error)', async () => {
    const identifiers = await openObserverModels(MODELS, ['napt']);
    try {
      const measured = new AuditCollector(['napt']);
      const a = await analyzeCaptures(TWO, { views: measured.views, ...measured.hooks() });
      const audit = await measured.finish(a, identifiers, null);
      expect(audit.observers[0].inHome?.devices.some((d) => d.measured)).toBe(true);

      const cancelled = new AuditCollector(['napt']);
      const b = await analyzeCaptures(TWO, { views: cancelled.views, ...cancelled.hooks() });
      cancelled.cancel(); // the session was replaced while it read
      const partial = await cancelled.finish(b, identifiers, null);
      expect(partial.observers[0].inHome).toBeNull();
      expect(partial.devices.length).toBe(audit.devices.length);
    } finally {
      for (const i of identifiers.values()) await i.close();
    }
  }, 60_000);
});
