import { describe, expect, it } from 'vitest';
import type { ActivityTimeline, BusySpan } from '../../../src-main/activity/activity-timeline.ts';
import type {
  DeviceAudit,
  IdentityExposure,
  HomeAudit,
  InHomeObserver,
  ObserverAudit,
  ObserverDeviceAudit,
  WhatIf,
} from '../../../src-main/audit/audit-types.ts';
import { activityExposure, captureCoverage } from '../../../src-main/audit/exposure.ts';
import { auditFindings, formatSpanTime } from '../../../src-main/findings/findings.ts';
import { siteOf } from '../../../src-main/devices/sites.ts';

const T0 = Date.UTC(2023, 5, 13, 19, 0, 0) / 1000;

function span(start: number, end: number, bytesUp: number): BusySpan {
  return {
    start,
    end,
    duration: end - start,
    packets: 100,
    bytesUp,
    bytesDown: 1000,
    bytesLocal: 0,
    peakBytesPerSecond: 1,
    peakPacketsPerSecond: 1,
    unusualPackets: 0,
    description: `uploaded ${bytesUp} B`,
    routine: false,
    routinePeriod: null,
    binStart: start,
    binEnd: end,
  };
}

function timeline(busy: [number, number][], spans: BusySpan[] = []): ActivityTimeline {
  const segments: ActivityTimeline['segments'] = [];
  let t = T0;
  for (const [a, b] of busy) {
    if (a > t) segments.push({ state: 'idle', start: t, end: a });
    segments.push({ state: 'busy', start: a, end: b });
    t = b;
  }
  segments.push({ state: 'idle', start: t, end: T0 + 3600 });
  return { start: T0, end: T0 + 3600, segments, spans, droppedSegments: 0, droppedSpans: 0 };
}

function device(mac: string, label: string, over: Partial<DeviceAudit> = {}): DeviceAudit {
  return {
    mac,
    name: label,
    nameIsUsers: false,
    vendor: 'Vendor',
    trueLabel: label,
    category: null,
    packets: 1000,
    bytes: 100_000,
    truth: timeline([]),
    dnsNames: [],
    sniNames: [],
    traffic: null,
    ...over,
  };
}

/** A device the catalog recognises (the device-level test passed) with `share` of its packets named right. */
function seen(d: DeviceAudit, share: number, inferred: ActivityTimeline | null = null): ObserverDeviceAudit {
  return {
    mac: d.mac,
    identity: {
      packets: 500,
      className: d.trueLabel,
      classSource: 'labels',
      recognisedShare: share,
      unknownShare: 0,
      topLabel: d.trueLabel,
      topShare: share,
      meanConfidence: 0.8,
      evidence: share >= 0.5 ? 'recognised' : 'not-recognised',
      topModelClass: d.trueLabel,
      topModelShare: share,
      platform: null,
      profileCoverage: 0.95,
      category: null,
      recognisedBy: share >= 0.5 ? 'models' : null,
      wide: null,
    },
    activity: activityExposure(d.truth, inferred),
    labelActivity: activityExposure(d.truth, inferred),
    inferred,
  };
}

function observer(view: 'napt' | 'vpn', devices: ObserverDeviceAudit[]): ObserverAudit {
  return {
    view,
    observer: view === 'napt' ? 'your ISP' : "your VPN's carrier",
    modelId: `${view}-model`,
    labels: [],
    unknownThreshold: 0.5,
    packets: 1000,
    devices,
    meanRecognisedShare: 0.5,
    meanAgreement: 0.5,
    inHome: null,
  };
}

/** An in-home observer's result with each device's share (null: not enough traffic to tell). */
function inHome(
  devices: { mac: string; share: number | null; interval: [number, number] | null }[],
): InHomeObserver {
  return {
    view: 'napt',
    splitAt: 0,
    trainRows: 1000,
    testRows: 1000,
    classes: devices.length,
    seconds: 1,
    forestSeconds: 1,
    kinds: [],
    meanRecognisedShare: null,
    devices: devices.map((d) => ({
      mac: d.mac,
      trainPackets: d.share === null ? 16 : 800,
      testPackets: d.share === null ? 1079 : 700,
      measured: d.share !== null,
      unmeasured: d.share === null ? ('too-little-traffic' as const) : null,
      recognisedShare: d.share,
      interval: d.interval,
      minutes: 40,
      perFlow: d.share === null ? null : 0.95,
      flows: 20,
      mistakenFor: null,
      mistakenShare: 0,
    })),
  };
}

