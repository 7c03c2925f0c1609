import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  defaultModel,
  findModel,
  loadManifest,
  ManifestError,
  parseManifest,
  verifyModel,
} from '../../../src-main/inference/model-manifest.ts';

const FIXTURES = resolve(import.meta.dirname, '../../fixtures/models');
const fixtureJson = (): Record<string, unknown> =>
  JSON.parse(readFileSync(join(FIXTURES, 'manifest.json'), 'utf8')) as Record<string, unknown>;
const work = mkdtempSync(join(tmpdir(), 'telltale-manifest-'));
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe('loadManifest', () => {
  it('reads the fixture manifest with its defaults per view', () => {
    const m = loadManifest(FIXTURES);
    expect(m.models.map((x) => x.id)).toEqual(['fixture-rf-napt', 'fixture-blstm-vpn', 'fixture-lstm-napt']);
    expect(defaultModel(m, 'napt').kind).toBe('random-forest');
    expect(defaultModel(m, 'vpn')).toMatchObject({
      kind: 'blstm',
      window: 8,
      stride: 4,
      unknownThreshold: 0.6,
    });
    expect(findModel(m, 'fixture-lstm-napt').features).toHaveLength(44);
    for (const model of m.models) verifyModel(m, model);
  });

  it('names the file and the field at fault', () => {
    const doc = fixtureJson();
    (doc.models as Record<string, unknown>[])[1].window = 0;
    expect(() => parseManifest(doc, 'x/manifest.json', 'x')).toThrow(
      'x/manifest.json: models[1] (fixture-blstm-vpn).window: expected a positive integer',
    );
    const noDefault = fixtureJson();
    noDefault.defaults = { napt: 'fixture-rf-napt', vpn: 'nope' };
    expect(() => parseManifest(noDefault, 'm.json', '.')).toThrow(
      'm.json: defaults.vpn: no model with id "nope"',
    );
    const wrongView = fixtureJson();
    wrongView.defaults = { napt: 'fixture-blstm-vpn', vpn: 'fixture-blstm-vpn' };
    expect(() => parseManifest(wrongView, 'm.json', '.')).toThrow(
      /defaults.napt: model "fixture-blstm-vpn" is for the vpn view/,
    );
    const badVersion = fixtureJson();
    badVersion.formatVersion = 2;
    expect(() => parseManifest(badVersion, 'm.json', '.')).toThrow(/formatVersion: expected 1, found 2/);
    const dupLabels = fixtureJson();
    (dupLabels.models as Record<string, unknown>[])[0].labels = ['a', 'a'];
    expect(() => parseManifest(dupLabels, 'm.json', '.')).toThrow(
      /models\[0\] \(fixture-rf-napt\).labels: class names must be unique/,
    );
    expect(() => findModel(loadManifest(FIXTURES), 'nope')).toThrow(
      /no model "nope" \(models: fixture-rf-napt/,
    );
  });

  it('reads the classes that stand for a firmware platform, and refuses one that is not a class', () => {
    expect(defaultModel(loadManifest(FIXTURES), 'napt').labelPlatforms.size).toBe(0);
    const doc = fixtureJson();
    const first = (doc.models as Record<string, unknown>[])[0];
    const cls = (first.labels as string[])[0];
    first.labelPlatforms = {
      [cls]: { platform: 'Tuya', macAssignee: 'Tuya Smart Inc.', evidence: 'port 6667' },
    };
    expect(parseManifest(doc, 'm.json', '.').models[0].labelPlatforms.get(cls)).toEqual({
      platform: 'Tuya',
      macAssignee: 'Tuya Smart Inc.',
      evidence: 'port 6667',
    });
    first.labelPlatforms = { Nope: { platform: 'Tuya', macAssignee: 'Tuya Smart Inc.', evidence: 'e' } };
    expect(() => parseManifest(doc, 'm.json', '.')).toThrow(
      'm.json: models[0] (fixture-rf-napt).labelPlatforms: "Nope" is not one of the labels',
    );
    first.labelPlatforms = { [cls]: { platform: 'Tuya', evidence: 'e' } };
    expect(() => parseManifest(doc, 'm.json', '.')).toThrow(
      /labelPlatforms\.Fixture Plug\.macAssignee: expected a non-empty string/,
    );
  });

  it('reports a missing or unparsable manifest with its path', () => {
    expect(() => loadManifest(work)).toThrow(ManifestError);
    expect(() => loadManifest(work)).toThrow(`${join(work, 'manifest.json')}: cannot read the manifest`);
    writeFileSync(join(work, 'manifest.json'), '{ nope');
    expect(() => loadManifest(work)).toThrow(/manifest.json: not valid JSON/);
  });

  it('rejects a model file whose SHA-256 or size does not match', () => {
    const dir = mkdtempSync(join(work, 'sha-'));
    const doc = fixtureJson();
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(doc));
    for (const f of ['fixture-rf-napt.onnx', 'fixture-blstm-vpn.onnx', 'fixture-lstm-napt.onnx']) {
      copyFileSync(join(FIXTURES, f), join(dir, f));
    }
    const m = loadManifest(dir);
    verifyModel(m, m.models[0]);
    const bytes = readFileSync(join(dir, 'fixture-rf-napt.onnx'));
    bytes[bytes.length - 1] ^= 1;
    writeFileSync(join(dir, 'fixture-rf-napt.onnx'), bytes);
    expect(() => {
      verifyModel(m, m.models[0]);
    }).toThrow(/SHA-256 [0-9a-f]{64} does not match/);
    writeFileSync(join(dir, 'fixture-rf-napt.onnx'), bytes.subarray(1));
    expect(() => {
      verifyModel(m, m.models[0]);
    }).toThrow(/bytes, but .* records/);
    rmSync(join(dir, 'fixture-rf-napt.onnx'));
    expect(() => {
      verifyModel(m, m.models[0]);
    }).toThrow(/model file of "fixture-rf-napt" is missing/);
  });

  it('rejects a model whose features differ from the feature spec', () => {
    const doc = fixtureJson();
    const model = (doc.models as Record<string, unknown>[])[0];
    model.features = [...(model.features as string[])].reverse();
    const m = parseManifest(doc, join(FIXTURES, 'manifest.json'), FIXTURES);
    expect(() => {
      verifyModel(m, m.models[0]);
    }).toThrow(/expects features \[.*\], but this build's napt feature spec/);
  });
});
