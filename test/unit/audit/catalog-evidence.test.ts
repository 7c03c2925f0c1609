/**
 * The catalog's device-level test: a device is recognised as the model's top class only with
 * enough packets, a majority for that class, and the packet sizes of that class's own traffic.
 */
import { describe, expect, it } from 'vitest';
import {
  CATALOG_MIN_COVERAGE,
  CATALOG_MIN_PACKETS,
  catalogEvidence,
  identityOf,
  rightlyRecognised,
} from '../../../src-main/audit/exposure.ts';
import type { DeviceIdentifier } from '../../../src-main/inference/device-identifier.ts';
import { sizeKey, type LabelPlatform } from '../../../src-main/inference/model-manifest.ts';
import type { IdentityExposure } from '../../../src-main/audit/audit-types.ts';

const LABELS = ['Nest Camera', 'Amazon Plug'];
/** A stand-in for the identifier: identityOf reads only its labels and its model's profile. */
function identifier(profile: boolean, platforms = new Map<string, LabelPlatform>()): DeviceIdentifier {
  return {
    labels: LABELS,
    model: {
      labels: LABELS,
      labelMembers: {},
      labelPlatforms: platforms,
      sizeProfile: profile
        ? new Map([
            ['Nest Camera', new Set([sizeKey(0, 1514), sizeKey(1, 66)])],
            ['Amazon Plug', new Set([sizeKey(0, 120), sizeKey(1, 90)])],
          ])
        : null,
    },
  } as unknown as DeviceIdentifier;
}

/** A device's answers: `n` packets, `camera` of them named Nest Camera, sizes as given. */
function said(n: number, camera: number, sizes: [number, number, number][]) {
  const answers = new Float64Array([camera, n - camera, 0]);
  return {
    answers,
    confidence: new Float64Array([camera * 0.9, (n - camera) * 0.9, 0]),
    best: new Float64Array([camera, n - camera]),
    sizes: new Map(sizes.map(([d, z, k]) => [sizeKey(d, z), k])),
  };
}

describe('the catalog’s device-level test', () => {
  it('recognises a device whose packets have its class’s sizes', () => {
    const id = identityOf(
      identifier(true),
      said(100, 90, [
        [0, 1514, 60],
        [1, 66, 35],
        [0, 300, 5],
      ]),
      null,
    );
    expect(id.evidence).toBe('recognised');
    expect(id.topModelClass).toBe('Nest Camera');
    expect(id.topModelShare).toBeCloseTo(0.9);
    expect(id.profileCoverage).toBeCloseTo(0.95);
  });

  it('rejects a device the model names confidently but whose packets have another shape', () => {
    const id = identityOf(
      identifier(true),
      said(100, 100, [
        [0, 1514, 20],
        [0, 300, 80],
      ]),
      null,
    );
    expect(id.topModelShare).toBe(1);
    expect(id.profileCoverage).toBeCloseTo(0.2);
    expect(id.evidence).toBe('not-recognised');
  });

  it('recognises nothing without size profiles, with too few packets, or without a majority', () => {
    expect(identityOf(identifier(false), said(100, 90, [[0, 1514, 100]]), null).evidence).toBe(
      'not-recognised',
    );
    expect(catalogEvidence(CATALOG_MIN_PACKETS - 1, 1, 1)).toBe('not-recognised');
    expect(catalogEvidence(CATALOG_MIN_PACKETS, 1, 1)).toBe('recognised');
    expect(catalogEvidence(100, 0.49, 1)).toBe('not-recognised');
    expect(catalogEvidence(100, 0.9, CATALOG_MIN_COVERAGE - 0.01)).toBe('not-recognised');
    expect(catalogEvidence(100, 0.9, CATALOG_MIN_COVERAGE)).toBe('recognised');
  });
});

describe('rightlyRecognised', () => {
  const base: IdentityExposure = {
    packets: 100,
    className: 'Nest Camera',
    classSource: 'labels',
    recognisedShare: 0.9,
    unknownShare: 0,
    topLabel: 'Nest Camera',
    topShare: 0.9,
    meanConfidence: 0.9,
    evidence: 'recognised',
    topModelClass: 'Nest Camera',
    topModelShare: 0.9,
    platform: null,
    profileCoverage: 0.95,
    category: null,
    recognisedBy: 'models',
    wide: null,
  };
  it('is right only when the labelled class is the one recognised', () => {
    expect(rightlyRecognised(base)).toBe(true);
    expect(rightlyRecognised({ ...base, topModelClass: 'Amazon Plug' })).toBe(false);
  });
  it('never calls a device of a kind the models do not know rightly recognised', () => {
    // a lookalike's className is the model's answer, so it always equals topModelClass
    expect(rightlyRecognised({ ...base, classSource: 'lookalike' })).toBe(false);
  });
  it('lets an unlabelled recognition stand, and needs a recognition at all', () => {
    expect(rightlyRecognised({ ...base, classSource: 'model' })).toBe(true);
    expect(rightlyRecognised({ ...base, evidence: 'not-recognised' })).toBe(false);
  });
});

describe('a class that stands for a firmware platform', () => {
  const tuya = new Map<string, LabelPlatform>([
    ['Amazon Plug', { platform: 'Tuya', macAssignee: 'Tuya Smart Inc.', evidence: 'port 6667' }],
  ]);
  // 90 of 100 packets the plug class's, all of its sizes
  const plugLike = () =>
    said(100, 10, [
      [0, 120, 60],
      [1, 90, 40],
    ]);

  it('names the platform, and judges a labelled device of another brand on its module as rightly recognised', () => {
    const id = identityOf(identifier(true, tuya), plugLike(), 'Tuya Smart Power Plug', 'Tuya Smart Inc.');
    expect(id.evidence).toBe('recognised');
    expect(id.topModelClass).toBe('Amazon Plug');
    expect(id.platform).toBe('Tuya');
    expect(id.classSource).toBe('platform');
    expect(id.className).toBe('Amazon Plug');
    expect(rightlyRecognised(id)).toBe(true);
  });

  it('keeps a device whose MAC block is another maker’s a look-alike', () => {
    const id = identityOf(identifier(true, tuya), plugLike(), 'Some Plug', 'Espressif Inc.');
    expect(id.platform).toBe('Tuya');
    expect(id.classSource).toBe('lookalike');
    expect(rightlyRecognised(id)).toBe(false);
  });

  it('leaves a product class and an unlabelled device as they were', () => {
    const unlabelled = identityOf(identifier(true, tuya), plugLike(), null, 'Tuya Smart Inc.');
    expect(unlabelled.classSource).toBe('model');
    expect(unlabelled.platform).toBe('Tuya');
    const product = identityOf(identifier(true), plugLike(), 'Tuya Smart Power Plug', 'Tuya Smart Inc.');
    expect(product.platform).toBeNull();
    expect(product.classSource).toBe('lookalike');
  });
});
