/**
 * The wider catalog's device-level decision (inference/wide-catalog.ts) and how the audit takes
 * its answer (audit/exposure.ts `withWideCatalog`): a kind is named only when the forest's share,
 * the size profile's coverage and the name test all pass, and the bundled models' recognition
 * always stands.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { withWideCatalog } from '../../../src-main/audit/exposure.ts';
import type { IdentityExposure } from '../../../src-main/audit/audit-types.ts';
import { HistogramForest } from '../../../src-main/inference/histogram-forest.ts';
import { sizeKey } from '../../../src-main/inference/model-manifest.ts';
import {
  catalogNames,
  decideWide,
  WideCatalog,
  type WideCatalogFile,
} from '../../../src-main/inference/wide-catalog.ts';

const FILE = {
  kinds: ['Hue Bridge', 'TP-Link Plug'],
  profiles: [
    [sizeKey(0, 100), sizeKey(1, 200)],
    [sizeKey(0, 300), sizeKey(1, 400)],
  ],
  sites: [['meethue.com'], ['tplinkcloud.com']],
};

/** n packets all given kind 0, the first `covered` of them with a size of its profile. */
function hue(n: number, covered: number): { predicted: number[]; keys: number[] } {
  return {
    predicted: Array.from({ length: n }, () => 0),
    keys: Array.from({ length: n }, (_, i) => (i < covered ? sizeKey(0, 100) : sizeKey(0, 999))),
  };
}

describe('catalogNames', () => {
  it('keeps services: lower case, no trailing dot, no local, reverse or single-label names, each once', () => {
    expect(
      catalogNames([
        'Bridge.MeetHue.com.',
        'bridge.meethue.com',
        'printer.local',
        '4.3.2.1.in-addr.arpa',
        'wpad',
      ]),
    ).toEqual(['bridge.meethue.com']);
  });
});

describe('decideWide', () => {
  it('names the kind when share, size coverage and a name of its own site all pass', () => {
    const { predicted, keys } = hue(100, 90);
    const d = decideWide(FILE, predicted, keys, ['bridge.meethue.com', 'pool.ntp.org'], 100);
    expect(d).toMatchObject({ kind: 'Hue Bridge', top: 'Hue Bridge', share: 1, coverage: 0.9, sampled: 100 });
    expect(d.names).toEqual(['bridge.meethue.com']);
  });

  it('names nothing without a host name of the kind’s own sites, however sure the forest is', () => {
    const { predicted, keys } = hue(100, 100);
    expect(decideWide(FILE, predicted, keys, ['pool.ntp.org', 'tplinkcloud.com'], 100).kind).toBeNull();
    expect(decideWide(FILE, predicted, keys, [], 100)).toMatchObject({ kind: null, top: 'Hue Bridge' });
  });

  it('names nothing when the sizes are not the kind’s, the share is split, or the device sent too little', () => {
    const names = ['bridge.meethue.com'];
    const off = hue(100, 84);
    expect(decideWide(FILE, off.predicted, off.keys, names, 100).kind).toBeNull();
    const split = hue(100, 100);
    for (let i = 0; i < 51; i++) split.predicted[i] = 1;
    expect(decideWide(FILE, split.predicted, split.keys, names, 100)).toMatchObject({
      kind: null,
      top: 'TP-Link Plug',
    });
    const few = hue(19, 19);
    expect(decideWide(FILE, few.predicted, few.keys, names, 19).kind).toBeNull();
    expect(decideWide(FILE, [], [], names, 0)).toMatchObject({ kind: null, top: null, sampled: 0 });
  });
});

