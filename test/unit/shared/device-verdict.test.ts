import { describe, expect, it } from 'vitest';
import { deviceKind } from '../../../src-main/shared/device-categories.ts';
import {
  deviceAction,
  deviceVerdict,
  homeRefusals,
  inHomeTells,
  observersLearn,
  type TriedDefence,
} from '../../../src-main/shared/device-verdict.ts';
import type { DeviceExposure } from '../../../src-main/shared/ipc-contract.ts';

/** An observer that recognises the device (catalog, rightly) and sees 4 of its 5 busy periods. */
function seen(over: Partial<DeviceExposure> = {}): DeviceExposure {
  return {
    className: 'Nest Camera',
    classSource: 'labels',
    recognisedShare: 0.94,
    evidence: 'recognised',
    catalogClass: 'Nest Camera',
    catalogShare: 0.94,
    catalogPlatform: null,
    catalogRight: true,
    wideCatalog: null,
    category: null,
    agreement: 0.9,
    busyRecall: 0.8,
    spansSeen: 4,
    spansTotal: 5,
    falseBusyPerDay: 0,
    busySecondsSeen: 600,
    packets: 900,
    inHome: null,
    ...over,
  };
}
const blind = seen({ evidence: 'not-recognised', spansSeen: 0, busyRecall: 0 });
const bytes = (n: number) => `${(n / 1e9).toFixed(1)} GB`;
const padding = (over: Partial<TriedDefence> = {}): TriedDefence => ({
  view: 'vpn',
  description: 'padding to multiples of 64 bytes',
  before: 0.9,
  after: 0.3,
  costShare: 0.4,
  monthlyBytes: 2.7e9,
  ...over,
});

describe('deviceAction: the one change that helps a device most', () => {
  it('has nothing to offer for a device no outsider sees, and says nothing is needed when the ISP learns little', () => {
    expect(deviceAction({ napt: null, vpn: null }, 'plug/switch', [], bytes)).toBeNull();
    expect(deviceAction({ napt: blind, vpn: blind }, 'plug/switch', [], bytes)?.kind).toBe('nothing-needed');
  });

  it("offers a camera's local mode when an outsider sees it upload", () => {
    const a = deviceAction({ napt: seen(), vpn: seen() }, 'camera', [padding()], bytes)!;
    expect(a.kind).toBe('local-mode');
    expect(a.detail).toMatch(/^Your ISP can see when it uploads/);
    // a camera whose busy periods no one sees gets the next action instead
    const quiet = seen({ spansSeen: 0 });
    expect(deviceAction({ napt: quiet, vpn: blind }, 'camera', [], bytes)?.kind).toBe('vpn');
  });

  it('offers a VPN when its carrier would learn less than the ISP, saying what it would hide and what not', () => {
    expect(deviceAction({ napt: seen(), vpn: blind }, 'plug/switch', [], bytes)).toEqual({
      kind: 'vpn',
      title: 'A VPN on your router',
      detail: 'It would hide what it is and when it is in use from your ISP.',
      monthlyBytes: null,
    });
    const named = seen({ spansSeen: 0 });
    expect(deviceAction({ napt: seen(), vpn: named }, 'plug/switch', [], bytes)?.detail).toBe(
      "It would hide when it is in use from your ISP; the VPN's carrier could still tell what it is.",
    );
  });

  it('offers the padding that hides most for at most double the traffic, with its data a month; else says no easy fix', () => {
    const tried = [
      padding({ description: 'padding to multiples of 16 bytes', after: 0.85, monthlyBytes: 1e8 }),
      padding(),
      padding({ description: 'padding every packet to the full frame size', after: 0.05, costShare: 8 }),
      // a defence that makes things worse is never offered
      padding({ description: 'cover traffic', after: 0.99, costShare: 0.1 }),
    ];
    const a = deviceAction({ napt: seen(), vpn: seen() }, 'plug/switch', tried, bytes)!;
    expect(a.kind).toBe('padding');
    expect(a.detail).toBe(
      "With a VPN that adds padding to multiples of 64 bytes (some VPNs and routers offer it), Telltale's model of the VPN's carrier names it for 30 % of its traffic instead of 90 %, for 2.7 GB a month more data for the whole home. An observer retrained on padded traffic may do better.",
    );
    expect(a.monthlyBytes).toBe(2.7e9);
    expect(deviceAction({ napt: seen(), vpn: seen() }, 'plug/switch', tried.slice(2), bytes)?.kind).toBe(
      'no-fix',
    );
    // nor is one measured on too few of the device's packets to mean anything
    const few = seen({ packets: 4 });
    expect(deviceAction({ napt: seen(), vpn: few }, 'plug/switch', tried, bytes)?.kind).toBe('no-fix');
    // nor one measured against a catalog that does not recognise the device (the in-home observer
    // told it): the what-ifs say nothing about that observer
    const told = seen({
      evidence: 'not-recognised',
      inHome: { measured: true, unmeasured: null, recognisedShare: 0.95, interval: [0.9, 0.98] },
    });
    const unmeasured = deviceAction({ napt: told, vpn: told }, 'plug/switch', tried, bytes)!;
    expect(unmeasured.kind).toBe('no-fix');
    expect(unmeasured.detail).toMatch(
      /^Telltale measures padding and cover traffic against its own catalog, which does not recognise this device/,
    );
  });
});

describe('deviceKind', () => {
  it("takes the labels' category, else a category word of the catalog class, else what it looks like", () => {
    expect(deviceKind('doorbell', 'Ring Doorbell')).toBe('camera');
    expect(deviceKind(null, 'EdimaxPlug1101W')).toBe('plug/switch');
    expect(deviceKind('Ultraloq Smart Lock', '')).toBe('lock');
    expect(deviceKind('Roomba Robot', '')).toBe('vacuum');
    expect(deviceKind(null, '', [null, 'sensor'])).toBe('sensor');
    expect(deviceKind(null, '', ['not a category'])).toBeNull();
  });
});

describe('observersLearn', () => {
  it('never has the ISP learn less than the VPN carrier, which sees a subset of what it sees', () => {
    const l = observersLearn({ napt: blind, vpn: seen() });
    expect(l.napt).toEqual({ what: true, when: true });
    expect(deviceVerdict({ exposure: { napt: blind, vpn: seen() } }, true).text).toBe(
      'Your ISP can tell what it is and when it is in use; a VPN would not hide it',
    );
  });
});

describe('inHomeTells', () => {
  it('takes an in-home share of 80 % or more as telling the device only when its interval reaches no lower than 50 %', () => {
    const at = (share: number, interval: [number, number] | null) =>
      inHomeTells({ measured: true, recognisedShare: share, interval });
    expect([at(0.95, [0.9, 0.98]), at(0.85, null), at(1, [0.21, 1]), at(0.7, [0.6, 0.8])]).toEqual([
      true,
      true,
      false,
      false,
    ]);
    expect(inHomeTells(null)).toBe(false);
  });
});

describe('homeRefusals', () => {
  const refused = (count: number, first: number, last: number) => ({ refusals: { count, first, last } });

  it('speaks for the home when two or more devices kept being refused, from the first refusal to the last', () => {
    expect(homeRefusals([refused(674, 100, 2700), refused(5827, 60, 2760), {}, refused(3, 0, 3000)])).toEqual(
      {
        devices: 2,
        first: 60,
        last: 2760,
      },
    );
  });

  it('leaves one device, or refusals too few to tell, to the device', () => {
    expect(homeRefusals([refused(674, 100, 2700), refused(19, 0, 10)])).toBeNull();
    expect(homeRefusals([{}, {}])).toBeNull();
  });
});
