import { describe, expect, it } from 'vitest';
import { CATALOG_MIN_COVERAGE, CATALOG_MIN_PACKETS } from '../../../src-main/audit/exposure.ts';
import { sizeKey } from '../../../src-main/inference/model-manifest.ts';
import { UNKNOWN_LABEL } from '../../../src-main/inference/window-stitching.ts';
import { openSetSection } from '../../../src-main/evaluation/evaluation-report.ts';
import {
  AnswerCounts,
  countPerFileAndDevice,
  groupBlocks,
  knownRates,
  OPEN_SET_TARGETS,
  unseenRates,
  type OpenSetEvaluation,
  type OpenSetInstance,
  type OpenSetSkip,
} from '../../../src-main/evaluation/open-set-evaluation.ts';

function instance(o: Partial<OpenSetInstance>): OpenSetInstance {
  return {
    dataset: 'iot-sentinel',
    view: 'napt',
    device: 'A',
    file: 'f',
    half: null,
    group: null,
    packets: 100,
    trueClass: null,
    named: null,
    baselineNamed: null,
    topModelClass: 'X',
    topModelShare: 0.9,
    profileCoverage: 0.5,
    namedOwnPlatform: false,
    ...o,
  };
}

function skip(o: Partial<OpenSetSkip>): OpenSetSkip {
  return {
    dataset: 'iot-sentinel',
    view: 'napt',
    device: 'A',
    file: 'f',
    half: null,
    reason: 'few-packets',
    packets: 0,
    ...o,
  };
}

describe('unseen rates', () => {
  const e = {
    instances: [
      instance({ device: 'A', named: 'Cam' }),
      instance({ device: 'A', baselineNamed: 'Cam' }),
      instance({ device: 'A', baselineNamed: 'Plug' }),
      instance({ device: 'A' }),
      instance({ device: 'B' }),
      instance({ device: 'B', view: 'vpn', named: 'Plug' }),
      instance({ device: 'C', dataset: 'extras', named: 'Plug' }),
    ],
    skipped: [skip({ packets: 0 }), skip({ packets: 7 }), skip({ view: 'vpn' }), skip({ dataset: 'extras' })],
  };

  it('counts named, not recognised and the baseline of one dataset and view', () => {
    const r = unseenRates(e, 'iot-sentinel', 'napt');
    expect(r.instances).toBe(5);
    expect(r.devices).toBe(2);
    expect(r.named).toBe(1);
    expect(r.notRecognised).toBe(4);
    expect(r.baselineNamed).toBe(2);
    expect(r.skipped).toBe(2);
    expect(r.skippedNone).toBe(1);
    // A: 1 of 4 named, B: 0 of 1 → mean 0.125
    expect(r.namedDeviceWeighted).toBeCloseTo(0.125, 10);
    expect([...r.namedAs]).toEqual([['A', new Map([['Cam', 1]])]]);
  });

  it('counts a device named as the platform it is built on apart from one named as another product', () => {
    const r = unseenRates(
      {
        instances: [
          instance({ device: 'T', named: 'Tuya class', namedOwnPlatform: true }),
          instance({ device: 'T', named: null }),
          instance({ device: 'E', named: 'Tuya class', namedOwnPlatform: false }),
        ],
        skipped: [],
      },
      'iot-sentinel',
      'napt',
    );
    expect(r).toMatchObject({ instances: 3, namedPlatform: 1, named: 1, notRecognised: 1 });
    // T: 0 of 2 wrongly named, E: 1 of 1
    expect(r.namedDeviceWeighted).toBeCloseTo(0.5, 10);
    expect([...r.namedAsPlatform]).toEqual([['T', new Map([['Tuya class', 1]])]]);
    expect([...r.namedAs]).toEqual([['E', new Map([['Tuya class', 1]])]]);
  });

  it('keeps views and datasets apart', () => {
    expect(unseenRates(e, 'iot-sentinel', 'vpn')).toMatchObject({ instances: 1, named: 1, skipped: 1 });
    expect(unseenRates(e, 'extras', 'napt')).toMatchObject({ instances: 1, named: 1, skipped: 1 });
    expect(unseenRates(e, 'extras', 'vpn')).toMatchObject({ instances: 0, named: 0, namedDeviceWeighted: 0 });
  });
});

describe('known rates', () => {
  const k = (o: Partial<OpenSetInstance>): OpenSetInstance =>
    instance({ dataset: 'madea', file: null, half: 0, group: 0, trueClass: 'Cam', ...o });
  const e = {
    instances: [
      k({ device: 'Cam', named: 'Cam', baselineNamed: 'Cam' }),
      k({ device: 'Cam', half: 1, named: 'Cam' }),
      k({ device: 'Plug', trueClass: 'Plug', named: 'Cam', baselineNamed: 'Plug' }),
      k({ device: 'Plug', trueClass: 'Plug', half: 1 }),
      k({ device: 'Cam', view: 'vpn' }),
    ],
    skipped: [
      skip({ dataset: 'madea', half: 1, file: null }),
      skip({ dataset: 'madea', half: 0, view: 'vpn' }),
    ],
  };

  it('counts a group only when it is recognised as its own class', () => {
    const r = knownRates(e, 'napt');
    expect(r.groups).toBe(4);
    expect(r.recognised).toBe(2);
    expect(r.wrongClass).toBe(1);
    expect(r.macroRecognised).toBeCloseTo(0.5, 10); // Cam 2/2, Plug 0/2
    expect(r.baselineRecognised).toBe(2);
    expect([...r.missed]).toEqual([['Plug', [2, 2]]]);
    expect(r.skipped).toBe(1);
  });

  it('selects one half, skipped groups included', () => {
    const r = knownRates(e, 'napt', 1);
    expect(r).toMatchObject({ groups: 2, recognised: 1, skipped: 1 });
    expect(knownRates(e, 'napt', 0).skipped).toBe(0);
    expect(knownRates(e, 'vpn')).toMatchObject({ groups: 1, recognised: 0, skipped: 1 });
  });
});