describe('WideCatalog', () => {
  // a forest that tells the two kinds apart by one feature: 0 is the bridge, 1 the plug
  const x = Float32Array.from([0, 0, 0, 1, 1, 1]);
  const forest = HistogramForest.train(x, 6, 1, [0, 0, 0, 1, 1, 1], 2, { trees: 3, seed: 1 });
  const file: WideCatalogFile = {
    formatVersion: 1,
    view: 'napt',
    features: ['f'],
    kinds: FILE.kinds,
    members: [['HueBridge', 'HueSwitch'], ['TP-LinkPlugHS110']],
    profiles: FILE.profiles,
    sites: FILE.sites,
    rowsPerDevice: 4,
    trainedOn: 'a test',
    heldOut: [{ dataset: 'iot-sentinel', instances: 40, kinds: 2, named: 1 }],
    forest: forest.toJSON(),
  };

  it('reads evenly spaced rows of a longer sample, and says how it held on unseen kinds', () => {
    const catalog = WideCatalog.fromFile(file);
    // 8 rows: the even ones are the plug's, the odd ones the bridge's; 4 evenly spaced rows are 0, 2, 4, 6
    const rows = Float32Array.from([1, 0, 1, 0, 1, 0, 1, 0]);
    const dirs = [0, 1, 0, 1, 0, 1, 0, 1];
    const sizes = [300, 200, 300, 200, 300, 200, 300, 200];
    const d = catalog.decide(rows, dirs, sizes, ['Devs.TPLinkCloud.com.'], 40);
    expect(d).toMatchObject({ kind: 'TP-Link Plug', sampled: 4, share: 1, coverage: 1 });
    expect(d.names).toEqual(['devs.tplinkcloud.com']);
    expect(d.heldOut).toEqual({ instances: 40, named: 1 });
    expect(catalog.kindOf('HueSwitch')).toBe('Hue Bridge');
    expect(catalog.kindOf('Ring Doorbell')).toBeNull();
  });

  it('is absent without its file, and a damaged file is named in the error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'telltale-wide-'));
    try {
      expect(WideCatalog.load(join(dir, 'catalog-wide-napt.json'))).toBeNull();
      writeFileSync(join(dir, 'catalog-wide-napt.json'), '{"formatVersion": 1, "kin');
      expect(() => WideCatalog.load(join(dir, 'catalog-wide-napt.json'))).toThrow(
        /catalog-wide-napt\.json: not a model file .*run npm run eval/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a file whose parts disagree', () => {
    expect(() => WideCatalog.fromFile({ ...file, sites: [['meethue.com']] })).toThrow(/2 kinds/);
    expect(() => WideCatalog.fromFile({ ...file, features: ['f', 'g'] })).toThrow(/reads 1 features/);
  });
});

describe('withWideCatalog', () => {
  const catalog = WideCatalog.fromFile({
    formatVersion: 1,
    view: 'napt',
    features: ['f'],
    kinds: FILE.kinds,
    members: [['HueBridge'], ['TP-LinkPlugHS110']],
    profiles: FILE.profiles,
    sites: FILE.sites,
    rowsPerDevice: 10,
    trainedOn: '',
    heldOut: [],
    forest: HistogramForest.train(Float32Array.from([0, 1]), 2, 1, [0, 1], 2, { trees: 1 }).toJSON(),
  });
  const base: IdentityExposure = {
    packets: 100,
    className: 'Ring Doorbell',
    classSource: 'lookalike',
    recognisedShare: 0.7,
    unknownShare: 0,
    topLabel: 'Ring Doorbell',
    topShare: 0.7,
    meanConfidence: 0.9,
    evidence: 'not-recognised',
    topModelClass: 'Ring Doorbell',
    topModelShare: 0.7,
    platform: null,
    profileCoverage: 0.4,
    category: null,
    recognisedBy: null,
    wide: null,
  };
  const hueSays = decideWide(FILE, hue(50, 50).predicted, hue(50, 50).keys, ['bridge.meethue.com'], 100);

  it('makes a kind it names the recognition, judged against the labels through its members', () => {
    const id = withWideCatalog(base, hueSays, catalog, 'HueBridge');
    expect(id).toMatchObject({
      evidence: 'recognised',
      recognisedBy: 'wide',
      topModelClass: 'Hue Bridge',
      className: 'Hue Bridge',
      classSource: 'labels',
      recognisedShare: 1,
      profileCoverage: 1,
    });
    // a labelled device of a kind the catalog does not have is a look-alike, with no share of its own
    expect(withWideCatalog(base, hueSays, catalog, 'Some Camera')).toMatchObject({
      classSource: 'lookalike',
      className: 'Hue Bridge',
    });
    expect(withWideCatalog(base, hueSays, catalog, 'TP-LinkPlugHS110')).toMatchObject({
      className: 'TP-Link Plug',
      recognisedShare: 0,
    });
    expect(withWideCatalog(base, hueSays, catalog, null).classSource).toBe('model');
  });

  it('leaves the models’ recognition, and a device it does not name, as they were (with its answer kept)', () => {
    const models = { ...base, evidence: 'recognised' as const, recognisedBy: 'models' as const };
    expect(withWideCatalog(models, hueSays, catalog, 'HueBridge')).toEqual({ ...models, wide: hueSays });
    const unnamed = decideWide(FILE, hue(50, 50).predicted, hue(50, 50).keys, [], 100);
    expect(withWideCatalog(base, unnamed, catalog, 'HueBridge')).toEqual({ ...base, wide: unnamed });
    expect(withWideCatalog(base, null, null, 'HueBridge')).toBe(base);
  });
});
