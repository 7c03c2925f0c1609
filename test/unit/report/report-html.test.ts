/**
 * The report says only what was measured: a device the catalog's test passed for a class its
 * labels say it is not is "taken for" that class, never "recognised", and does not count among the
 * devices an observer could tell apart; names a client gave are escaped.
 */
import { describe, expect, it } from 'vitest';
import type { HomeAudit } from '../../../src-main/audit/audit-types.ts';
import { renderReport } from '../../../src-main/report/report-html.ts';

const TIMELINE = { start: 0, end: 3600, segments: [], spans: [], droppedSegments: 0, droppedSpans: 0 };
const ACTIVITY = {
  agreement: 1,
  busyRecall: 0,
  busyPrecision: 0,
  busyF1: 0,
  truthBusySeconds: 0,
  inferredBusySeconds: 0,
  spansSeen: 0,
  spansTotal: 0,
  falseBusyPerDay: 0,
};

function audit(topModelClass: string, className: string): HomeAudit {
  return {
    files: [],
    packets: 100,
    start: 0,
    end: 3600,
    coverage: [{ start: 0, end: 3600 }],
    inventory: { devices: [], gatewayMac: null, homeDeviceCount: 1 },
    devices: [
      {
        mac: '02:00:00:00:00:01',
        name: '<b>Hall</b> camera',
        nameIsUsers: true,
        vendor: 'Acme',
        trueLabel: className,
        category: 'camera',
        packets: 100,
        bytes: 10_000,
        truth: TIMELINE,
        dnsNames: [],
        sniNames: [],
        traffic: null,
      },
    ],
    observers: [
      {
        view: 'napt',
        observer: 'your ISP',
        modelId: 'm',
        labels: [topModelClass, className],
        unknownThreshold: 0.5,
        packets: 100,
        meanRecognisedShare: 0,
        meanAgreement: 1,
        inHome: null,
        devices: [
          {
            mac: '02:00:00:00:00:01',
            identity: {
              packets: 100,
              className,
              classSource: 'labels',
              recognisedShare: topModelClass === className ? 0.9 : 0,
              unknownShare: 0,
              topLabel: topModelClass,
              topShare: 0.9,
              meanConfidence: 0.9,
              evidence: 'recognised',
              topModelClass,
              topModelShare: 0.9,
              profileCoverage: 0.95,
              category: null,
              recognisedBy: 'models',
              wide: null,
            },
            activity: ACTIVITY,
            labelActivity: ACTIVITY,
            inferred: TIMELINE,
          },
        ],
      },
    ],
    whatIfs: [],
  } as unknown as HomeAudit;
}

const META = {
  title: 'Flat',
  captures: ['a.pcap'],
  generatedAt: new Date(0),
  timeZone: 'UTC',
  telltaleVersion: 'test',
  paper: 'A4' as const,
};

describe('renderReport', () => {
  it('says "recognised" only when the catalog named the device right', () => {
    const right = renderReport(audit('Nest Camera', 'Nest Camera'), [], META);
    expect(right).toContain('recognised as Nest Camera');
    expect(right).toMatch(/sees traffic of your one device and could tell what it is by its traffic alone/);

    const wrong = renderReport(audit('Ring Doorbell', 'Nest Camera'), [], META);
    expect(wrong).not.toContain('recognised as Ring Doorbell');
    expect(wrong).toContain('taken for Ring Doorbell, which it is not');
    expect(wrong).toMatch(/sees traffic of your one device and could not tell what it is/);
  });

  it('says which catalog recognised a device, and how the wider one held on kinds it never saw', () => {
    const a = audit('HueBridge / HueSwitch', 'HueBridge / HueSwitch');
    const id = a.observers[0].devices[0].identity;
    Object.assign(id, {
      recognisedBy: 'wide',
      wide: {
        kind: 'HueBridge / HueSwitch',
        top: 'HueBridge / HueSwitch',
        share: 0.9,
        coverage: 0.95,
        sampled: 100,
        names: ['bridge.meethue.com'],
        packets: 100,
        heldOut: { instances: 510, named: 4 },
      },
    });
    const page = renderReport(a, [], META);
    expect(page).toContain('recognised as HueBridge / HueSwitch by the wider catalog');
    expect(page).toContain('wider catalog, names bridge.meethue.com');
    expect(page).toMatch(
      /tested on\s+510 captures of devices of kinds it had not learned .*it named\s+4 \(0\.8 %\)/s,
    );
    // without it, no word of it beyond the method
    expect(renderReport(audit('Nest Camera', 'Nest Camera'), [], META)).not.toMatch(
      /tested on\s+\d+ captures of devices of kinds/,
    );
  });

  it('claims no recognition a defence would lower where the catalog recognises none of the devices', () => {
    const padding = {
      id: 'napt-pad-16',
      view: 'napt',
      observer: 'your ISP',
      defence: { kind: 'padding', multiple: 16 },
      description: 'padding to multiples of 16 bytes',
      costShare: 0.05,
      extraBytes: 500,
      dummyPackets: 0,
      rows: 100,
      meanRecognisedShare: 0,
      meanAgreement: 1,
      spansSeen: 1,
      spansTotal: 1,
      sample: null,
      devices: [],
    };
    const none = renderReport(
      { ...audit('Ring Doorbell', 'Nest Camera'), whatIfs: [padding] } as HomeAudit,
      [],
      META,
    );
    expect(none).toMatch(
      /What helps most:<\/strong> Telltale's catalog recognises none of your devices, so what\s+padding or cover traffic would hide from it cannot be measured here\./,
    );
    expect(none).toMatch(
      /<td>padding to multiples of 16 bytes<\/td>\s*<td>your ISP<\/td>\s*<td class="num">\s*–\s*<\/td>/,
    );
    const some = renderReport(
      { ...audit('Nest Camera', 'Nest Camera'), whatIfs: [padding] } as HomeAudit,
      [],
      META,
    );
    expect(some).not.toContain('cannot be measured here');
    expect(some).toMatch(/<td>your ISP<\/td>\s*<td class="num">\s*0 %\s*<\/td>/);
  });

  it("states the models' measured accuracy, and how the catalog's test did on devices of other labs", () => {
    const facts = renderReport(audit('Nest Camera', 'Nest Camera'), [], {
      ...META,
      models: [
        {
          view: 'napt',
          modelId: 'napt-x',
          macroRecall: 0.995,
          unseen: { instances: 420, named: 3, worstShare: 1 / 12, baselineNamed: 305 },
        },
        { view: 'vpn', modelId: 'vpn-x', macroRecall: null, unseen: null },
      ],
    }).replace(/\s+/g, ' ');
    expect(facts).toContain('Your ISP: model napt-x. On the home it learned from it names 99.5 %');
    expect(facts).toContain('its most frequent answer named 305 as a device they are not');
    expect(facts).toContain('it let 3 through (at most 8 % of one lab');
    expect(facts).toContain('How it does on devices of other homes was not measured with these models.');
    // without the facts, no claim about them
    expect(renderReport(audit('Nest Camera', 'Nest Camera'), [], META)).not.toContain('macro recall');
  });

  it('escapes the names it is given', () => {
    const html = renderReport(audit('Nest Camera', 'Nest Camera'), [], META);
    expect(html).toContain('&lt;b&gt;Hall&lt;/b&gt; camera');
    expect(html).not.toContain('<b>Hall</b>');
  });
});
