/**
 * The per-packet export (audit/packet-labels.ts) on a real capture from another lab (the NKU
 * plug's 68 minutes, ../shared/datasets/extras): written as the packets are labelled, it holds
 * the same rows and answers as `telltale analyze --view napt --csv`, which labels the whole view at
 * once, plus each packet's device; its parts end at line ends and join to the file. Skipped when
 * the dataset is absent.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writePacketLabels } from '../../src-main/audit/packet-labels.ts';
import { GroundTruth } from '../../src-main/devices/ground-truth.ts';
import { DeviceIdentifier } from '../../src-main/inference/device-identifier.ts';
import { runCli } from './run-cli.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const NKU = resolve(ROOT, '../shared/datasets/extras/nku-lifecycle');
const CAPTURE = join(NKU, 'xiaodu_plug/xiaodu_plug.pcap.gz');
const PLUG = 'f4:21:ae:9e:8f:cb';

const work = mkdtempSync(join(tmpdir(), 'telltale-packet-labels-'));
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

/** CSV lines split into cells (the files hold no quoted cells: names without commas). */
function rows(text: string): string[][] {
  return text
    .trim()
    .split('\n')
    .map((l) => l.split(','));
}

describe.skipIf(!existsSync(CAPTURE))('per-packet labels', () => {
  it('writes what analyze --view writes, with each packet’s device, in parts that join to the file', async () => {
    const cli = await runCli([
      'analyze',
      CAPTURE,
      '--labels',
      join(NKU, 'labels.csv'),
      '--view',
      'napt',
      '--csv',
      join(work, 'cli'),
    ]);
    expect(cli.code).toBe(0);
    const expected = rows(readFileSync(join(work, 'cli/packets.csv'), 'utf8'));

    const identifier = await DeviceIdentifier.open(join(ROOT, 'models'), 'napt');
    const out = join(work, 'packets.csv');
    let file;
    try {
      file = await writePacketLabels([CAPTURE], {
        view: 'napt',
        identifier,
        groundTruth: GroundTruth.loadSync(join(NKU, 'labels.csv')),
        out,
        partBytes: 100_000,
      });
    } finally {
      await identifier.close();
    }
    const text = readFileSync(out, 'utf8');
    const got = rows(text);
    expect(got[0]).toEqual(['row', 'ts', 'device_mac', 'true_label', 'predicted', 'confidence']);
    expect(file.rows).toBe(got.length - 1);
    expect(file.rows).toBe(expected.length - 1);
    expect(file.rows).toBeGreaterThan(4096);
    // row, ts, true label, answer and confidence as analyze --view has them
    for (let i = 1; i < got.length; i++) {
      const [row, ts, mac, truth, predicted, confidence] = got[i];
      expect([row, ts, truth, predicted, confidence], `row ${i}`).toEqual(expected[i]);
      expect(mac, `row ${i}`).toBe(PLUG);
    }
    expect(got.slice(1).every((r) => r[3] === 'Baidu Xiaodu Plug')).toBe(true);
    // the parts start at line starts and cover the file
    expect(file.partStarts.length).toBeGreaterThan(1);
    expect(file.bytes).toBe(Buffer.byteLength(text));
    const buffer = Buffer.from(text);
    for (const start of file.partStarts.slice(1)) expect(buffer[start - 1]).toBe(0x0a);
  }, 120_000);
});
