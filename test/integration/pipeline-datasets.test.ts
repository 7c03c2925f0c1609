/**
 * The whole packet path — read, decode, inventory, ground truth, the three observer views and
 * their features — over every capture in ../shared/datasets: nothing crashes, every packet is
 * accounted for in every view, every feature is finite and inside the spec's range, every
 * labelled device is seen, and the gateway we detect is the one the labels name. Skipped when the
 * datasets are absent.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GroundTruth } from '../../src-main/devices/ground-truth.ts';
import { analyzeCaptures } from '../../src-main/audit/capture-analysis.ts';
import { FeatureExtractor } from '../../src-main/features/feature-extractor.ts';
import { FEATURE_SPEC } from '../../src-main/features/feature-spec.ts';
import { VIEW_NAMES, type ViewName, type ViewPacket } from '../../src-main/views/view-packet.ts';

const DATASETS = resolve(import.meta.dirname, '../../../shared/datasets');
const present = existsSync(DATASETS);

function capturesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir).sort()) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) out.push(...capturesUnder(path));
    else if (/\.(pcap|pcapng|cap)(\.gz)?$/.test(entry)) out.push(path);
  }
  return out;
}

interface Home {
  name: string;
  dir: string;
  /** Folders holding captures of separate homes or setups are analysed one file at a time. */
  perFile: boolean;
}

const HOMES: Home[] = [
  { name: 'madea', dir: 'madea', perFile: false },
  { name: 'nku-lifecycle', dir: 'extras/nku-lifecycle', perFile: true },
  { name: 'ssi-tuya-plug', dir: 'extras/ssi-tuya-plug', perFile: false },
  { name: 'mud-devices', dir: 'extras/mud-devices', perFile: true },
  { name: 'iot-sentinel', dir: 'iot-sentinel', perFile: true },
];

describe.skipIf(!present)('the packet path on every capture in ../shared/datasets', () => {
  for (const home of HOMES) {
    it(`${home.name}: every packet accounted for in every view, features in range, devices and gateway found`, async () => {
      const dir = join(DATASETS, home.dir);
      const groundTruth = await GroundTruth.load(join(dir, 'labels.csv'));
      const files = capturesUnder(dir);
      expect(files.length).toBeGreaterThan(0);
      const extractors = Object.fromEntries(VIEW_NAMES.map((v) => [v, new FeatureExtractor(v)])) as Record<
        ViewName,
        FeatureExtractor
      >;
      const ranges = Object.fromEntries(
        VIEW_NAMES.map((v) => [v, FEATURE_SPEC.views[v].map((d) => d.range)]),
      ) as Record<ViewName, (readonly [number, number])[]>;
      const row = new Float32Array(256);
      const outOfRange: string[] = [];
      const onViewPacket = (view: ViewName, vp: ViewPacket): void => {
        const e = extractors[view];
        e.extract(vp, row, 0);
        for (let i = 0; i < e.length; i++) {
          const [lo, hi] = ranges[view][i];
          const v = row[i];
          if (!(v >= lo && v <= hi) && outOfRange.length < 5) outOfRange.push(`${view}.${e.names[i]}=${v}`);
        }
      };
      const seenLabels = new Set<number>();
      const gateways = new Set<string | null>();
      let packets = 0;
      const groups = home.perFile ? files.map((f) => [f]) : [files];
      for (const group of groups) {
        for (const e of Object.values(extractors)) e.reset();
        const analysis = await analyzeCaptures(group, {
          groundTruth,
          views: VIEW_NAMES,
          onViewPacket,
          onSegmentStart: () => {
            for (const e of Object.values(extractors)) e.reset();
          },
        });
        packets += analysis.packets;
        expect(analysis.packets).toBe(analysis.files.reduce((n, f) => n + f.packets, 0));
        for (const name of VIEW_NAMES) {
          const s = analysis.views[name]!.stats;
          expect(s.packetsIn).toBe(analysis.packets);
          expect(s.packetsOut - s.packetsSynthesised + s.packetsHidden).toBe(s.packetsIn);
          analysis.views[name]!.packetsByLabel.forEach((n, label) => {
            if (n > 0 && label < groundTruth.labels.length && name === 'lan') seenLabels.add(label);
          });
        }
        expect(analysis.views.lan!.stats.packetsHidden).toBe(0);
        const decodeProblems = analysis.files.reduce((n, f) => n + f.decodeMalformed, 0);
        expect(decodeProblems / Math.max(1, analysis.packets)).toBeLessThan(0.01);
        gateways.add(analysis.inventory.gatewayMac());
      }
      expect(outOfRange).toEqual([]);
      expect(packets).toBeGreaterThan(0);
      // Every labelled device of a single-home set appears in the LAN view.
      if (!home.perFile) expect(seenLabels.size).toBe(groundTruth.labels.length);
      const labelledGateways = groundTruth.entries.filter((e) => e.infrastructure).map((e) => e.mac);
      if (!home.perFile && labelledGateways.length > 0) {
        expect([...gateways].every((g) => g !== null && labelledGateways.includes(g))).toBe(true);
      }
    });
  }
});
