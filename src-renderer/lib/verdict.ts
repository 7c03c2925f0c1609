/**
 * One plain verdict per device for the home page: what an outsider learns of it, from the
 * measured exposure — what it is (the catalog recognised it rightly, or an observer trained on
 * this home names 80 % or more of its later traffic) and when it is in use (its observer timeline
 * shows at least half of its busy spans) — first for the ISP, then whether a VPN would hide it.
 */
import type { DeviceExposure, DeviceRow } from '../../src-main/shared/ipc-contract.ts';

/** Share of its later traffic the in-home observer must name right for "can tell what it is". */
export const TELLS_SHARE = 0.8;
/** Share of its busy spans an observer must see for "can tell when it is in use". */
export const SEES_BUSY_SHARE = 0.5;

export interface Learned {
  what: boolean;
  when: boolean;
}

/** What one observer learns of a device (nothing when it sees none of its traffic). */
export function learned(e: DeviceExposure | null): Learned {
  if (e === null || e.packets === 0) return { what: false, when: false };
  const catalog = e.evidence === 'recognised' && e.catalogRight !== false;
  const inHome = e.inHome?.measured === true && (e.inHome.recognisedShare ?? 0) >= TELLS_SHARE;
  return { what: catalog || inHome, when: e.spansTotal > 0 && e.spansSeen / e.spansTotal >= SEES_BUSY_SHARE };
}

export type VerdictKind = 'inside' | 'what-when' | 'what' | 'when' | 'little' | 'not-analysed';

export interface Verdict {
  kind: VerdictKind;
  /** The ISP's verdict in words, and what a VPN would change. */
  text: string;
}

export function deviceVerdict(d: DeviceRow, analysed: boolean): Verdict {
  if (!analysed) return { kind: 'not-analysed', text: 'Not analysed yet' };
  const isp = d.exposure.napt;
  if (isp === null || isp.packets === 0)
    return { kind: 'inside', text: 'Stays inside your home: your ISP sees none of its traffic' };
  const a = learned(isp);
  const v = learned(d.exposure.vpn);
  const kind: VerdictKind = a.what && a.when ? 'what-when' : a.what ? 'what' : a.when ? 'when' : 'little';
  const ispText = {
    'what-when': 'Your ISP can tell what it is and when it is in use',
    what: 'Your ISP can tell what it is',
    when: 'Your ISP can tell when it is in use, not what it is',
    little: 'Your ISP learns little about it',
  }[kind];
  if (kind === 'little') return { kind, text: ispText };
  const vpnText =
    !v.what && !v.when
      ? 'a VPN would hide it'
      : v.what === a.what && v.when === a.when
        ? 'a VPN would not hide it'
        : 'a VPN would hide some of it';
  return { kind, text: `${ispText}; ${vpnText}` };
}
