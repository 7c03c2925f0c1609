/**
 * The observer trained on the home's own traffic, on synthetic homes pushed through the real NAPT
 * view and feature extractor: devices with traffic of their own are recognised, two units of one
 * model are one kind (not two recognisable devices), a device with too little traffic on one side
 * of the split is "not enough to tell", the split is in time, and a stop cancels the training.
 */
import { describe, expect, it } from 'vitest';
import {
  measureInHomeObserver,
  minuteBootstrap,
  sample,
  wilson,
} from '../../../src-main/audit/in-home-observer.ts';
import { ViewLog } from '../../../src-main/audit/view-log.ts';
import type { ModelView } from '../../../src-main/inference/model-manifest.ts';
import { ForestCancelled } from '../../../src-main/inference/forest-runner.ts';
import { createView } from '../../../src-main/views/create-view.ts';
import { mulberry32 as prng } from '../../../src-main/views/seeded-random.ts';
import type { ViewPacket } from '../../../src-main/views/view-packet.ts';
import { exchange, type ExchangeDevice, type upPacket } from '../views/decoded-packet-factory.ts';

interface FakeDevice extends ExchangeDevice {
  /** Seconds between its exchanges; packets before `until` only (Infinity: all capture). */
  every: number;
  from?: number;
  until?: number;
}

/** A home of `devices` over `seconds`, through the NAPT view into a log. */
function home(devices: FakeDevice[], seconds = 4 * 3600): ViewLog<ModelView> {
  const view = createView('napt');
  const log = new ViewLog<ModelView>('napt');
  const random = prng(11);
  const packets: { ts: number; make: () => ReturnType<typeof upPacket> }[] = [];
  for (const d of devices) {
    for (let t = d.from ?? 0; t < Math.min(seconds, d.until ?? Infinity); t += d.every * (0.5 + random())) {
      const jitter = Math.round((random() - 0.5) * 8);
      packets.push(
        { ts: t, make: () => exchange(t, d, jitter)[0] },
        { ts: t + 0.05, make: () => exchange(t, d, jitter)[1] },
      );
    }
  }
  packets.sort((a, b) => a.ts - b.ts);
  const add = (vp: ViewPacket): void => {
    log.add(vp);
  };
  for (const p of packets) view.push(p.make(), -1, 0, 0, add);
  view.flush(add);
  return log;
}

const plug: FakeDevice = {
  mac: '02:00:00:00:01:01',
  ip: '192.168.1.11',
  up: 120,
  down: 90,
  port: 8883,
  every: 20,
};
const camera: FakeDevice = {
  mac: '02:00:00:00:01:02',
  ip: '192.168.1.12',
  up: 1200,
  down: 60,
  port: 443,
  every: 5,
};
const bulb: FakeDevice = {
  mac: '02:00:00:00:01:03',
  ip: '192.168.1.13',
  up: 300,
  down: 500,
  port: 56700,
  every: 30,
};

describe('the in-home observer', () => {
  it('recognises devices whose traffic differs, with an interval, split in time', async () => {
    const log = home([plug, camera, bulb]);
    const r = (await measureInHomeObserver({
      view: 'napt',
      log,
      devices: [plug.mac, camera.mac, bulb.mac],
      vendorOf: () => 'Acme',
    }))!;
    for (const d of r.devices) {
      // split at its own median time: half before, half after
      expect(Math.abs(d.trainPackets - d.testPackets), d.mac).toBeLessThanOrEqual(1);
      expect(d.measured, d.mac).toBe(true);
      expect(d.recognisedShare!, d.mac).toBeGreaterThan(0.9);
      expect(d.interval![0]).toBeLessThanOrEqual(d.recognisedShare!);
      expect(d.interval![1]).toBeGreaterThanOrEqual(d.recognisedShare!);
      expect(d.trainPackets + d.testPackets).toBeGreaterThan(0);
    }
    expect(r.kinds).toEqual([]);
    expect(r.meanRecognisedShare!).toBeGreaterThan(0.9);
  }, 60_000);

  it('calls two units of one model one kind: each alone is a coin toss, the kind is recognised', async () => {
    const twinA: FakeDevice = { ...plug };
    const twinB: FakeDevice = { ...plug, mac: '02:00:00:00:01:09', ip: '192.168.1.19' };
    const log = home([twinA, twinB, camera]);
    const r = (await measureInHomeObserver({
      view: 'napt',
      log,
      devices: [twinA.mac, twinB.mac, camera.mac],
      vendorOf: (mac) => (mac === camera.mac ? 'Other' : 'Acme'),
    }))!;
    const a = r.devices.find((d) => d.mac === twinA.mac)!;
    expect(a.recognisedShare!).toBeLessThan(0.8);
    expect(a.mistakenFor).toBe(twinB.mac);
    expect(r.kinds).toHaveLength(1);
    expect(r.kinds[0].macs.sort()).toEqual([twinA.mac, twinB.mac].sort());
    expect(r.kinds[0].recognisedShare).toBeGreaterThan(0.9);
  }, 60_000);

  it('does not merge devices of different vendors, however alike', async () => {
    const twinB: FakeDevice = { ...plug, mac: '02:00:00:00:01:09', ip: '192.168.1.19' };
    const log = home([plug, twinB]);
    const r = (await measureInHomeObserver({
      view: 'napt',
      log,
      devices: [plug.mac, twinB.mac],
      vendorOf: (mac) => (mac === plug.mac ? 'Acme' : 'Other'),
    }))!;
    expect(r.kinds).toEqual([]);
  }, 60_000);

  it('says "not enough traffic" for a device with too few packets, and measures devices captured at other times', async () => {
    const rare: FakeDevice = { ...bulb, every: 600 };
    const early: FakeDevice = { ...camera, until: 3600 };
    const late: FakeDevice = { ...plug, from: 3600 };
    const log = home([early, late, rare]);
    const r = (await measureInHomeObserver({
      view: 'napt',
      log,
      devices: [early.mac, late.mac, rare.mac],
      vendorOf: () => 'Acme',
    }))!;
    const e = r.devices.find((d) => d.mac === rare.mac)!;
    expect(e.measured).toBe(false);
    expect(e.recognisedShare).toBeNull();
    // one camera only in the first hour, one plug only in the second: both on their own later traffic
    expect(
      r.devices
        .filter((d) => d.measured)
        .map((d) => d.mac)
        .sort(),
    ).toEqual([early.mac, late.mac].sort());
  }, 60_000);

  it('gives no number when there is only one device to tell apart', async () => {
    const log = home([camera]);
    const r = (await measureInHomeObserver({
      view: 'napt',
      log,
      devices: [camera.mac],
      vendorOf: () => 'Acme',
    }))!;
    expect(r.devices[0].measured).toBe(false);
    expect(r.meanRecognisedShare).toBeNull();
  }, 60_000);

  it('stops when its signal aborts', async () => {
    const log = home([plug, camera, bulb]);
    const aborter = new AbortController();
    const run = measureInHomeObserver({
      view: 'napt',
      log,
      devices: [plug.mac, camera.mac, bulb.mac],
      vendorOf: () => 'Acme',
      signal: aborter.signal,
      forest: { trees: 400, seed: 1 },
    });
    aborter.abort();
    await expect(run).rejects.toBeInstanceOf(ForestCancelled);
  }, 60_000);
});