describe('validation block groups', () => {
  it('groups consecutive blocks until the minimum, a short tail joining the last group', () => {
    const blocks = new Map<number, number[]>([
      [30, [5, 6]],
      [10, [1]],
      [20, [2, 3, 4]],
      [40, [7]],
    ]);
    expect(groupBlocks(blocks, 3)).toEqual([
      [1, 2, 3, 4],
      [5, 6, 7],
    ]);
    expect(groupBlocks(blocks, 100)).toEqual([[1, 2, 3, 4, 5, 6, 7]]);
    expect(groupBlocks(new Map(), 3)).toEqual([]);
  });
});

describe('answer counts per file and device', () => {
  it('counts answers, argmax and sizes as the audit does; tunnel messages and no-device rows are left out', () => {
    const log = {
      rows: 5,
      tunnel: Uint8Array.from([0, 0, 1, 0, 0]),
      device: Int32Array.from([0, 0, 0, -1, 1]),
      direction: Uint8Array.from([0, 1, 0, 0, 0]),
      size: Int32Array.from([100, 200, 100, 60, 100]),
    };
    const labels = {
      labelIndex: Int32Array.from([1, UNKNOWN_LABEL, 1, 0, 0]),
      confidence: Float32Array.from([0.9, 0.2, 0.9, 0.9, 0.8]),
      bestIndex: Int32Array.from([1, 0, 1, 0, 0]),
    };
    const counts = countPerFileAndDevice(log, labels, [0, 0, 0, 0, 1], 2);
    const a = counts.get(0)?.get(0);
    expect(a?.packets).toBe(2);
    expect([...(a?.answers ?? [])]).toEqual([0, 1, 1]); // class 1 once, unknown once
    expect([...(a?.best ?? [])]).toEqual([1, 1]);
    expect(a?.sizes).toEqual(
      new Map([
        [sizeKey(0, 100), 1],
        [sizeKey(1, 200), 1],
      ]),
    );
    expect(counts.get(0)?.has(1)).toBe(false);
    expect(counts.get(1)?.get(1)?.packets).toBe(1);
  });

  it('hands identityOf what it reads', () => {
    const c = new AnswerCounts(3);
    c.add(2, 0.5, 2, 0, 80);
    const said = c.said();
    expect(said.answers?.length).toBe(4);
    expect(said.best?.[2]).toBe(1);
    expect(said.confidence?.[2]).toBe(0.5);
  });
});

describe('the open-set section', () => {
  it('says so when the unseen captures are absent', () => {
    const text = openSetSection(null);
    expect(text).toContain("## Devices the models never saw: the catalog's device-level test");
    expect(text).toContain('are absent: not evaluated');
    expect(text).not.toContain('|');
  });

  it('renders the counts, the thresholds from the code and the targets met or not', () => {
    const instances: OpenSetInstance[] = [];
    for (let i = 0; i < 40; i++) instances.push(instance({ device: `D${i % 4}`, file: `s${i}` }));
    instances.push(instance({ device: 'D0', file: 'x', named: 'Nest Camera' }));
    for (let i = 0; i < 9; i++) instances.push(instance({ dataset: 'extras', device: 'P', file: `e${i}` }));
    instances.push(instance({ dataset: 'extras', device: 'P', file: 'e9', named: 'Amazon Plug' }));
    instances.push(
      instance({
        dataset: 'madea',
        file: null,
        half: 1,
        group: 0,
        device: 'Cam',
        trueClass: 'Cam',
        named: 'Cam',
      }),
    );
    const e: OpenSetEvaluation = {
      models: { napt: 'napt-model' },
      instances,
      skipped: [skip({ packets: 0 }), skip({ packets: 3 })],
      datasets: ['madea', 'iot-sentinel', 'extras'],
      seconds: 1,
    };
    const text = openSetSection(e);
    expect(text).toContain(`at least ${CATALOG_MIN_PACKETS} packets`);
    expect(text).toContain(`coverage of ${CATALOG_MIN_COVERAGE}`);
    expect(text).toContain(
      '| IoT Sentinel | NAPT | 41 (4 devices) | 2 (1 with none) | 40 / 41 (97.6 %) | 0 / 41 (0.0 %) | 1 / 41 (2.4 %) |',
    );
    expect(text).toContain(
      '| extras | NAPT | 10 (1 device) | 0 | 9 / 10 (90.0 %) | 0 / 10 (0.0 %) | 1 / 10 (10.0 %) |',
    );
    expect(text).toContain('D0 as "Nest Camera" (1 of its captures)');
    expect(text).toContain('Met on NAPT IoT Sentinel (2.4 % named); not met on NAPT extras (10.0 % named).');
    expect(text).toContain(`at least ${Math.round(100 * OPEN_SET_TARGETS.unseenNotRecognised)} %`);
    expect(text).toContain('| NAPT | napt-model | - | 1 (1 device) | 0 | 1 / 1 (100.0 %) |');
  });
});
