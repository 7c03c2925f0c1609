/**
 * Parity with the training recipe: builds the contract's validation split from the MADEA captures
 * (`telltale dataset` in-process, split by the manifest's time block, runs by segment and split), runs every
 * bundled model through the TypeScript runtime and reproduces the validation metrics the recipe
 * recorded in models/manifest.json — macro recall, micro accuracy and every class's recall — to
 * the third decimal (|difference| < 0.0005). Skipped, saying why, without the datasets or models.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateDefence } from '../../src-main/evaluation/defence-evaluation.ts';
import {
  buildValidationData,
  evaluateModel,
  manifestBlockSeconds,
  type ViewValidation,
} from '../../src-main/evaluation/model-evaluation.ts';
import { loadManifest, MODEL_VIEWS, type ModelView } from '../../src-main/inference/model-manifest.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const DATASETS = resolve(ROOT, '../shared/datasets');
const MODELS = join(ROOT, 'models');
const haveData = existsSync(join(DATASETS, 'madea/labels.csv'));
const haveModels = existsSync(join(MODELS, 'manifest.json'));
const skipReason = !haveData
  ? `no MADEA captures at ${DATASETS}`
  : !haveModels
    ? `no bundled models (${join(MODELS, 'manifest.json')} is absent: run the training recipe)`
    : '';
if (skipReason !== '') console.warn(`inference parity skipped: ${skipReason}`);

const TOLERANCE = 0.0005;

describe.skipIf(skipReason !== '')('runtime reproduces the recipe’s validation metrics', () => {
  const manifest = haveModels ? loadManifest(MODELS) : null;
  const work = mkdtempSync(join(tmpdir(), 'telltale-parity-'));
  let data = new Map<ModelView, ViewValidation>();

  beforeAll(async () => {
    const views = MODEL_VIEWS.filter((v) => manifest!.models.some((m) => m.view === v));
    data = await buildValidationData(DATASETS, work, views, manifestBlockSeconds(manifest!));
  }, 300_000);
  afterAll(() => {
    rmSync(work, { recursive: true, force: true });
  });

  it.each((manifest?.models ?? []).map((m) => [m.id, m] as const))(
    '%s',
    async (_id, model) => {
      const recorded = model.metrics.validation;
      expect(recorded, `${model.id} has no metrics.validation in the manifest`).toBeDefined();
      const r = await evaluateModel(MODELS, model, data.get(model.view)!);
      const m = r.metrics;
      expect(m.packets).toBe(recorded!.packets);
      expect(Math.abs(m.macroRecall - recorded!.macroRecall!)).toBeLessThan(TOLERANCE);
      expect(Math.abs(m.microAccuracy - recorded!.microAccuracy!)).toBeLessThan(TOLERANCE);
      const perClass = recorded!.perClass as Record<string, { recall: number }>;
      for (const c of m.perClass) {
        expect(perClass[c.label], `recorded recall of ${c.label}`).toBeDefined();
        expect(Math.abs(c.recall - perClass[c.label].recall), `recall of ${c.label}`).toBeLessThan(TOLERANCE);
      }
    },
    180_000,
  );

  it('scores the default VPN model on padded traffic: same packets, less recognised, bytes added', async () => {
    const model = manifest!.models.find((m) => m.id === manifest!.defaults.vpn)!;
    const plain = await evaluateModel(MODELS, model, data.get('vpn')!);
    const args = { modelsDir: MODELS, datasetsDir: DATASETS, workDir: work, vpnProfile: undefined };
    const padded = await evaluateDefence(
      args,
      model,
      { kind: 'padding', multiple: 256 },
      manifestBlockSeconds(manifest!),
      work,
    );
    expect(padded.metrics.packets).toBe(plain.metrics.packets);
    // padding to 256 bytes leaves a size-and-timing model little to go on
    expect(padded.metrics.macroRecall).toBeLessThan(plain.metrics.macroRecall - 0.3);
    expect(padded.bytesAddedPerPacket).toBeGreaterThan(0);
    expect(padded.bytesAddedPerPacket).toBeLessThan(256);
    expect(padded.costShare).toBeGreaterThan(0);
    expect(existsSync(join(work, 'vpn-pad-256'))).toBe(false);
  }, 180_000);
});
