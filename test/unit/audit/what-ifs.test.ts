/**
 * The what-ifs' cost follows the packets looked at: one pass for every defence, and a capture
 * longer than the bound looked at in sampled blocks while its cost figures stay the whole
 * capture's.
 */
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AuditCollector } from '../../../src-main/audit/audit-collector.ts';
import { analyzeCaptures } from '../../../src-main/audit/capture-analysis.ts';
import { openObserverModels } from '../../../src-main/audit/home-audit.ts';
import {
  clipTimeline,
  runWhatIfs,
  sampleBudget,
  WHATIF_BLOCK_SECONDS,
  WHATIF_MAX_ROWS,
  whatIfSample,
  withLead,
  type WhatIfBatch,
} from '../../../src-main/audit/what-ifs.ts';
import type { WhatIf } from '../../../src-main/audit/audit-types.ts';
import { busySpan as span } from '../activity/synthetic-traffic.ts';
import type { Defence } from '../../../src-main/views/defences.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const MODELS = join(ROOT, 'test/fixtures/models');
const CAPTURE = join(ROOT, 'test/fixtures/decode/tuya-plug-active-1-600.pcap');

describe('whatIfSample', () => {
  it('looks at all of a capture within the bound', () => {
    expect(whatIfSample([{ start: 0, end: 86_400 }])).toBeNull();
    expect(
      whatIfSample([
        { start: 0, end: 50_000 },
        { start: 90_000, end: 126_400 },
      ]),
    ).toBeNull();
  });

  it('samples a week in blocks spread over all of it, in time order, within the coverage', () => {
    const coverage = [
      { start: 0, end: 3 * 86_400 },
      { start: 4 * 86_400, end: 8 * 86_400 },
    ];
    const blocks = whatIfSample(coverage)!;
    expect(blocks.map((b) => b.end - b.start)).toEqual([
      WHATIF_BLOCK_SECONDS,
      WHATIF_BLOCK_SECONDS,
      WHATIF_BLOCK_SECONDS,
      WHATIF_BLOCK_SECONDS,
    ]);
    const hours = whatIfSample(coverage, 86_400, 3600)!;
    expect(hours).toHaveLength(24);
    for (const b of [...blocks, ...hours])
      expect(coverage.some((c) => c.start <= b.start && b.end <= c.end)).toBe(true);
    for (let i = 1; i < hours.length; i++) expect(hours[i].start).toBeGreaterThan(hours[i - 1].start);
    // spread: the first hour in the first day, the last in the last one; most hours of the day drawn
    expect(hours[0].start).toBeLessThan(86_400);
    expect(hours[23].start).toBeGreaterThan(7 * 86_400);
    expect(new Set(hours.map((b) => (b.start % 86_400) / 3600)).size).toBeGreaterThan(12);
  });

  it('fills the sample from short covered stretches too, never from the gaps between them', () => {
    // 40 stretches of 50 min, 10-min gaps: 33 h covered
    const coverage = Array.from({ length: 40 }, (_, i) => ({ start: i * 3600, end: i * 3600 + 3000 }));
    const blocks = whatIfSample(coverage, 12 * 3600)!;
    expect(blocks.reduce((a, b) => a + b.end - b.start, 0)).toBe(12 * 3600);
    for (const b of blocks) expect(coverage.some((c) => c.start <= b.start && b.end <= c.end)).toBe(true);
  });

  it('shortens the sample so that all what-ifs together keep at most the row budget', () => {
    // a week of one quiet device: the default sample fits
    expect(sampleBudget(7 * 86_400, 15)).toEqual({ maxSeconds: 86_400, block: 6 * 3600, lead: 3600 });
    // a busy day: within the time bound, but 116 rows a second for 24 h is over 2 million rows
    const busy = sampleBudget(86_400, 116);
    expect(busy.maxSeconds).toBeLessThan(86_400);
    expect(116 * (busy.maxSeconds + 4 * busy.lead)).toBeCloseTo(WHATIF_MAX_ROWS, 0);
    expect(busy.block / busy.lead).toBeCloseTo(6, 6);
    expect(whatIfSample([{ start: 0, end: 86_400 }], busy.maxSeconds, busy.block)).toHaveLength(4);
    // no bound on rows: the whole capture
    expect(sampleBudget(86_400, 116, Infinity, 3600, 600, Infinity).maxSeconds).toBe(Infinity);
  });

  it('reads each block with a lead-in, never before its covered stretch, overlaps merged', () => {
    const coverage = [
      { start: 0, end: 10_000 },
      { start: 20_000, end: 30_000 },
    ];
    expect(
      withLead(
        [
          { start: 1000, end: 2000 },
          { start: 2500, end: 3000 },
          { start: 20_500, end: 21_000 },
        ],
        coverage,
        1000,
      ),
    ).toEqual([
      { start: 0, end: 3000 },
      { start: 20_000, end: 21_000 },
    ]);
  });

  it('clips a timeline to the spans and segments that overlap the sample', () => {
    const t = {
      start: 0,
      end: 10_000,
      segments: [
        { state: 'idle' as const, start: 0, end: 5000 },
        { state: 'busy' as const, start: 5000, end: 5100 },
        { state: 'idle' as const, start: 5100, end: 10_000 },
      ],
      spans: [span(100, 200), span(5000, 5100)],
      droppedSegments: 0,
      droppedSpans: 0,
    };
    const c = clipTimeline(t, [{ start: 4000, end: 6000 }]);
    expect(c.spans.map((s) => s.binStart)).toEqual([5000]);
    expect(c.segments).toHaveLength(3);
    expect(clipTimeline(t, [{ start: 9000, end: 9500 }]).segments).toHaveLength(1);
  });
});

