/**
 * A view log with a row limit (live sessions) keeps the newest rows, exactly as an unlimited log
 * has them, and drops nothing while a reader holds it.
 */
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeCaptures } from '../../../src-main/audit/capture-analysis.ts';
import { ViewLog } from '../../../src-main/audit/view-log.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const CAPTURE = join(ROOT, 'test/fixtures/decode/tuya-plug-active-1-600.pcap');

async function fill(logs: ViewLog[], beforeEach?: (row: number) => void): Promise<void> {
  let row = 0;
  await analyzeCaptures([CAPTURE, CAPTURE, CAPTURE, CAPTURE], {
    views: ['lan'],
    onViewPacket: (_v, vp) => {
      beforeEach?.(row++);
      for (const log of logs) log.add(vp);
    },
    onSegmentStart: (segment) => {
      for (const log of logs) log.startSegment(segment);
    },
  });
}

describe('ViewLog row limit', () => {
  it('drops the oldest half when full and keeps the newest rows unchanged', async () => {
    const all = new ViewLog('lan');
    const limited = new ViewLog('lan', 1024);
    await fill([all, limited]);
    expect(all.rows).toBe(2400);
    expect(limited.rows).toBeLessThanOrEqual(1024);
    expect(limited.rows + limited.dropped).toBe(all.rows);
    const from = limited.dropped;
    const w = all.width;
    for (let i = 0; i < limited.rows; i++) {
      expect(limited.ts[i]).toBe(all.ts[from + i]);
      expect(limited.size[i]).toBe(all.size[from + i]);
      expect(limited.flow[i]).toBe(all.flow[from + i]);
      expect(limited.segment[i]).toBe(all.segment[from + i]);
      expect(limited.macs[limited.device[i]]).toBe(all.macs[all.device[from + i]]);
    }
    expect(Array.from(limited.features.subarray(0, limited.rows * w))).toEqual(
      Array.from(all.features.subarray(from * w, (from + limited.rows) * w)),
    );
    expect(limited.firstTs).toBe(all.ts[from]);
  });

  it('drops nothing while held, and again once released', async () => {
    const log = new ViewLog('lan', 1024);
    await fill([log], (row) => {
      if (row === 0) log.hold();
      if (row === 2000) log.release();
    });
    // held through row 2000: grew to 2048 instead of dropping; once released and full, it keeps
    // the newest 512 (half the limit) and then takes the last 352
    expect(log.rows + log.dropped).toBe(2400);
    expect(log.dropped).toBe(1536);
    expect(log.rows).toBe(864);
  });
});
