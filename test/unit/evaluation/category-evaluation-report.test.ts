/**
 * The category section of EVALUATION.md: rows under the target are marked and the devices they got
 * wrong are listed, computed from the instances.
 */
import { describe, expect, it } from 'vitest';
import { categorySection } from '../../../src-main/evaluation/category-evaluation-report.ts';
import {
  categoryRates,
  type CategoryInstance,
  type CategoryStudy,
} from '../../../src-main/evaluation/category-evaluation.ts';

function instance(
  device: string,
  category: CategoryInstance['category'],
  top: CategoryInstance['top'],
  probability: number,
): CategoryInstance {
  return {
    dataset: 'madea',
    device,
    kind: `madea:${device}`,
    category,
    instance: `day/${device}/${probability}`,
    packets: 100,
    chunks: 2,
    top,
    probability,
  };
}

describe('the category section', () => {
  it('lists the wrong answers of a row under the target and only of such rows', () => {
    const instances = [
      instance('Bulb', 'bulb/light', 'plug/switch', 0.9),
      instance('Bulb', 'bulb/light', 'plug/switch', 0.92),
      instance('Plug', 'plug/switch', 'bulb/light', 0.95),
      instance('Plug', 'plug/switch', 'bulb/light', 0.5),
      ...Array.from({ length: 6 }, (_, i) => instance(`Cam${i}`, 'camera', 'camera', 0.3)),
    ];
    const rates = categoryRates(instances, 0.85);
    expect(rates).toMatchObject({ wrong: 3, none: 7 });
    const study: CategoryStudy = {
      wide: null,
      views: [
        {
          view: 'napt',
          chunks: 20,
          chunksPerDataset: { madea: 20, 'iot-sentinel': 0, extras: 0 },
          leaveOneDeviceOut: [{ dataset: 'madea', threshold: 0.85, rates }],
          leaveOneDatasetOut: [{ dataset: 'madea', threshold: 0.95, rates: categoryRates(instances, 0.95) }],
          threshold: 0.95,
          confusion: [],
          instances,
        },
      ],
      written: [],
      seconds: 1,
    };
    const text = categorySection(study);
    expect(text).toContain(
      '| NAPT | device out | MADEA | 10 (8) | 0.85 | 0 (0.0 %) | 7 | 3 (30.0 %) | 70.0 % not met |',
    );
    expect(text).toContain(
      '| NAPT | dataset out | MADEA | 10 (8) | 0.95 | 0 (0.0 %) | 9 | 1 (10.0 %) | 90.0 % met |',
    );
    expect(text).toContain(
      'Wrong answers in the rows under the target: NAPT device out, MADEA: Bulb as plug/switch (2), Plug as bulb/light (1).',
    );
  });
});
