import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CategoryModel,
  decideCategory,
  type CategoryModelFile,
} from '../../../src-main/inference/device-category.ts';
import {
  CATEGORY_MIN_PACKETS,
  categoryOfLabel,
  DEVICE_CATEGORIES,
  IOT_SENTINEL_CATEGORIES,
} from '../../../src-main/shared/device-categories.ts';
import { HistogramForest } from '../../../src-main/inference/histogram-forest.ts';

const K = DEVICE_CATEGORIES.length;

/** `chunks` rows of probabilities, each `p` on `category` and the rest spread evenly. */
function probs(chunks: number, category: number, p: number): Float32Array {
  const out = new Float32Array(chunks * K).fill((1 - p) / (K - 1));
  for (let r = 0; r < chunks; r++) out[r * K + category] = p;
  return out;
}

describe('categoryOfLabel', () => {
  it('maps labels.csv categories and IoT Sentinel names into the model’s words', () => {
    expect(categoryOfLabel('plug', 'HBN Plug')).toBe('plug/switch');
    expect(categoryOfLabel('robot-vacuum', 'Roomba Robot')).toBe('vacuum');
    expect(categoryOfLabel('smoke-detector', 'Nest Smoke & CO Detector')).toBe('sensor');
    expect(categoryOfLabel('NON-IOT:phone', 'Pixel 6 Phone')).toBe('phone/computer');
    expect(categoryOfLabel(null, 'HueBridge')).toBe('hub/bridge');
    expect(categoryOfLabel('', 'EdimaxCam2')).toBe('camera');
    // the gateway is no category, and an unknown name is none either
    expect(categoryOfLabel('NON-IOT:gateway', 'gateway')).toBeNull();
    expect(categoryOfLabel(null, 'Some Gadget')).toBeNull();
  });

  it('gives every IoT Sentinel device a category of the list', () => {
    for (const c of Object.values(IOT_SENTINEL_CATEGORIES)) expect(DEVICE_CATEGORIES).toContain(c);
    expect(Object.keys(IOT_SENTINEL_CATEGORIES)).toHaveLength(31);
  });
});

describe('decideCategory', () => {
  it('names the pooled top category only from the threshold on', () => {
    const camera = DEVICE_CATEGORIES.indexOf('camera');
    const sure = decideCategory(probs(3, camera, 0.97), 3, 500, 0.95);
    expect(sure).toMatchObject({
      category: 'camera',
      top: 'camera',
      chunks: 3,
      packets: 500,
      threshold: 0.95,
    });
    expect(sure.probability).toBeCloseTo(0.97, 5);
    const unsure = decideCategory(probs(3, camera, 0.9), 3, 500, 0.95);
    expect(unsure).toMatchObject({ category: null, top: 'camera' });
  });

  it('pools chunks: one confident hour does not carry two that disagree', () => {
    const camera = DEVICE_CATEGORIES.indexOf('camera');
    const plug = DEVICE_CATEGORIES.indexOf('plug/switch');
    const p = new Float32Array(3 * K);
    p.set(probs(1, camera, 1), 0);
    p.set(probs(1, plug, 0.6), K);
    p.set(probs(1, plug, 0.6), 2 * K);
    const d = decideCategory(p, 3, 500, 0.5);
    expect(d.top).toBe('plug/switch');
    expect(d.category).toBeNull(); // 0.4 pooled
  });

  it('says nothing below the least packet count or without chunks', () => {
    const camera = DEVICE_CATEGORIES.indexOf('camera');
    expect(decideCategory(probs(1, camera, 1), 1, CATEGORY_MIN_PACKETS - 1, 0.5).category).toBeNull();
    expect(decideCategory(new Float32Array(0), 0, 0, 0.5)).toMatchObject({
      category: null,
      top: null,
      probability: 0,
    });
  });
});

describe('CategoryModel', () => {
  const forest = HistogramForest.train(Float32Array.from([0, 0, 1, 1, 0, 1, 0, 1]), 4, 2, [0, 0, 1, 1], K, {
    trees: 4,
    seed: 1,
  });
  const file: CategoryModelFile = {
    formatVersion: 1,
    view: 'napt',
    features: ['a', 'b'],
    categories: [...DEVICE_CATEGORIES],
    threshold: 0.6,
    trainedOn: 'test',
    heldOut: [{ dataset: 'x', instances: 10, devices: 2, right: 3, none: 7, wrong: 0 }],
    forest: forest.toJSON(),
  };

  it('decides from summaries and carries how its answers held on unseen devices', () => {
    const model = CategoryModel.fromFile(file);
    const d = model.decide(Float32Array.from([1, 1]), 1, 100);
    expect(d.top).not.toBeNull();
    expect(d.heldOut).toEqual({ instances: 10, right: 3, wrong: 0 });
    expect(d.threshold).toBe(0.6);
  });

  it('refuses a file whose parts do not fit, and reads none when there is no file', () => {
    expect(() => CategoryModel.fromFile({ ...file, features: ['a'] })).toThrow(
      /reads 2 features but the file names 1/,
    );
    expect(() => CategoryModel.fromFile({ ...file, categories: ['camera'] })).toThrow(
      /has 12 classes but the file names 1/,
    );
    expect(() => CategoryModel.fromFile({ ...file, formatVersion: 2 as 1 })).toThrow(
      /unknown format version 2/,
    );
    const dir = mkdtempSync(join(tmpdir(), 'telltale-category-'));
    try {
      expect(CategoryModel.load(join(dir, 'category-napt.json'))).toBeNull();
      writeFileSync(join(dir, 'category-napt.json'), JSON.stringify(file));
      expect(CategoryModel.load(join(dir, 'category-napt.json'))?.file.threshold).toBe(0.6);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
