import { describe, expect, it } from 'vitest';
import { classificationMetrics, unknownRuleMetrics } from '../../../src-main/evaluation/metrics.ts';
import { summariseByDevice } from '../../../src-main/inference/identification-summary.ts';
import { confusionSvg } from '../../../src-main/evaluation/confusion-svg.ts';

describe('classificationMetrics', () => {
  // truth:     a a a a b b c  (and two unlabelled packets)
  // predicted: a a b c b a a
  const truth = [0, 0, 0, 0, 1, 1, 2, -1, -2];
  const predicted = [0, 0, 1, 2, 1, 0, 0, 1, 1];
  const m = classificationMetrics(['a', 'b', 'c'], truth, predicted);

  it('computes per-class recall, precision and F1, skipping unlabelled packets', () => {
    expect(m.packets).toBe(7);
    expect(m.perClass.map((c) => c.support)).toEqual([4, 2, 1]);
    expect(m.perClass[0].recall).toBeCloseTo(0.5);
    expect(m.perClass[0].precision).toBeCloseTo(2 / 4);
    expect(m.perClass[1].recall).toBeCloseTo(0.5);
    expect(m.perClass[1].precision).toBeCloseTo(0.5);
    expect(m.perClass[2]).toMatchObject({ recall: 0, precision: 0, f1: 0 });
    expect(m.perClass[0].f1).toBeCloseTo(0.5);
  });

  it('averages macro over classes and micro over packets', () => {
    expect(m.macroRecall).toBeCloseTo((0.5 + 0.5 + 0) / 3);
    expect(m.microAccuracy).toBeCloseTo(3 / 7);
    expect(m.confusion).toEqual([
      [2, 1, 1],
      [1, 1, 0],
      [1, 0, 0],
    ]);
    expect(m.confusionNormalised[0]).toEqual([0.5, 0.25, 0.25]);
  });

  it('measures the unknown rule on known-class packets', () => {
    const u = unknownRuleMetrics(3, truth, [0, -1, 1, -1, 1, 0, 0, -1, 1]);
    expect(u.packets).toBe(7);
    expect(u.knownCalledUnknown).toBeCloseTo(2 / 7);
    expect(u.accuracyOnRest).toBeCloseTo(2 / 5);
  });
});

describe('summariseByDevice', () => {
  it('gives each true device its top answer, unknown share and how often it is right', () => {
    const s = summariseByDevice(
      ['Plug', 'Camera', 'Bulb'],
      ['Camera', 'Plug'],
      [0, 0, 0, 1, 1, -1],
      [1, 1, -1, 0, 1, 0],
    );
    expect(s).toEqual([
      {
        device: 'Plug',
        packets: 3,
        topLabel: 'Plug',
        topShare: 2 / 3,
        unknownShare: 1 / 3,
        correctShare: 2 / 3,
        answers: { Plug: 2, unknown: 1 },
      },
      {
        device: 'Camera',
        packets: 2,
        topLabel: 'Camera',
        topShare: 0.5,
        unknownShare: 0,
        correctShare: 0.5,
        answers: { Camera: 1, Plug: 1 },
      },
      {
        device: '(no label)',
        packets: 1,
        topLabel: 'Camera',
        topShare: 1,
        unknownShare: 0,
        correctShare: null,
        answers: { Camera: 1 },
      },
    ]);
  });
});

describe('summariseByDevice with merged classes', () => {
  it('counts the merged class that stands for a device as right for it', () => {
    const [plug, bulb] = summariseByDevice(
      ['Plug', 'Bulb'],
      ['Plug / Bulb', 'Camera'],
      [0, 0, 1, 1],
      [0, 1, 0, 0],
      { 'Plug / Bulb': ['Plug', 'Bulb'] },
    );
    expect([plug.correctShare, bulb.correctShare]).toEqual([0.5, 1]);
    expect(bulb.topLabel).toBe('Plug / Bulb');
  });
});

describe('confusionSvg', () => {
  it('draws one shaded cell per pair with the share written in it', () => {
    const svg = confusionSvg({
      title: 'T & t',
      labels: ['a', 'b'],
      shares: [
        [0.75, 0.25],
        [0, 1],
      ],
      support: [4, 2],
    });
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).toContain('T &amp; t');
    expect(svg.match(/<rect x=/g)).toHaveLength(4);
    expect(svg).toContain('>.75<');
    expect(svg).toContain('>1<');
    expect(svg).toContain('a (4)');
    expect(svg).toContain('fill="#ffffff" stroke'); // share 0 is white
  });
});