describe('runWhatIfs on a real capture', () => {
  it('gives each what-if the same answer in one shared pass as alone, and keeps the whole capture’s cost when sampled', async () => {
    const identifiers = await openObserverModels(MODELS, ['napt', 'vpn']);
    try {
      const collector = new AuditCollector(['napt', 'vpn']);
      const analysis = await analyzeCaptures([CAPTURE], { views: collector.views, ...collector.hooks() });
      const audit = await collector.finish(analysis, identifiers, null);
      const defences: Defence[] = [
        { kind: 'padding', multiple: 64 },
        { kind: 'cover', packetsPerSecond: 5 },
      ];
      const batch = (runs: WhatIfBatch['runs'], over: Partial<WhatIfBatch> = {}): Promise<WhatIf[]> =>
        runWhatIfs({
          paths: [CAPTURE],
          runs,
          devices: audit.devices,
          baseline: audit.observers,
          coverage: audit.coverage,
          options: { modelsDir: MODELS },
          config: {},
          ...over,
        });
      const all = (['napt', 'vpn'] as const).flatMap((view) =>
        defences.map((defence) => ({ view, defence, identifier: identifiers.get(view)! })),
      );
      const together = await batch(all);
      expect(together.map((w) => w.id)).toEqual([
        'napt-pad-64',
        'napt-cover-5pps',
        'vpn-pad-64',
        'vpn-cover-5pps',
      ]);
      for (const [i, run] of all.entries()) expect(await batch([run])).toEqual([together[i]]);
      expect(together.every((w) => w.sample === null)).toBe(true);
      // sampled in 60-s blocks, 3 minutes of the capture's ~10: the cost is still the whole capture's
      const covered = audit.coverage.reduce((a, c) => a + c.end - c.start, 0);
      expect(covered).toBeGreaterThan(300);
      const sampled = await batch(all, { maxSampleSeconds: 180, sampleBlockSeconds: 60, leadSeconds: 30 });
      for (const [i, w] of sampled.entries()) {
        expect(w.sample).toMatchObject({ seconds: 180, ofSeconds: covered, blocks: 3 });
        // compared with the observer without the defence on the same sample, device by device
        const u = w.sample!.undefended;
        expect(u.spansTotal).toBe(w.spansTotal);
        expect(
          w.devices.every((d) => d.undefended !== null && d.undefended.spansTotal === d.spansTotal),
        ).toBe(true);
        expect(w.extraBytes).toBe(together[i].extraBytes);
        expect(w.dummyPackets).toBe(together[i].dummyPackets);
        expect(w.spansTotal).toBeLessThanOrEqual(together[i].spansTotal);
      }
      // bounded state: however the budget is set, the what-ifs together hold no more rows than it
      // allows (the undefended runs of the sample included), and the whole capture's cost is kept
      const wholeRows = together.reduce((a, w) => a + w.rows, 0);
      for (const maxRows of [20_000, 5000, 2000]) {
        const bounded = await batch(all, { maxRows });
        const held = bounded.reduce((a, w) => a + w.rows, 0);
        expect(held, `budget ${maxRows}`).toBeLessThanOrEqual(maxRows);
        if (maxRows < wholeRows) expect(bounded[0].sample).not.toBeNull();
        for (const [i, w] of bounded.entries()) expect(w.extraBytes).toBe(together[i].extraBytes);
      }
    } finally {
      for (const identifier of identifiers.values()) await identifier.close();
    }
  }, 120_000);
});
