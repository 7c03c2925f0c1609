import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { InHomeDevice, InHomeObserver } from '../../../src-main/audit/audit-types.ts';
import {
  MIN_TEST_PACKETS,
  MIN_TRAIN_PACKETS,
  TRAIN_PER_DEVICE,
} from '../../../src-main/audit/in-home-observer.ts';
import { inHomeCases, madeaDay, unseenCaptureSets } from '../../../src-main/evaluation/datasets.ts';
import { inHomeSection } from '../../../src-main/evaluation/evaluation-report.ts';
import {
  IN_HOME_DETAIL_CASE,
  inHomeSummary,
  type InHomeCaseResult,
} from '../../../src-main/evaluation/in-home-evaluation.ts';

function device(mac: string, o: Partial<InHomeDevice> = {}): InHomeDevice {
  return {
    mac,
    trainPackets: 500,
    testPackets: 500,
    measured: true,
    unmeasured: null,
    recognisedShare: 0.8,
    interval: [0.7, 0.9],
    minutes: 30,
    perFlow: 0.5,
    flows: 4,
    mistakenFor: null,
    mistakenShare: 0,
    ...o,
  };
}

function observer(
  view: 'napt' | 'vpn',
  devices: InHomeDevice[],
  o: Partial<InHomeObserver> = {},
): InHomeObserver {
  const measured = devices.filter((d) => d.measured);
  return {
    view,
    splitAt: 0,
    trainRows: 1000,
    testRows: 900,
    classes: measured.length,
    seconds: 0.4,
    forestSeconds: 0.3,
    devices,
    kinds: [],
    meanRecognisedShare:
      measured.length === 0 ? null : measured.reduce((a, d) => a + d.recognisedShare!, 0) / measured.length,
    ...o,
  };
}

const home: InHomeCaseResult = {
  dataset: 'madea',
  name: IN_HOME_DETAIL_CASE,
  files: 3,
  packets: 12345,
  devices: [
    { mac: 'a', name: 'Cam' },
    { mac: 'b', name: 'Plug' },
    { mac: 'c', name: 'Bulb' },
    { mac: 'd', name: 'Lock' },
  ],
  observers: [
    {
      view: 'napt',
      inHome: observer(
        'napt',
        [
          device('a', { recognisedShare: 0.9, perFlow: 1 }),
          device('b', { recognisedShare: 0.5, perFlow: null, mistakenFor: 'a', mistakenShare: 0.4 }),
          device('c', {
            measured: false,
            unmeasured: 'too-little-traffic',
            recognisedShare: null,
            interval: null,
            perFlow: null,
          }),
          device('d', {
            measured: false,
            unmeasured: 'no-other-device',
            recognisedShare: null,
            interval: null,
            perFlow: null,
          }),
        ],
        { kinds: [{ macs: ['a', 'b'], recognisedShare: 0.95, interval: [0.9, 1], perFlow: 1 }] },
      ),
    },
    { view: 'vpn', inHome: null },
  ],
  seconds: 3,
};

describe('in-home summary', () => {
  it('counts measured and unmeasured devices, their mean shares and kinds by name', () => {
    const s = inHomeSummary(home, 'napt');
    expect(s).toMatchObject({
      devices: 4,
      measured: 2,
      tooLittle: 1,
      noOther: 1,
      trainRows: 1000,
      testRows: 900,
    });
    expect(s?.meanShare).toBeCloseTo(0.7, 10);
    expect(s?.meanPerFlow).toBe(1); // the device without scored flows is left out
    expect(s?.kinds).toEqual([{ names: ['Cam', 'Plug'], share: 0.95, perFlow: 1 }]);
    expect(inHomeSummary(home, 'vpn')).toBeNull();
  });
});

