/**
 * Every bundled model (models/manifest.json, when the training recipe has produced it) and every
 * fixture model through the real runtime: onnxruntime-node in a worker thread. Checks file
 * integrity, output shapes, the label set, that probabilities sum to 1, agreement with the fixture
 * generator's independent Python windowing, and `telltale analyze --view` end to end.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './run-cli.ts';
import { DeviceIdentifier } from '../../src-main/inference/device-identifier.ts';
import {
  loadManifest,
  modelPath,
  sha256File,
  type ModelManifest,
} from '../../src-main/inference/model-manifest.ts';
import { OnnxScorer } from '../../src-main/inference/onnx-scorer.ts';
import { poolOverFlows } from '../../src-main/inference/flow-pooling.ts';
import { UNKNOWN_LABEL } from '../../src-main/inference/window-stitching.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const FIXTURE_MODELS = join(ROOT, 'test/fixtures/models');
const BUNDLED_MODELS = join(ROOT, 'models');
const TUYA = join(ROOT, 'test/fixtures/decode/tuya-plug-active-1-600.pcap');
const TUYA_LABELS = join(ROOT, 'test/fixtures/labels/ssi-tuya-plug.csv');

const manifests: { name: string; manifest: ModelManifest }[] = [
  { name: 'fixtures', manifest: loadManifest(FIXTURE_MODELS) },
  ...(existsSync(join(BUNDLED_MODELS, 'manifest.json'))
    ? [{ name: 'bundled', manifest: loadManifest(BUNDLED_MODELS) }]
    : []),
];
const work = mkdtempSync(join(tmpdir(), 'telltale-inference-'));
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

/** Seeded pseudo-random features in [0, 1). */
function randomRows(n: number, f: number, seed: number): Float32Array {
  const rows = new Float32Array(n * f);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < rows.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    rows[i] = (x >>> 0) / 2 ** 32;
  }
  return rows;
}

describe.each(manifests)('$name models', ({ manifest }) => {
  it.each(manifest.models.map((m) => [m.id, m] as const))(
    '%s: intact file, shapes, labels, probabilities',
    async (_id, model) => {
      expect(sha256File(modelPath(manifest, model))).toBe(model.sha256);
      const identifier = await DeviceIdentifier.openModel(manifest, model);
      try {
        expect(identifier.labels).toEqual(model.labels);
        const f = model.features.length;
        const c = model.labels.length;
        // A short run (padded when the model has a window), a long one and a single packet.
        const runs = [Math.max(1, model.window - 1), 3 * model.window + 5, 1];
        const n = runs.reduce((a, b) => a + b, 0);
        const result = await identifier.labelRuns(randomRows(n, f, 42), n, runs, true);
        expect(result.labelIndex).toHaveLength(n);
        expect(result.probabilities).toHaveLength(n * c);
        for (let i = 0; i < n; i++) {
          let sum = 0;
          for (let k = 0; k < c; k++) {
            const p = result.probabilities![i * c + k];
            expect(p).toBeGreaterThanOrEqual(0);
            sum += p;
          }
          expect(sum).toBeCloseTo(1, 4);
          expect(result.bestIndex[i]).toBeGreaterThanOrEqual(0);
          expect(result.bestIndex[i]).toBeLessThan(c);
          const unknown = result.confidence[i] < model.unknownThreshold;
          expect(result.labelIndex[i]).toBe(unknown ? UNKNOWN_LABEL : result.bestIndex[i]);
        }
        // The raw model output has the contract's shape: [batch, W, C] (or [N, C]).
        const scorer = await OnnxScorer.open({
          modelPath: modelPath(manifest, model),
          input: model.input,
          output: model.output,
          window: model.window,
          featureCount: f,
          classCount: c,
        });
        try {
          const raw = await scorer.score(randomRows(2 * model.window, f, 7), 2);
          expect(raw).toHaveLength(2 * model.window * c);
          await expect(scorer.score(new Float32Array(3), 2)).rejects.toThrow(/floats for 2 windows/);
        } finally {
          await scorer.close();
        }
      } finally {
        await identifier.close();
      }
    },
  );
});

interface ReferenceRun {
  n: number;
  features: number[];
  probabilities: number[];
}

describe('fixture models against the Python reference', () => {
  const reference = JSON.parse(readFileSync(join(FIXTURE_MODELS, 'reference.json'), 'utf8')) as {
    models: Record<string, ReferenceRun[]>;
  };
  const manifest = loadManifest(FIXTURE_MODELS);

  it.each(manifest.models.map((m) => [m.id, m] as const))(
    '%s stitches as the recipe does',
    async (_id, model) => {
      const identifier = await DeviceIdentifier.openModel(manifest, model);
      try {
        for (const run of reference.models[model.id]) {
          const r = await identifier.labelRun(new Float32Array(run.features), run.n, true);
          run.probabilities.forEach((p, i) => {
            expect(Math.abs(r.probabilities![i] - p)).toBeLessThan(1e-5);
          });
        }
      } finally {
        await identifier.close();
      }
    },
  );

  it('labels a stream exactly as a batch, one window behind', async () => {
    const identifier = await DeviceIdentifier.open(FIXTURE_MODELS, 'vpn');
    try {
      const f = identifier.featureCount;
      const rows = randomRows(50, f, 3);
      const batch = await identifier.labelRun(rows, 50);
      const stream = identifier.createStream();
      const got: number[] = [];
      for (let i = 0; i < 50; i += 7) {
        const count = Math.min(7, 50 - i);
        const out = await stream.push(rows.slice(i * f, (i + count) * f), count);
        got.push(...out.bestIndex);
        expect(i + count - stream.nextPacket).toBeLessThanOrEqual(identifier.model.window);
      }
      got.push(...(await stream.endRun()).bestIndex);
      expect(got).toEqual(Array.from(batch.bestIndex));
    } finally {
      await identifier.close();
    }
  });

  it('reports a model file onnxruntime cannot open', async () => {
    await expect(
      OnnxScorer.open({
        modelPath: join(FIXTURE_MODELS, 'manifest.json'),
        input: 'features',
        output: 'probabilities',
        window: 1,
        featureCount: 44,
        classCount: 3,
      }),
    ).rejects.toThrow(/manifest.json: /);
  });
});

