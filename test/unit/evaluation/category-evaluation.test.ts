import { describe, expect, it } from 'vitest';
import {
  CALIBRATION_WRONG_RATE,
  categoryRates,
  chooseThreshold,
  evaluateCategories,
  type CategoryData,
  type CategoryInstance,
} from '../../../src-main/evaluation/category-evaluation.ts';
import type { DeviceCategory } from '../../../src-main/shared/device-categories.ts';
import { mulberry32 } from '../../../src-main/views/seeded-random.ts';

function inst(
  dataset: CategoryInstance['dataset'],
  category: DeviceCategory,
  top: DeviceCategory,
  p: number,
): CategoryInstance {
  return {
    dataset,
    device: `${category}-${top}-${p}`,
    kind: 'k',
    category,
    instance: 'i',
    packets: 100,
    chunks: 1,
    top,
    probability: p,
  };
}

describe('category rates and the threshold rule', () => {
  it('counts right, none and wrong at a threshold', () => {
    const all = [
      inst('madea', 'camera', 'camera', 0.9),
      inst('madea', 'plug/switch', 'camera', 0.7),
      inst('madea', 'lock', 'camera', 0.3),
    ];
    expect(categoryRates(all, 0.5)).toMatchObject({ instances: 3, right: 1, none: 1, wrong: 1 });
    expect(categoryRates(all, 0.8)).toMatchObject({ right: 1, none: 2, wrong: 0, success: 1 });
  });

  it('takes the least threshold at which every dataset is wrong for at most the calibration rate', () => {
    const all: CategoryInstance[] = [];
    for (let i = 0; i < 20; i++) all.push(inst('madea', 'camera', 'camera', 0.99));
    // one confident mistake in 21 is 4.8 %: allowed; a second at 0.6 is not
    all.push(inst('madea', 'lock', 'camera', 0.5));
    all.push(inst('iot-sentinel', 'hub/bridge', 'plug/switch', 0.62));
    for (let i = 0; i < 5; i++) all.push(inst('iot-sentinel', 'plug/switch', 'plug/switch', 0.7));
    expect(CALIBRATION_WRONG_RATE).toBe(0.05);
    expect(chooseThreshold(all)).toBe(0.65);
    expect(chooseThreshold(all.filter((i) => i.dataset === 'madea'))).toBe(0.3);
  });
});

describe('evaluateCategories', () => {
  it('judges each kind by a forest that never saw it, and each dataset by one trained on the others', () => {
    // two datasets, cameras (feature 0 high) and plugs (feature 0 low), three devices of each per dataset
    const rand = mulberry32(9);
    const chunks: CategoryData['chunks'] = [];
    const values: number[] = [];
    for (const dataset of ['madea', 'iot-sentinel'] as const)
      for (const category of ['camera', 'plug/switch'] as const)
        for (let d = 0; d < 3; d++)
          for (let c = 0; c < 6; c++) {
            const device = `${dataset}-${category}-${d}`;
            chunks.push({ dataset, device, kind: device, category, instance: device, packets: 50 });
            values.push(category === 'camera' ? 0.8 + 0.2 * rand() : 0.2 * rand(), rand());
          }
    const e = evaluateCategories({ view: 'napt', names: ['a', 'b'], chunks, x: Float32Array.from(values) });
    expect(e.chunks).toBe(chunks.length);
    expect(e.instances).toHaveLength(12);
    for (const r of [...e.leaveOneDeviceOut, ...e.leaveOneDatasetOut]) {
      expect(r.rates.wrong).toBe(0);
      expect(r.rates.right).toBe(6);
    }
    expect(e.confusion.map((c) => c.category)).toEqual(['camera', 'plug/switch']);
  });
});
