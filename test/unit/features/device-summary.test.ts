import { describe, expect, it } from 'vitest';
import {
  deviceChunks,
  summarize,
  summaryColumns,
  summaryNames,
  SUMMARY_CHUNK_SECONDS,
  type SummarySource,
} from '../../../src-main/features/device-summary.ts';
import { Direction } from '../../../src-main/views/view-packet.ts';

const NAMES = [
  'frame_length',
  'size_bucket_le64',
  'dir_up',
  'iat_prev',
  'pkts_1s',
  'remote_port_443',
  'flow_age',
  'flow_first',
];

/** A log of `rows` packets: time, size and direction per row; size_bucket_le64 and dir_up filled in. */
function log(rows: { ts: number; size: number; up: boolean }[]): SummarySource {
  const width = NAMES.length;
  const features = new Float32Array(rows.length * width);
  rows.forEach((r, i) => {
    features[i * width + 1] = r.size <= 64 ? 1 : 0;
    features[i * width + 2] = r.up ? 1 : 0;
    features[i * width + 3] = 0.77; // the home's stream: never read
    features[i * width + 5] = 1;
  });
  return {
    width,
    features,
    ts: Float64Array.from(rows.map((r) => r.ts)),
    size: Int32Array.from(rows.map((r) => r.size)),
    direction: Uint8Array.from(rows.map((r) => (r.up ? Direction.UP : Direction.DOWN))),
  };
}

describe('device summaries', () => {
  it('averages only what a packet shows by itself, never the home stream or connection age', () => {
    expect(summaryColumns(NAMES)).toEqual([1, 2, 5, 7]);
    expect(summaryNames(NAMES).slice(0, 4)).toEqual([
      'mean_size_bucket_le64',
      'mean_dir_up',
      'mean_remote_port_443',
      'mean_flow_first',
    ]);
    expect(summaryNames(NAMES)).toContain('gap_p50_log');
  });

  it('summarises a heartbeat: rate, byte share, mean sizes, gaps and size repetition', () => {
    // 60 packets, one every 10 s, alternating 100 B up and 60 B down
    const rows = Array.from({ length: 60 }, (_, i) => ({
      ts: 1000 + 10 * i,
      size: i % 2 === 0 ? 100 : 60,
      up: i % 2 === 0,
    }));
    const src = log(rows);
    const names = summaryNames(NAMES);
    const out = new Float32Array(names.length);
    expect(
      summarize(
        src,
        rows.map((_, i) => i),
        summaryColumns(NAMES),
        out,
        0,
      ),
    ).toBe(names.length);
    const v = (name: string): number => out[names.indexOf(name)];
    expect(v('mean_size_bucket_le64')).toBeCloseTo(0.5, 6);
    expect(v('mean_dir_up')).toBeCloseTo(0.5, 6);
    expect(v('rate_per_minute_log')).toBeCloseTo(Math.log1p(60 / (590 / 60)) / Math.log1p(10_000), 5);
    expect(v('bytes_up_share')).toBeCloseTo(100 / 160, 5);
    expect(v('mean_size_up')).toBeCloseTo(100 / 1514, 5);
    expect(v('mean_size_down')).toBeCloseTo(60 / 1514, 5);
    const gap = Math.log1p(10_000) / Math.log1p(600_000);
    expect(v('gap_p10_log')).toBeCloseTo(gap, 5);
    expect(v('gap_p90_log')).toBeCloseTo(gap, 5);
    expect(v('distinct_sizes_per_packet')).toBeCloseTo(2 / 60, 6);
    expect(v('top_size_share')).toBeCloseTo(0.5, 6);
  });

  it('gives NaN, not a made-up number, where a direction or a gap is missing', () => {
    const src = log([{ ts: 5, size: 200, up: true }]);
    const names = summaryNames(NAMES);
    const out = new Float32Array(names.length);
    summarize(src, [0], summaryColumns(NAMES), out, 0);
    expect(out[names.indexOf('mean_size_down')]).toBeNaN();
    expect(out[names.indexOf('gap_p50_log')]).toBeNaN();
  });

  it('cuts chunks at every capture segment and every hour, and drops chunks too small to say anything', () => {
    const ts = Float64Array.from([
      0,
      10,
      20,
      30,
      40,
      50,
      60,
      70,
      80,
      90,
      100,
      110,
      SUMMARY_CHUNK_SECONDS + 5,
      4000,
      4001,
    ]);
    const segment = new Int32Array(ts.length);
    segment[14] = 1;
    const rows = [...ts.keys()];
    expect(deviceChunks(rows, ts, segment, SUMMARY_CHUNK_SECONDS, 1)).toEqual([
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
      [12, 13],
      [14],
    ]);
    expect(deviceChunks(rows, ts, segment, SUMMARY_CHUNK_SECONDS, 10)).toEqual([
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
    ]);
  });
});