describe('telltale analyze --view', () => {
  const run = runCli;

  it('says per true device what the observer model answers, with per-packet labels in --json', async () => {
    const json = join(work, 'tuya-vpn.json');
    const r = await run([
      'analyze',
      TUYA,
      '--labels',
      TUYA_LABELS,
      '--view',
      'vpn',
      '--models',
      FIXTURE_MODELS,
      '--views',
      'napt',
      '--json',
      json,
    ]);
    expect(r.err).not.toMatch(/error/);
    expect(r.code).toBe(0);
    expect(r.out).toContain("What the VPN observer's model (fixture-blstm-vpn) says about each device");
    expect(r.out).toMatch(/Tuya Smart Power Plug\s+\d+\s+(Fixture \w+|unknown)\s+[\d.]+ %\s+[\d.]+ %\s+-/);
    const doc = JSON.parse(readFileSync(json, 'utf8')) as {
      views: Record<string, unknown>;
      identification: {
        view: string;
        model: string;
        devices: { device: string; packets: number }[];
        packets: { ts: number; trueLabel: string | null; predicted: string; confidence: number }[];
      };
    };
    expect(Object.keys(doc.views).sort()).toEqual(['napt', 'vpn']);
    const id = doc.identification;
    expect(id).toMatchObject({ view: 'vpn', model: 'fixture-blstm-vpn' });
    expect(id.packets.length).toBe(id.devices.reduce((a, d) => a + d.packets, 0));
    const p = id.packets[0];
    expect(['Fixture Plug', 'Fixture Camera', 'Fixture Bulb', 'unknown']).toContain(p.predicted);
    expect(p.confidence).toBeGreaterThan(0);
    expect(typeof p.ts).toBe('number');
    expect(id.packets.some((q) => q.trueLabel === 'Tuya Smart Power Plug')).toBe(true);
  });

  it('rejects a view without models and a missing models folder', async () => {
    const lan = await run(['analyze', TUYA, '--labels', TUYA_LABELS, '--view', 'lan']);
    expect(lan.code).toBe(1);
    expect(lan.err).toMatch(/--view: models exist for napt and vpn, not "lan"/);
    const missing = await run([
      'analyze',
      TUYA,
      '--labels',
      TUYA_LABELS,
      '--view',
      'napt',
      '--models',
      join(work, 'none'),
    ]);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/manifest.json: cannot read the manifest/);
  });
});

describe('flow pooling through the runtime', () => {
  const manifest = loadManifest(FIXTURE_MODELS);

  it('pools the stitched probabilities over flows for a model that asks for it, and only then', async () => {
    const pooledModel = manifest.models.find((m) => m.pooling !== null)!;
    const plainModel = manifest.models.find((m) => m.pooling === null && m.view === pooledModel.view)!;
    const f = pooledModel.features.length;
    const c = pooledModel.labels.length;
    const runs = [20, 13];
    const n = 33;
    const rows = randomRows(n, f, 3);
    const flows = Array.from({ length: n }, (_, i) => (i % 4 === 3 ? -1 : i % 3));
    const identifier = await DeviceIdentifier.openModel(manifest, pooledModel);
    try {
      const stitched = await identifier.labelRuns(rows, n, runs, true);
      const pooled = await identifier.labelRuns(rows, n, runs, true, flows);
      const expected = poolOverFlows(stitched.probabilities!, c, flows, runs, pooledModel.pooling!.epsilon);
      expect(pooled.probabilities).toEqual(expected);
      // packets 0 and 6 of the first run share flow 0; packet 3 has no flow and keeps its own vector
      expect(pooled.probabilities!.subarray(0, c)).toEqual(pooled.probabilities!.subarray(6 * c, 7 * c));
      expect(pooled.probabilities!.subarray(3 * c, 4 * c)).toEqual(
        stitched.probabilities!.subarray(3 * c, 4 * c),
      );
    } finally {
      await identifier.close();
    }
    const plain = await DeviceIdentifier.openModel(manifest, plainModel);
    try {
      const a = await plain.labelRuns(rows, n, runs, true);
      const b = await plain.labelRuns(rows, n, runs, true, flows);
      expect(b.probabilities).toEqual(a.probabilities);
    } finally {
      await plain.close();
    }
  });
});