function audit(devices: DeviceAudit[], observers: ObserverAudit[]): HomeAudit {
  return {
    files: [],
    packets: 0,
    start: T0,
    end: T0 + 3600,
    coverage: [{ start: T0, end: T0 + 3600 }],
    inventory: {
      devices: [],
      gatewayMac: null,
      homeDeviceCount: 0,
      packets: 0,
      overflow: { untrackedMacPackets: 0, droppedEntries: 0 },
    },
    devices,
    observers,
    whatIfs: [],
  };
}

describe('auditFindings', () => {
  it('grades what the catalog recognises by the share of packets, and says a quiet device is quiet', () => {
    const cam = device('00:00:00:00:00:01', 'Nest Camera');
    const plug = device('00:00:00:00:00:02', 'Amazon Plug');
    const bulb = device('00:00:00:00:00:03', 'Lifx Bulb');
    const lock = device('00:00:00:00:00:04', 'Ultraloq Smart Lock');
    const f = auditFindings(
      audit(
        [cam, plug, bulb, lock],
        [observer('napt', [seen(cam, 0.94), seen(plug, 0.6), seen(bulb, 0.3), seen(lock, 0.1)])],
      ),
    );
    const identity = f.filter((x) => x.kind === 'identity');
    // the bulb failed the catalog's device-level test and nothing else was measured: no finding
    expect(identity.map((x) => [x.device, x.severity])).toEqual([
      [cam.mac, 'high'],
      [plug.mac, 'medium'],
    ]);
    expect(identity[0].title).toMatch(/Nest Camera/);
    expect(identity[0].title).toMatch(/recognises/);
    expect(identity[0].evidence[0]).toMatch(
      /recognised as "Nest Camera".* 94 % .* 95 % of them have the packet sizes/,
    );
    const quiet = f.find((x) => x.device === lock.mac)!;
    expect([quiet.kind, quiet.severity]).toEqual(['quiet', 'info']);
    // most severe first
    expect(f.map((x) => x.severity)).toEqual(
      [...f.map((x) => x.severity)].sort(
        (a, b) => ['high', 'medium', 'low', 'info'].indexOf(a) - ['high', 'medium', 'low', 'info'].indexOf(b),
      ),
    );
  });

  /** The SSI Tuya plug's row, the catalog's answer the HBN plug / Lumiman bulb class, as `over` says. */
  function tuyaPlug(
    mac: string,
    over: Partial<IdentityExposure>,
  ): { plug: DeviceAudit; r: ObserverDeviceAudit } {
    const plug = device(mac, 'Tuya Smart Power Plug');
    const r = seen(plug, 0.99);
    r.identity = {
      ...r.identity,
      className: 'HBN Plug / Lumiman Bulb',
      topModelClass: 'HBN Plug / Lumiman Bulb',
      ...over,
    };
    return { plug, r };
  }

  it('never calls a device recognised when the catalog’s device-level test rejected it', () => {
    const { plug, r } = tuyaPlug('00:00:00:00:00:09', {
      classSource: 'lookalike',
      evidence: 'not-recognised',
      profileCoverage: 0.4,
    });
    const all = auditFindings(audit([plug], [observer('napt', [r])]));
    expect(all.some((x) => x.kind === 'identity')).toBe(false);
    expect(JSON.stringify(all)).not.toMatch(/recognis|distinctive/);
  });

  it('names the platform, not a brand, when the class recognised stands for one', () => {
    const { plug, r } = tuyaPlug('00:00:00:00:00:0b', {
      classSource: 'platform',
      evidence: 'recognised',
      platform: 'Tuya',
    });
    const [f] = auditFindings(audit([plug], [observer('napt', [r])])).filter((x) => x.kind === 'identity');
    expect(f.title).toBe(
      "Your ISP can tell your Tuya Smart Power Plug is a Tuya-based device (like HBN Plug / Lumiman Bulb): Telltale's catalog recognises it even behind your router.",
    );
    expect(f.evidence[0]).toMatch(/That class stands for devices built on Tuya's modules/);
    // a device of another maker's module recognised as that class is taken for it, not recognised
    r.identity = { ...r.identity, classSource: 'lookalike' };
    const [wrong] = auditFindings(audit([plug], [observer('napt', [r])])).filter(
      (x) => x.kind === 'identity',
    );
    expect(wrong.title).toMatch(
      /^Telltale's catalog takes your Tuya Smart Power Plug for a Tuya-based device/,
    );
  });

  it('says when the wider catalog recognised a device, on which host names, and how it held on unseen kinds', () => {
    const hue = device('00:00:00:00:00:0e', 'HueBridge');
    const r = seen(hue, 0.9);
    r.identity = {
      ...r.identity,
      className: 'HueBridge / HueSwitch',
      topModelClass: 'HueBridge / HueSwitch',
      recognisedBy: 'wide',
      wide: {
        kind: 'HueBridge / HueSwitch',
        top: 'HueBridge / HueSwitch',
        share: 0.9,
        coverage: 0.95,
        sampled: 300,
        names: ['bridge.meethue.com'],
        packets: 500,
        heldOut: { instances: 510, named: 4 },
      },
    };
    const [f] = auditFindings(audit([hue], [observer('napt', [r])])).filter((x) => x.kind === 'identity');
    expect(f.title).toBe(
      "Your ISP can tell there is a HueBridge / HueSwitch in your home: Telltale's wider catalog recognises it even behind your router.",
    );
    expect(f.evidence[0]).toBe(
      'Wider catalog: recognised as "HueBridge / HueSwitch" — 500 of its packets cross your router; of 300 of them sampled, ' +
        "its forest names 90 % so and 95 % have the packet sizes of that kind's own traffic (the test asks for 50 % and 85 %), " +
        "and it used a host name of a site only that kind's devices used in the catalog's data: bridge.meethue.com. " +
        'Another product of the same maker that uses that site could look the same to it. ' +
        'Tested on 510 devices of kinds it never saw, it named 4 of them as a kind they were not.',
    );
  });

  it('says what an observer trained on this home tells, with its interval, where the catalog cannot', () => {
    const lock = device('00:00:00:00:00:0a', 'Schlage Lock');
    const r = seen(lock, 0.94);
    r.identity = {
      ...r.identity,
      classSource: 'lookalike',
      className: 'Rachio Sprinkler Controller',
      evidence: 'not-recognised',
      topModelClass: 'Rachio Sprinkler Controller',
      profileCoverage: 0.3,
    };
    const o = observer('napt', [r]);
    o.inHome = inHome([{ mac: lock.mac, share: 0.91, interval: [0.85, 0.95] }]);
    const [f] = auditFindings(audit([lock], [o])).filter((x) => x.kind === 'identity');
    expect(f.severity).toBe('high');
    expect(f.title).toMatch(/labelled traffic of devices like yours/);
    expect(f.title).toMatch(/91 % \(95 % interval 85–95 %\)/);
    expect(f.title).not.toMatch(/Rachio|recognis/);
    expect(f.evidence[0]).toMatch(
      /^Catalog: not recognised .*only 30 % of its packets have that device's packet sizes/,
    );
    expect(f.evidence[1]).toMatch(/^Trained on this home: 91 %/);
    // the same share measured on a few minutes of traffic is graded by what it is sure of
    o.inHome = inHome([{ mac: lock.mac, share: 1, interval: [0.21, 1] }]);
    const [weak] = auditFindings(audit([lock], [o])).filter((x) => x.kind === 'identity');
    expect(weak.severity).toBe('low');
    expect(weak.title).toMatch(/100 % \(95 % interval 21–100 %\)/);
  });

  it('says a device looks like a kind only with the category model behind it, and how such answers held', () => {
    const lock = device('00:00:00:00:00:0e', 'Schlage Lock');
    const r = seen(lock, 0.3);
    const category = {
      category: 'lock' as const,
      top: 'lock' as const,
      probability: 0.97,
      chunks: 5,
      packets: 500,
      threshold: 0.95,
      heldOut: { instances: 463, right: 44, wrong: 0 },
    };
    r.identity = { ...r.identity, classSource: 'lookalike', evidence: 'looks-like', category };
    const [f] = auditFindings(audit([lock], [observer('napt', [r])])).filter((x) => x.kind === 'identity');
    expect(f.severity).toBe('low');
    expect(f.title).toBe(
      'Your ISP can tell what kind of device your Schlage Lock is — it looks like a smart lock — though not which model.',
    );
    expect(f.evidence.join(' ')).toMatch(
      /Kind: looks like a smart lock — over 5 hourly summaries of its 500 packets the category model gives that 97 %; it names a kind only from 95 % \(on 463 captures of devices it never saw, its answers at that level named the right kind 44 times and a wrong one 0 times\)/,
    );
    // under the threshold: no finding of its own, and no "looks like" anywhere
    r.identity = {
      ...r.identity,
      evidence: 'not-recognised',
      category: { ...category, category: null, probability: 0.6 },
    };
    const none = auditFindings(audit([lock], [observer('napt', [r])]));
    expect(none.some((x) => x.kind === 'identity')).toBe(false);
    expect(JSON.stringify(none)).not.toMatch(/looks like/);
  });

  it('reports the kind when the person has several units an observer cannot tell apart', () => {
    const a = device('00:00:00:00:00:0b', 'Camera');
    const b = device('00:00:00:00:00:0c', 'Camera');
    const ra = seen(a, 0.1);
    const rb = seen(b, 0.1);
    const o = observer('napt', [ra, rb]);
    o.inHome = inHome([
      { mac: a.mac, share: 0.45, interval: [0.4, 0.5] },
      { mac: b.mac, share: 0.5, interval: [0.45, 0.55] },
    ]);
    o.inHome.kinds = [{ macs: [a.mac, b.mac], recognisedShare: 0.98, interval: [0.96, 0.99], perFlow: 1 }];
    const identity = auditFindings(audit([a, b], [o])).filter((x) => x.kind === 'identity');
    expect(identity.map((x) => x.severity)).toEqual(['high', 'high']);
    expect(identity[0].title).toMatch(/98 % .*as its kind: you have more than one/);
  });

  it('says "too little traffic" rather than a number when the in-home observer could not be measured', () => {
    const bulb = device('00:00:00:00:00:0d', 'Lifx Bulb');
    const o = observer('napt', [seen(bulb, 0.9)]);
    o.inHome = inHome([{ mac: bulb.mac, share: null, interval: null }]);
    const [f] = auditFindings(audit([bulb], [o])).filter((x) => x.kind === 'identity');
    expect(f.evidence[1]).toMatch(/too little traffic \(16 packets before the split, 1079 after/);
  });

  it('tells when a camera uploads, with the largest busy span the observer also saw as the example', () => {
    const small = span(T0 + 600, T0 + 660, 5_000);
    const upload = span(T0 + 2820, T0 + 3120, 1_600_000);
    const cam = device('00:00:00:00:00:01', 'Nest Camera', {
      category: 'camera',
      truth: timeline(
        [
          [T0 + 600, T0 + 660],
          [T0 + 2820, T0 + 3120],
        ],
        [small, upload],
      ),
    });
    const inferred = timeline([[T0 + 2830, T0 + 3100]]);
    const f = auditFindings(audit([cam], [observer('vpn', [seen(cam, 0.9, inferred)])]));
    const activity = f.find((x) => x.kind === 'activity')!;
    expect(activity.observer).toBe('vpn');
    // facts: the observer, the spans seen of all, the example's time and internet bytes
    expect(activity.title).toMatch(/VPN connection's path can tell when your Nest Camera uploads/);
    expect(activity.title).toMatch(/can tell when your Nest Camera uploads/);
    expect(activity.title).toMatch(/shows 1 of its 2 busy periods/);
    expect(activity.title).toMatch(/2023-06-13 19:47–19:52 UTC \(sent 1\.6 MB over the internet in 5 min\)/);
    expect(activity.evidence[0]).toMatch(/shows 1 of its 2 busy spans/);
    expect(activity.severity).toBe('high');
  });

  it('says an observer could see a device’s busy periods only if it told its traffic apart, when nothing identifies it', () => {
    const upload = span(T0 + 2820, T0 + 3120, 1_600_000);
    const cam = device('00:00:00:00:00:05', 'Nest Camera', {
      category: 'camera',
      truth: timeline([[T0 + 2820, T0 + 3120]], [upload]),
    });
    const unknown = seen(cam, 0.1, timeline([[T0 + 2830, T0 + 3100]]));
    const activity = auditFindings(audit([cam], [observer('napt', [unknown])])).find(
      (x) => x.kind === 'activity',
    )!;
    expect(activity.title).toMatch(/could tell, if it told its traffic apart/);
    expect(activity.severity).toBe('medium');
  });

  describe('advice from the what-ifs measured for the device', () => {
    const upload = span(T0 + 2820, T0 + 3120, 1_600_000);
    const cam = device('00:00:00:00:00:01', 'Nest Camera', {
      category: 'camera',
      truth: timeline([[T0 + 2820, T0 + 3120]], [upload]),
    });
    const seenCam = seen(cam, 0.9, timeline([[T0 + 2830, T0 + 3100]]));
    const whatIf = (
      id: string,
      description: string,
      cost: number,
      recognised: number,
      labelBusyRecall: number,
      busyRecall = labelBusyRecall,
    ): WhatIf => ({
      id: `napt-${id}`,
      view: 'napt',
      observer: 'your ISP',
      defence: { kind: 'padding', multiple: 256 },
      description,
      costShare: cost,
      extraBytes: 1000,
      dummyPackets: 0,
      rows: 100,
      meanRecognisedShare: recognised,
      meanAgreement: 0.5,
      spansSeen: 1,
      spansTotal: 2,
      sample: null,
      devices: [
        {
          mac: cam.mac,
          recognisedShare: recognised,
          agreement: 0.5,
          busyRecall,
          spansSeen: 1,
          spansTotal: 2,
          undefended: null,
        },
      ],
    });
    const advice = (whatIfs: WhatIf[]): { identity: string; activity: string } => {
      const f = auditFindings({ ...audit([cam], [observer('napt', [seenCam])]), whatIfs });
      return {
        identity: f.find((x) => x.kind === 'identity')!.advice,
        activity: f.find((x) => x.kind === 'activity')!.advice,
      };
    };

    it('names the cheapest defence that hides the device about as well as the best, with its cost', () => {
      const a = advice([
        whatIf('pad-16', 'padding to multiples of 16 bytes', 0.05, 0.88, 0.9),
        whatIf('pad-mtu', 'padding every packet to the full frame size', 9.8, 0, 0, 0.85),
        whatIf('pad-256', 'padding to multiples of 256 bytes', 0.9, 0.02, 0.03, 0.88),
        whatIf('cover-5pps', 'cover traffic at 5 packets/s', 0.6, 0.5, 0.2, 0.1),
        whatIf('cover-9pps', 'cover traffic at 9 packets/s', 0.95, 0.5, 0.1, 0.08),
        whatIf('cover-50pps', 'cover traffic at 50 packets/s', 6, 0.5, 0, 0),
      ]);
      expect(seenCam.activity.busyRecall).toBeCloseTo(0.9);
      // activity: by the defended timing; identity: by what the catalog still recognises; never a
      // defence that more than doubles the traffic (the full frame and 50 packets/s hide more)
      expect(a.activity).toMatch(
        /cover traffic at 5 packets\/s hides the most of its busy time: an observer would see 10 % of it instead of 90 %, for 60 % more traffic/,
      );
      expect(a.identity).toMatch(/padding to multiples of 256 bytes works best here: 2 % of its packets/);
      expect(`${a.activity} ${a.identity}`).not.toMatch(/full frame|50 packets/);
    });

    it('judges a defence by the defended timing, not by what a model now calls the packets', () => {
      // padding makes the model lose the device (its class timeline empties) but the timing is the same
      const a = advice([whatIf('pad-256', 'padding to multiples of 256 bytes', 0.9, 0, 0, 0.88)]);
      expect(a.activity).toMatch(
        /change this little: .* an observer would still see 88 % of its busy time \(90 % without\)/,
      );
    });

    it('says so when every defence tried leaves the observer more, not less', () => {
      const a = advice([whatIf('pad-64', 'padding to multiples of 64 bytes', 0.2, 0.95, 1)]);
      expect(a.activity).toMatch(
        /None of the defences tried within twice your traffic lowers this: .* would still see 100 % of its busy time \(90 % without\)/,
      );
      expect(a.identity).toContain('None of the defences tried within twice your traffic lowers this');
    });

    it('says so when no defence tried changes much, and points to the what-ifs when none were run', () => {
      const a = advice([whatIf('pad-16', 'padding to multiples of 16 bytes', 0.05, 0.88, 0.85)]);
      expect(a.activity).toMatch(
        /The defences tried within twice your traffic change this little: .* would still see 85 % of its busy time \(90 % without\)/,
      );
      expect(a.identity).toContain('The defences tried within twice your traffic change this little');
      const none = advice([]);
      expect(none.activity).toContain('the defence what-ifs measure which does for this device');
      expect(none.identity).toContain('The defence what-ifs measure');
    });

    it('says how many devices and packets the home averages of a what-if rest on', () => {
      const f = auditFindings({
        ...audit([cam], [observer('napt', [seenCam])]),
        whatIfs: [whatIf('pad-16', 'padding to multiples of 16 bytes', 0.05, 0.88, 0.85)],
      });
      const defence = f.find((x) => x.kind === 'defence')!;
      expect(defence.evidence[1]).toBe(
        'Averages over 1 device with at least 20 packets in the view (1000 packets in all; recognition over the 1 of them the catalog recognises): on so short a capture a few packets more or less recognised move them by several points either way.',
      );
    });

    it('claims no change of recognition where the catalog recognises none of the devices', () => {
      const lookalike = {
        ...seenCam,
        identity: {
          ...seenCam.identity,
          classSource: 'lookalike' as const,
          className: 'Ring Doorbell',
          topModelClass: 'Ring Doorbell',
        },
      };
      const f = auditFindings({
        ...audit([cam], [observer('napt', [lookalike])]),
        whatIfs: [whatIf('pad-16', 'padding to multiples of 16 bytes', 0.05, 0.5, 0.85)],
      });
      const defence = f.find((x) => x.kind === 'defence')!;
      expect(defence.title).toMatch(
        /^What if: padding to multiples of 16 bytes would change the busy periods your ISP sees from \d+ to \d+ of \d+, for 5 % more traffic\. What it does to your ISP's recognition cannot be measured here: Telltale's catalog recognises none of your devices in this view\.$/,
      );
      expect(defence.title).not.toMatch(/from \d+ % to/);
    });

    it('keeps defences that backfire or more than double the traffic for researchers', () => {
      // the observer's mean recognition without a defence: the fixture's 0.9
      const f = auditFindings({
        ...audit([cam], [observer('napt', [seenCam])]),
        whatIfs: [
          whatIf('pad-16', 'padding to multiples of 16 bytes', 0.05, 0.5, 0.85),
          whatIf('pad-mtu', 'padding every packet to the full frame size', 9.8, 0, 0),
          whatIf('pad-64', 'padding to multiples of 64 bytes', 0.2, 0.95, 0.85),
        ],
      });
      const research = new Map(f.filter((x) => x.kind === 'defence').map((x) => [x.id, x.researchOnly]));
      expect(research).toEqual(
        new Map([
          ['defence:napt:napt-pad-16', false],
          ['defence:napt:napt-pad-mtu', true],
          ['defence:napt:napt-pad-64', true],
        ]),
      );
      expect(f.filter((x) => x.kind !== 'defence').every((x) => x.researchOnly === undefined)).toBe(true);
    });

    it('does not report home averages of what-ifs when no device has enough packets in the view', () => {
      const quiet = { ...seenCam, identity: { ...seenCam.identity, packets: 3 } };
      const f = auditFindings({
        ...audit([cam], [observer('napt', [quiet])]),
        whatIfs: [whatIf('pad-16', 'padding to multiples of 16 bytes', 0.05, 0, 0)],
      });
      const defence = f.filter((x) => x.kind === 'defence');
      expect(defence.map((x) => x.title)).toEqual([
        'No home averages of the defence what-ifs for your ISP: no device has at least 20 packets in its view.',
      ]);
      // nor does the device's own advice rest on what-ifs of three packets
      expect(f.find((x) => x.kind === 'activity')!.advice).toContain(
        'the defence what-ifs measure which does for this device once it has sent enough packets',
      );
    });
  });

  it('names the clouds the ISP sees, clear-text traffic and unencrypted DNS', () => {
    const plug = device('00:00:00:00:00:02', 'HBN Plug', {
      sniNames: ['a1.tuyaus.com'],
      dnsNames: ['m2.tuyaus.com', 'time.google.com'],
      traffic: {
        mac: '00:00:00:00:00:02',
        internetPackets: 10,
        internetBytes: 1000,
        services: [{ service: 'tcp/1883', packets: 4, bytes: 400 }],
        clearText: { mqtt: 4 },
        dnsQueriesPublic: 0,
        dnsQueriesLocal: 3,
        dnsOverTls: 0,
        sites: [],
      },
    });
    const f = auditFindings(audit([plug], []));
    expect(f.find((x) => x.kind === 'clouds')!.title).toBe(
      'Your ISP sees that your HBN Plug talks to tuyaus.com, google.com.',
    );
    expect(f.find((x) => x.kind === 'clear-text')!.severity).toBe('high');
    const dns = f.find((x) => x.kind === 'dns')!;
    expect([dns.device, dns.observer]).toEqual([null, 'napt']);
    expect(dns.title).toMatch(/\(3 lookups from 1 device\)/);
  });

  it('does not tie looked-up names to a device that sends nothing to the internet', () => {
    // the Nest smoke detector of MADEA 06-13: its lookups go to the router, its packets never leave
    const smoke = device('00:00:00:00:00:03', 'Nest Smoke & CO Detector', {
      dnsNames: ['frontdoor.nest.com'],
      traffic: {
        mac: '00:00:00:00:00:03',
        internetPackets: 0,
        internetBytes: 0,
        services: [],
        clearText: {},
        dnsQueriesPublic: 0,
        dnsQueriesLocal: 2,
        dnsOverTls: 0,
        sites: [],
      },
    });
    const none = seen(smoke, 0);
    const f = auditFindings(
      audit([smoke], [observer('napt', [{ ...none, identity: { ...none.identity, packets: 0 } }])]),
    );
    const clouds = f.find((x) => x.kind === 'clouds')!;
    expect(clouds.severity).toBe('low');
    expect(clouds.title).toBe(
      'Your ISP sees your home look up nest.com for your Nest Smoke & CO Detector, but not which device asked: it sent nothing to the internet itself.',
    );
  });
});

describe('finding helpers', () => {
  it('formats span times in UTC and cuts host names to their registered domain', () => {
    expect(formatSpanTime(T0 + 47 * 60, T0 + 52 * 60)).toBe('2023-06-13 19:47–19:52 UTC');
    expect(formatSpanTime(T0 + 47 * 60 + 5, T0 + 47 * 60 + 41)).toBe('2023-06-13 19:47:05–19:47:41 UTC');
    expect(formatSpanTime(T0 + 4.9 * 3600, T0 + 5.1 * 3600)).toBe('2023-06-13 23:54–2023-06-14 00:06 UTC');
    // in a zone, with its offset at the time
    expect(formatSpanTime(T0 + 47 * 60, T0 + 52 * 60, 'Europe/Berlin')).toBe(
      '2023-06-13 21:47–21:52 UTC+02:00',
    );
    expect(formatSpanTime(T0 + 47 * 60, T0 + 52 * 60, 'America/Los_Angeles')).toBe(
      '2023-06-13 12:47–12:52 UTC-07:00',
    );
    expect(formatSpanTime(T0 + 4.9 * 3600, T0 + 5.1 * 3600, 'Asia/Kolkata')).toBe(
      '2023-06-14 05:24–05:36 UTC+05:30',
    );
    expect(formatSpanTime(T0 + 4 * 3600 + 50 * 60, T0 + 5.1 * 3600, 'Europe/Berlin')).toBe(
      '2023-06-14 01:50–02:06 UTC+02:00',
    );
    expect(siteOf('a1.tuyaus.com')).toBe('tuyaus.com');
    expect(siteOf('api.service.co.uk.')).toBe('service.co.uk');
    // no site: a bare name, a reverse lookup, a local name, an address
    expect([
      siteOf('localhost'),
      siteOf('4.3.2.1.in-addr.arpa'),
      siteOf('printer.local'),
      siteOf('1.2.3.4'),
    ]).toEqual([null, null, null, null]);
  });
});

describe('captureCoverage', () => {
  it('merges the files’ spans across gaps of up to five minutes', () => {
    const file = (firstTs: number | null, lastTs: number | null) => ({
      path: 'x',
      fileIndex: 0,
      packets: 1,
      bytes: 1,
      firstTs,
      lastTs,
      errors: [],
      decodeTruncated: 0,
      decodeMalformed: 0,
    });
    expect(captureCoverage([file(1000, 1100), file(1200, 1300), file(5000, 5050), file(null, null)])).toEqual(
      [
        { start: 1000, end: 1301 },
        { start: 5000, end: 5051 },
      ],
    );
  });
});
