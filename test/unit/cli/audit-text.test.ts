/**
 * The CLI's text of an audit: the what-if table gives no recognition figure for an observer whose
 * catalog recognises none of the devices, findings the app keeps for researchers say so, and a
 * device that was never busy reads "never busy", not "busy 1 s".
 */
import { describe, expect, it } from 'vitest';
import type { HomeAudit } from '../../../src-main/audit/audit-types.ts';
import { findingsText, timelinesText, whatIfText } from '../../../src-main/cli/audit-text.ts';
import type { Finding } from '../../../src-main/shared/audit-types.ts';

/** One device seen by the ISP, recognised as its own class or as a look-alike, and one padding what-if. */
function audit(classSource: 'labels' | 'lookalike'): HomeAudit {
  const identity = {
    packets: 100,
    className: 'Nest Camera',
    classSource,
    recognisedShare: 0.9,
    evidence: 'recognised',
    topModelClass: 'Nest Camera',
    platform: null,
    recognisedBy: 'models',
  };
  return {
    devices: [{ mac: 'm', name: 'Cam', nameIsUsers: false, trueLabel: 'Cam' }],
    observers: [
      {
        view: 'napt',
        meanRecognisedShare: classSource === 'labels' ? 0.9 : 0,
        devices: [{ mac: 'm', identity, activity: { spansSeen: 1, spansTotal: 2 } }],
      },
    ],
    whatIfs: [
      {
        view: 'napt',
        description: 'padding to multiples of 16 bytes',
        meanRecognisedShare: classSource === 'labels' ? 0.5 : 0,
        spansSeen: 1,
        spansTotal: 2,
        costShare: 0.05,
        sample: null,
      },
    ],
  } as unknown as HomeAudit;
}

const T = 1_700_000_000;

/** An hour's home of devices with no observers: each idle, busy for its last `busy` seconds, and refused `refusals` times. */
function homeOf(devices: { mac: string; busy?: number; refusals?: number }[]): HomeAudit {
  return {
    start: T,
    end: T + 3600,
    observers: [],
    devices: devices.map(({ mac, busy = 0, refusals }) => ({
      mac,
      name: mac,
      nameIsUsers: false,
      trueLabel: null,
      truth: {
        start: T,
        end: T + 3600,
        segments: [
          { state: 'idle', start: T, end: T + 3600 - busy },
          ...(busy > 0 ? [{ state: 'busy', start: T + 3600 - busy, end: T + 3600 }] : []),
        ],
        spans: [],
        droppedSegments: 0,
        droppedSpans: 0,
        ...(refusals === undefined ? {} : { refusals: { count: refusals, first: T + 60, last: T + 3000 } }),
      },
    })),
  } as unknown as HomeAudit;
}

describe('the audit as text', () => {
  it('gives the what-ifs a recognition figure only where the catalog recognises a device', () => {
    const known = whatIfText(audit('labels'));
    expect(known).toMatch(/NAPT +padding to multiples of 16 bytes +50 % +1\/2 +5 %/);
    expect(known).not.toContain('where it recognises none');
    const lookalike = whatIfText(audit('lookalike'));
    expect(lookalike).toMatch(/NAPT +none +– +1\/2 +0 %/);
    expect(lookalike).toMatch(/NAPT +padding to multiples of 16 bytes +– +1\/2 +5 %/);
    expect(lookalike).toContain('– for NAPT, where it recognises none.');
  });

  it('marks the findings the app shows researchers only', () => {
    const finding = (researchOnly: boolean | undefined): Finding =>
      ({ device: null, severity: 'info', title: 'What if: padding', advice: 'a', researchOnly }) as Finding;
    const text = findingsText([finding(true), finding(undefined)], audit('labels'));
    expect(text).toContain(
      '  [info, for researchers] home: What if: padding\n  [info] home: What if: padding\n',
    );
  });

  it('says "never busy" of a device with no busy time, and how long the others were', () => {
    const text = timelinesText(homeOf([{ mac: 'quiet' }, { mac: 'busy', busy: 240 }]));
    expect(text).toMatch(/quiet \(quiet\)\n {2}truth {2}\|-+\| never busy\n/);
    expect(text).toMatch(/busy \(busy\)\n {2}truth {2}\|-+#+\| busy 4 min\n/);
    expect(text).not.toContain('refused');
  });

  it('says when a device tried again and again to reach a server that refused it', () => {
    const text = timelinesText(
      homeOf([
        { mac: 'retrying', refusals: 2400 },
        { mac: 'odd-reset', refusals: 3 },
      ]),
    );
    expect(text).toContain(
      '  Between 2023-11-14 22:14:20 UTC and 2023-11-14 23:03:20 UTC it tried 2400 times to reach a server that refused it',
    );
    // a server that resets the odd connection is no outage
    expect(text.match(/refused it/g)).toHaveLength(1);
  });
});