describe('the in-home section', () => {
  it('says so when there is nothing to measure', () => {
    for (const e of [null, { cases: [], datasets: [] }]) {
      const text = inHomeSection(e);
      expect(text).toContain('## The observer trained on your own home');
      expect(text).toContain('are absent: not evaluated');
      expect(text).not.toContain('|');
    }
  });

  it('renders the per-home row, the kinds, the per-device table and the bounds from the code', () => {
    const text = inHomeSection({ cases: [home], datasets: ['madea'] });
    expect(text).toContain(`at most ${TRAIN_PER_DEVICE} training`);
    expect(text).toContain(
      `fewer than ${MIN_TRAIN_PACKETS} packets before the split or ${MIN_TEST_PACKETS} after`,
    );
    expect(text).toContain(
      `| ${IN_HOME_DETAIL_CASE} | NAPT | 3 / 12345 | 4 | 2 | 1 (+ 1 with no other device) | 0.700 | 1.000 | 1000 / 900 |`,
    );
    expect(text).not.toContain(`| ${IN_HOME_DETAIL_CASE} | VPN |`);
    expect(text).toContain(`| ${IN_HOME_DETAIL_CASE} | NAPT | Cam + Plug | 0.950 | 1.000 |`);
    expect(text).toContain('| Plug | 500 / 500 | 0.500 (0.700–0.900) | - | Cam (40.0 %) |');
    expect(text).toContain('| Bulb | 500 / 500 | not enough traffic | - | - |');
    expect(text).toContain('| Lock | 500 / 500 | no other device | - | - |');
  });

  it('lists devices one by one only for the detail home', () => {
    const other = { ...home, name: 'MADEA 2023-06-12' };
    const text = inHomeSection({ cases: [other], datasets: ['madea'] });
    expect(text).toContain('| MADEA 2023-06-12 | NAPT |');
    expect(text).not.toContain('Per device');
  });
});

describe('the datasets the two sections read', () => {
  const root = mkdtempSync(join(tmpdir(), 'telltale-eval-sets-'));
  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
  });
  const touch = (path: string, text = ''): void => {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  };

  it('reads MADEA days from file names', () => {
    expect(madeaDay('madea/monitoring/monitoring_2023-6-13_19_14_35.cap.gz')).toBe('2023-06-13');
    expect(madeaDay('madea/monitoring/monitoring_2023-5-31_10_11_20.cap.gz')).toBe('2023-05-31');
    expect(madeaDay('notes.txt')).toBeNull();
  });

  it('gives nothing when the datasets are absent', () => {
    expect(unseenCaptureSets(root)).toEqual([]);
    expect(inHomeCases(root)).toEqual([]);
  });

  it('makes one unseen set per IoT Sentinel device folder and the homes by day', () => {
    touch('iot-sentinel/labels.csv', 'mac,device\naa:aa:aa:aa:aa:01,HubA\naa:aa:aa:aa:aa:01,SwitchA\n');
    touch('iot-sentinel/HubA/Setup-A-1-STA.pcap.gz');
    touch('iot-sentinel/HubA/Setup-A-2-STA.pcap.gz');
    touch('iot-sentinel/SwitchA/Setup-A-1-STA.pcap.gz');
    touch('iot-sentinel/Unlabelled/Setup-A-1-STA.pcap.gz');
    touch('madea/monitoring/monitoring_2023-6-13_1_0_0.cap.gz');
    touch('madea/monitoring/monitoring_2023-6-12_23_0_0.cap.gz');
    touch('madea/monitoring/monitoring_2023-6-13_2_0_0.cap.gz');
    const sets = unseenCaptureSets(root);
    expect(sets.map((s) => [s.name, s.device, s.files.length])).toEqual([
      ['iot-sentinel/HubA', 'HubA', 2],
      ['iot-sentinel/SwitchA', 'SwitchA', 1],
    ]);
    const homes = inHomeCases(root);
    expect(homes.map((h) => [h.name, h.files.length])).toEqual([
      ['MADEA 2023-06-12', 1],
      ['MADEA 2023-06-13', 2],
      ['IoT Sentinel (all setups)', 3],
    ]);
  });
});
