import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CATALOG_SUMMARY_FILE, readCatalogSummary } from '../../../src-main/evaluation/catalog-summary.ts';
import { loadManifest } from '../../../src-main/inference/model-manifest.ts';
import { modelFacts } from '../../../src-main/report/model-facts.ts';

const MODELS = resolve(import.meta.dirname, '../../../models');
const work = mkdtempSync(join(tmpdir(), 'telltale-model-facts-'));
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe('modelFacts', () => {
  it("gives each default model's validation recall and the catalog test's record on unseen devices", () => {
    const manifest = loadManifest(MODELS);
    const summary = readCatalogSummary(MODELS);
    const facts = modelFacts(MODELS);
    expect(facts.map((f) => f.view).sort()).toEqual(['napt', 'vpn']);
    for (const f of facts) {
      const model = manifest.models.find((m) => m.id === manifest.defaults[f.view])!;
      expect(f.modelId).toBe(model.id);
      expect(f.macroRecall).toBe(model.metrics.validation?.macroRecall);
      const rows = summary!.views.find((v) => v.view === f.view)!.unseen;
      expect(f.unseen?.instances).toBe(rows.reduce((a, r) => a + r.instances, 0));
      expect(f.unseen?.named).toBe(rows.reduce((a, r) => a + r.named, 0));
      expect(f.unseen!.baselineNamed).toBeGreaterThan(f.unseen!.named);
    }
  });

  it('says nothing of unseen devices without the summary, and nothing at all without a manifest', () => {
    const dir = join(work, 'models');
    cpSync(MODELS, dir, { recursive: true, filter: (src) => !src.endsWith('.onnx') });
    rmSync(join(dir, CATALOG_SUMMARY_FILE));
    expect(modelFacts(dir).every((f) => f.unseen === null && f.macroRecall !== null)).toBe(true);
    writeFileSync(join(dir, CATALOG_SUMMARY_FILE), '{ not json');
    expect(readCatalogSummary(dir)).toBeNull();
    expect(modelFacts(join(work, 'nowhere'))).toEqual([]);
  });
});
