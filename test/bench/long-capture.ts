/**
 * `npx tsx test/bench/long-capture.ts [--device "Ring Doorbell"] [--days 7] [--out FILE]`
 *
 * Builds a long single-device capture from real data (never committed): the device's own frames
 * (source or destination MAC) in its longest-lasting continuous stretch of MADEA (no gap over 5 min), laid
 * end to end, each copy's time stamps shifted by the stretch's length, until `--days` are filled;
 * written as a classic pcap with capture/pcap-writer.ts. The what-if benchmark (test/bench/bench.ts)
 * audits it; `telltale analyze FILE --labels ../shared/datasets/madea/labels.csv --findings` does
 * the same by hand.
 */
import { join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { parseArgs } from 'node:util';
import { readCaptureFile } from '../../src-main/capture/capture-file.ts';
import type { RawPacket } from '../../src-main/capture/packet-source.ts';
import { writePcapFile } from '../../src-main/capture/pcap-writer.ts';
import { decodePacket } from '../../src-main/decode/decode-packet.ts';
import { GroundTruth } from '../../src-main/devices/ground-truth.ts';
import { madeaCaptures } from '../../src-main/evaluation/datasets.ts';

const DATASETS = resolve(import.meta.dirname, '../../../shared/datasets');
/** A longer silence than this ends a continuous stretch (the audit's own segment gap). */
const GAP_SECONDS = 300;

export async function buildLongCapture(
  device: string,
  days: number,
  out: string,
): Promise<{ packets: number; seconds: number }> {
  const { captures, labels } = madeaCaptures(DATASETS);
  const truth = GroundTruth.loadSync(labels);
  const entry = truth.entries.find((e) => e.device === device);
  if (entry === undefined) throw new Error(`${labels}: no device "${device}"`);
  const frames: RawPacket[] = [];
  for (const file of captures) {
    await readCaptureFile(file, (batch) => {
      for (const p of batch) {
        const d = decodePacket(p);
        if (d.srcMac === entry.mac || d.dstMac === entry.mac) frames.push({ ...p, bytes: p.bytes.slice() });
      }
    });
  }
  frames.sort((a, b) => a.ts - b.ts);
  // the longest-lasting stretch without a gap over GAP_SECONDS
  let best = [0, 0];
  let start = 0;
  for (let i = 1; i <= frames.length; i++) {
    if (i === frames.length || frames[i].ts - frames[i - 1].ts > GAP_SECONDS) {
      const long = (a: number, b: number): number => frames[b - 1].ts - frames[a].ts;
      if (long(start, i) > long(best[0], Math.max(best[0] + 1, best[1]))) best = [start, i];
      start = i;
    }
  }
  const stretch = frames.slice(best[0], best[1]);
  if (stretch.length < 2) throw new Error(`${device}: no continuous stretch of traffic in MADEA`);
  const t0 = stretch[0].ts;
  // one more gap-sized pause's worth would start a new segment: lay copies a second apart
  const length = stretch[stretch.length - 1].ts - t0 + 1;
  const target = days * 86_400;
  const copies = Math.ceil(target / length);
  function* tiled(): Generator<RawPacket> {
    for (let k = 0; k < copies; k++)
      for (const p of stretch) {
        const ts = p.ts + k * length;
        if (ts - t0 > target) return;
        yield { ...p, ts };
      }
  }
  const packets = writePcapFile(out, tiled(), stretch[0].linkType);
  return { packets, seconds: Math.min(target, copies * length) };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      device: { type: 'string', default: 'Ring Doorbell' },
      days: { type: 'string', default: '7' },
      out: { type: 'string' },
    },
  });
  const out = values.out ?? join(tmpdir(), 'telltale-long-capture.pcap');
  const r = await buildLongCapture(values.device, Number(values.days), out);
  console.log(
    `${out}: ${r.packets} packets of ${values.device} over ${(r.seconds / 86_400).toFixed(2)} days`,
  );
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