describe('its statistics', () => {
  it('samples uniformly, in order, deterministically', () => {
    const items = Array.from({ length: 1000 }, (_, i) => i);
    const a = sample(items, 100, prng(3));
    expect(a).toHaveLength(100);
    expect(a).toEqual([...a].sort((x, y) => x - y));
    expect(sample(items, 100, prng(3))).toEqual(a);
    expect(sample([1, 2], 5, prng(3))).toEqual([1, 2]);
    // uniform: the mean of the sample is near the mean of the items
    expect(Math.abs(a.reduce((x, y) => x + y, 0) / 100 - 499.5)).toBeLessThan(80);
  });

  it('gives a Wilson interval that narrows with independent draws', () => {
    const [lo10, hi10] = wilson(0.9, 10);
    const [lo1000, hi1000] = wilson(0.9, 1000);
    expect(lo10).toBeLessThan(0.9);
    expect(hi10).toBeGreaterThan(0.9);
    expect(hi1000 - lo1000).toBeLessThan(hi10 - lo10);
    expect(wilson(1, 5)[1]).toBe(1);
    expect(wilson(0.5, 0)).toEqual([0, 1]);
  });
});

describe('the minute bootstrap', () => {
  it('does not let one crowded minute look like many independent draws', () => {
    // 100 one-packet minutes all right and one 3900-packet minute all wrong: 2.5 % of packets
    const minutes = [...Array.from({ length: 100 }, () => ({ right: 1, all: 1 })), { right: 0, all: 3900 }];
    const [lo, hi] = minuteBootstrap(minutes);
    expect(lo).toBeLessThan(0.025);
    // the share rests on whether that one minute is drawn: the interval reaches far above 2.5 %
    expect(hi).toBeGreaterThan(0.5);
    expect(minuteBootstrap(minutes)).toEqual([lo, hi]);
  });

  it('narrows as evenly filled minutes add up', () => {
    const few = minuteBootstrap(Array.from({ length: 5 }, (_, i) => ({ right: i < 4 ? 10 : 0, all: 10 })));
    const many = minuteBootstrap(
      Array.from({ length: 500 }, (_, i) => ({ right: i % 5 < 4 ? 10 : 0, all: 10 })),
    );
    expect(many[1] - many[0]).toBeLessThan(few[1] - few[0]);
    expect(many[0]).toBeLessThan(0.8);
    expect(many[1]).toBeGreaterThan(0.8);
  });
});

describe('kinds of three units', () => {
  it('merges all three identical units into one kind', async () => {
    const a: FakeDevice = { ...plug };
    const b: FakeDevice = { ...plug, mac: '02:00:00:00:01:0a', ip: '192.168.1.20' };
    const c: FakeDevice = { ...plug, mac: '02:00:00:00:01:0b', ip: '192.168.1.21' };
    const log = home([a, b, c, camera]);
    const r = (await measureInHomeObserver({
      view: 'napt',
      log,
      devices: [a.mac, b.mac, c.mac, camera.mac],
      vendorOf: (mac) => (mac === camera.mac ? 'Other' : 'Acme'),
    }))!;
    expect(r.kinds).toHaveLength(1);
    expect(r.kinds[0].macs.sort()).toEqual([a.mac, b.mac, c.mac].sort());
    expect(r.kinds[0].recognisedShare).toBeGreaterThan(0.9);
    // and the camera, whose traffic is its own, is not taken for them
    expect(r.devices.find((d) => d.mac === camera.mac)!.recognisedShare!).toBeGreaterThan(0.9);
  }, 60_000);
});
