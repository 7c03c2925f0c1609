/**
 * The audit collector's what-ifs stop between defences when asked, so closing the engine or
 * starting a new session never waits for every defence to be replayed.
 */
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeCaptures } from '../../../src-main/engine/capture-analysis.ts';
import { HomeAuditCollector, openObserverModels } from '../../../src-main/engine/home-audit.ts';
import type { Defence } from '../../../src-main/views/defences.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const MODELS = join(ROOT, 'test/fixtures/models');
const CAPTURE = join(ROOT, 'test/fixtures/decode/tuya-plug-active-1-600.pcap');

describe('HomeAuditCollector.whatIfs', () => {
  it('runs every defence, or stops between defences when shouldStop says so', async () => {
    const identifiers = await openObserverModels(MODELS, ['vpn']);
    try {
      const collector = new HomeAuditCollector(['vpn']);
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
      let asked = 0;
      expect(await run(() => ++asked > 1)).toHaveLength(1);
      expect(await run(() => true)).toHaveLength(0);
    } finally {
      for (const identifier of identifiers.values()) await identifier.close();
    }
  }, 60_000);
});
