/**
 * The batch record's CSV: one row per device with both observers side by side, cells quoted where
 * a name holds a comma, a quote or a line break, and a failed capture as one row with its error.
 */
import { describe, expect, it } from 'vitest';
import {
  batchCsvHeader,
  batchCsvRows,
  failedBatchResult,
  observerRow,
  type BatchResult,
} from '../../../src-main/audit/batch-summary.ts';
import type { ObserverAudit } from '../../../src-main/audit/audit-types.ts';

const result: BatchResult = {
  name: 'home/a.pcap',
  files: ['home/a.pcap'],
  packets: 10,
  start: 0,
  end: 60,
  seconds: 1.5,
  problems: [],
  observers: [],
  error: null,
  devices: [
    {
      mac: '02:00:00:00:00:01',
      name: 'Kitchen "plug", left',
      vendor: 'Tuya',
      trueLabel: null,
      category: null,
      packets: 10,
      bytes: 1000,
      busySeconds: 12.4,
      refusedAttempts: 674,
      observers: [
        {
          view: 'napt',
          packets: 8,
          evidence: 'looks-like',
          named: 'plug/switch',
          catalogRight: null,
          recognisedBy: null,
          recognisedShare: 0.5,
          inHomeShare: null,
          spansSeen: 1,
          spansTotal: 2,
          falseBusyPerDay: 0.25,
        },
      ],
    },
  ],
};

/** One CSV line's cells (RFC 4180 quoting). */
function parseLine(line: string): string[] {
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      cells.push(cell);
      cell = '';
    } else cell += ch;
  }
  cells.push(cell);
  return cells;
}

describe('batch CSV', () => {
  it('writes one row per device, quoting names, both observers in their columns', () => {
    const header = batchCsvHeader(['napt', 'vpn']);
    const [row] = batchCsvRows(result, ['napt', 'vpn']);
    expect(row).toContain('"Kitchen ""plug"", left"');
    const cells = parseLine(row);
    const at = (name: string) => cells[header.indexOf(name)];
    expect(cells).toHaveLength(header.length);
    expect(at('name')).toBe('Kitchen "plug", left');
    expect(at('busy_seconds')).toBe('12');
    expect(at('refused_attempts')).toBe('674');
    expect(at('napt_evidence')).toBe('looks-like');
    expect(at('napt_named')).toBe('plug/switch');
    expect(at('napt_catalog_right')).toBe('');
    expect(at('napt_recognised_by')).toBe('');
    expect(at('napt_recognised_share')).toBe('0.5000');
    expect(at('napt_in_home_share')).toBe('');
    expect(at('vpn_packets')).toBe('');
    expect(at('error')).toBe('');
  });

  it('says whether the class the catalog named is the device’s own, with labels only', () => {
    const identity = {
      packets: 100,
      className: 'Ring Doorbell',
      classSource: 'lookalike',
      recognisedShare: 0.9,
      unknownShare: 0,
      topLabel: 'Ring Doorbell',
      topShare: 0.9,
      meanConfidence: 0.9,
      evidence: 'recognised',
      topModelClass: 'Ring Doorbell',
      topModelShare: 0.9,
      platform: null,
      profileCoverage: 0.9,
      category: null,
    } as const;
    const right = (over: object) =>
      observerRow(
        {
          view: 'napt',
          devices: [{ mac: 'm', identity: { ...identity, ...over }, activity: {} }],
          inHome: null,
        } as unknown as ObserverAudit,
        'm',
      ).catalogRight;
    expect(right({})).toBe(false);
    expect(right({ classSource: 'labels' })).toBe(true);
    expect(right({ classSource: 'platform', platform: 'Tuya' })).toBe(true);
    expect(right({ classSource: 'model' })).toBeNull();
    expect(right({ evidence: 'not-recognised' })).toBeNull();
  });

  it('writes a failed capture as one row with its error', () => {
    const rows = batchCsvRows(failedBatchResult('b.pcap', ['b.pcap'], 'b.pcap: not a capture file'), [
      'napt',
    ]);
    expect(rows).toHaveLength(1);
    expect(rows[0].startsWith('b.pcap,')).toBe(true);
    expect(rows[0].endsWith(',b.pcap: not a capture file')).toBe(true);
  });
});
