/**
 * One plain verdict per device, and the single change that helps it most, from the measured
 * exposure: what an outsider learns of it — what it is (the catalog recognised it rightly, or an
 * observer trained on this home names 80 % or more of its later traffic) and when it is in use
 * (its observer timeline shows at least half of its busy spans) — first for the ISP, then whether
 * a VPN would hide it. The engine (device rows), the renderer (Home) and the report share it, so
 * a device gets one verdict and one action wherever it is shown.
 */
import type { DeviceCategory } from './device-categories.ts';
import type { DeviceAction, DeviceExposure, ObserverView } from './ipc-contract.ts';

/** Share of its later traffic the in-home observer must name right for "can tell what it is". */
export const TELLS_SHARE = 0.8;
/**
 * …and the least its 95 % interval may reach down to: a share measured on a few minutes of
 * traffic (100 %, interval 21–100 %) is no evidence that an observer can tell the device.
 */
export const TELLS_INTERVAL_LOW = 0.5;
/** Share of its busy spans an observer must see for "can tell when it is in use". */
export const SEES_BUSY_SHARE = 0.5;

/** The observer trained on this home names the device right for most of its later traffic, and the measurement holds. */
export function inHomeTells(
  h:
    | Pick<NonNullable<DeviceExposure['inHome']>, 'measured' | 'recognisedShare' | 'interval'>
    | null
    | undefined,
): boolean {
  return (
    h?.measured === true &&
    (h.recognisedShare ?? 0) >= TELLS_SHARE &&
    (h.interval === null || h.interval[0] >= TELLS_INTERVAL_LOW)
  );
}

export interface Learned {
  what: boolean;
  when: boolean;
}

/**
 * What the ISP and the VPN's carrier learn of a device. The ISP sees every packet the VPN's
 * carrier would see, one by one, with its true size and time, and more (addresses, ports, flows):
 * whatever was measured of the carrier, the ISP could do too. So the ISP learns what either
 * observer was measured to learn, and a page never says the ISP learns less than the carrier.
 */
export function observersLearn(
  exposure: Record<ObserverView, DeviceExposure | null>,
): Record<ObserverView, Learned> {
  const n = learned(exposure.napt);
  const v = learned(exposure.vpn);
  return { napt: { what: n.what || v.what, when: n.when || v.when }, vpn: v };
}

/** What one observer learns of a device (nothing when it sees none of its traffic). */
export function learned(e: DeviceExposure | null): Learned {
  if (e === null || e.packets === 0) return { what: false, when: false };
  const catalog = e.evidence === 'recognised' && e.catalogRight !== false;
  return {
    what: catalog || inHomeTells(e.inHome),
    when: e.spansTotal > 0 && e.spansSeen / e.spansTotal >= SEES_BUSY_SHARE,
  };
}

export type VerdictKind = 'inside' | 'what-when' | 'what' | 'when' | 'little' | 'not-analysed';

export interface Verdict {
  kind: VerdictKind;
  /** The ISP's verdict in words, and what a VPN would change. */
  text: string;
}

export function deviceVerdict(
  d: { exposure: Record<ObserverView, DeviceExposure | null> },
  analysed: boolean,
): Verdict {
  if (!analysed) return { kind: 'not-analysed', text: 'Not analysed yet' };
  const isp = d.exposure.napt;
  if (isp === null || isp.packets === 0)
    return { kind: 'inside', text: 'Stays inside your home: your ISP sees none of its traffic' };
  const { napt: a, vpn: v } = observersLearn(d.exposure);
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

/**
 * Fewest of a device's packets in an observer's view for a share of them (named as it, with or
 * without a defence) to be shown or averaged: below it a share is noise (4 packets, "100 %").
 */
export const MIN_PACKETS_FOR_SHARES = 20;

/**
 * Fewest refused connection attempts (ActivityTimeline.refusals) for a device's page, the report
 * and the CLI to say it kept being refused: a server that resets the odd connection is no outage; a
 * device retrying every few seconds for a minute already makes 20.
 */
export const MIN_REFUSALS_TO_TELL = 20;

/** Why refused attempts are not busy time (said once where many devices' refusals are listed). */
export const REFUSALS_MEANING =
  'Trying again is not someone using it, so that time counts as idle, not busy.';

/**
 * A device's refused attempts (the app, the report and the CLI; times as each shows them), with
 * what they mean unless `meaning` is false (the report says it once, in its methods).
 */
export function refusalsText(count: string, first: string, last: string, meaning = true): string {
  // what was measured only: which server refused it, and why, the refusals do not say
  const what = `Between ${first} and ${last} it tried ${count} times to reach a server that refused it.`;
  return meaning ? `${what} ${REFUSALS_MEANING}` : what;
}

/**
 * When several devices were refused (each at least MIN_REFUSALS_TO_TELL times), it is said once
 * for the home: how many, from the first refusal to the last. Null for fewer than two.
 * Takes timelines or the app's device rows (their `refusals`).
 */
export function homeRefusals(
  timelines: readonly { refusals?: { count: number; first: number; last: number } | null }[],
): { devices: number; first: number; last: number } | null {
  const cut = timelines.flatMap((t) =>
    t.refusals != null && t.refusals.count >= MIN_REFUSALS_TO_TELL ? [t.refusals] : [],
  );
  if (cut.length < 2) return null;
  return {
    devices: cut.length,
    first: Math.min(...cut.map((r) => r.first)),
    last: Math.max(...cut.map((r) => r.last)),
  };
}

/** The home's line for `homeRefusals` (times as each place shows them). */
export function homeRefusalsText(devices: number, first: string, last: string): string {
  return (
    `Between ${first} and ${last}, ${devices} of your devices kept trying to reach servers that refused ` +
    'them. That time counts as idle, not busy.'
  );
}

/** Extra traffic, as a share of the home's, above which a defence is a researcher's matter (it more than doubles the traffic). */
export const HOMEOWNER_MAX_COST_SHARE = 1;
/** A defence is offered when it takes at least this share (absolute) off what an observer recognises. */
export const HIDES_AT_LEAST = 0.1;
/** Shares this close to the best defence's count as as good (the cheaper one is named). */
export const NEAR_BEST = 0.05;

/**
 * The defence a homeowner is offered, the same way wherever one is (a device's card, the report,
 * a finding's advice): among those costing at most HOMEOWNER_MAX_COST_SHARE more traffic, the
 * cheapest of those that leave at most NEAR_BEST more (`left`: what the observer still gets) than
 * the one that leaves the least; null when no such defence was tried. Dearer ones are a
 * researcher's matter.
 */
export function homeownersDefence<T>(
  tried: readonly T[],
  left: (t: T) => number,
  cost: (t: T) => number,
): T | null {
  const affordable = tried.filter((t) => cost(t) <= HOMEOWNER_MAX_COST_SHARE);
  if (affordable.length === 0) return null;
  const least = Math.min(...affordable.map(left));
  let best: T | null = null;
  for (const t of affordable) {
    if (left(t) > least + NEAR_BEST) continue;
    if (best === null || cost(t) < cost(best)) best = t;
  }
  return best;
}

/** A defence the what-ifs tried on this device: what the observer recognises of it without and with it, and its cost. */
export interface TriedDefence {
  view: ObserverView;
  description: string;
  before: number;
  after: number;
  /** Extra traffic as a share of the home's, and in bytes a month (null: no time covered). */
  costShare: number;
  monthlyBytes: number | null;
}

const OBSERVER_WORDS: Record<ObserverView, string> = { napt: 'your ISP', vpn: "the VPN's carrier" };

/** "what it is and when it is in use", "what it is", "when it is in use". */
function learnedWords(l: Learned): string {
  return l.what && l.when ? 'what it is and when it is in use' : l.what ? 'what it is' : 'when it is in use';
}

/**
 * The one change that helps a device most (null: no outsider sees any of its traffic): a
 * camera's local mode when an outsider sees it upload; else a VPN on the router when the VPN's
 * carrier would learn less than the ISP; else the homeowner's defence (`homeownersDefence`) when it
 * takes at least HIDES_AT_LEAST off; else that nothing tried helps.
 */
export function deviceAction(
  exposure: Record<ObserverView, DeviceExposure | null>,
  kind: DeviceCategory | null,
  tried: readonly TriedDefence[],
  formatBytes: (bytes: number) => string,
): DeviceAction | null {
  const isp = exposure.napt;
  if (isp === null || isp.packets === 0) return null;
  const { napt: a, vpn: v } = observersLearn(exposure);
  if (!a.what && !a.when)
    return {
      kind: 'nothing-needed',
      title: 'Nothing needed',
      detail: 'Your ISP learns little about it from its traffic.',
      monthlyBytes: null,
    };
  if (kind === 'camera' && (a.when || v.when))
    return {
      kind: 'local-mode',
      title: 'Record locally, if it can',
      detail: `${a.when ? 'Your ISP' : "A VPN's carrier"} can see when it uploads, which shows when something moves in front of it. Recording to a memory card or a hub at home keeps clips off the internet.`,
      monthlyBytes: null,
    };
  const hidden: Learned = { what: a.what && !v.what, when: a.when && !v.when };
  if (hidden.what || hidden.when) {
    const left = { what: a.what && v.what, when: a.when && v.when };
    return {
      kind: 'vpn',
      title: 'A VPN on your router',
      detail: `It would hide ${learnedWords(hidden)} from your ISP${
        left.what || left.when ? `; the VPN's carrier could still tell ${learnedWords(left)}` : ''
      }.`,
      monthlyBytes: null,
    };
  }
  // the what-ifs measure what Telltale's catalog still recognises: they speak for a view only where
  // the catalog recognised the device rightly, from enough of its packets
  const measured = tried.filter((t) => {
    const e = exposure[t.view];
    return (
      e !== null &&
      e.packets >= MIN_PACKETS_FOR_SHARES &&
      e.evidence === 'recognised' &&
      e.catalogRight !== false
    );
  });
  if (measured.length === 0)
    return {
      kind: 'no-fix',
      title: 'No easy fix',
      detail: `Telltale measures padding and cover traffic against its own catalog, which does not recognise this device, so it cannot say what they would hide; a VPN's carrier could tell ${learnedWords(v)} as well as your ISP.`,
      monthlyBytes: null,
    };
  // judged by what each takes off (the observers' shares start from different places)
  const best = homeownersDefence(
    measured,
    (t) => t.after - t.before,
    (t) => t.costShare,
  );
  if (best !== null && best.before - best.after >= HIDES_AT_LEAST)
    return {
      kind: 'padding',
      title: best.description.startsWith('padding') ? 'Padding its packets' : 'Cover traffic',
      detail: `With ${best.view === 'vpn' ? 'a VPN that adds ' : ''}${best.description} (some VPNs and routers offer it), Telltale's model of ${OBSERVER_WORDS[best.view]} names it for ${pct(best.after)} of its traffic instead of ${pct(best.before)}${
        best.monthlyBytes === null
          ? ''
          : `, for ${formatBytes(best.monthlyBytes)} a month more data for the whole home`
      }. An observer retrained on padded traffic may do better.`,
      monthlyBytes: best.monthlyBytes,
    };
  return {
    kind: 'no-fix',
    title: 'No easy fix',
    detail: `None of the changes tried hides it without more than doubling your traffic: a VPN's carrier could tell ${learnedWords(v)} as well as your ISP.`,
    monthlyBytes: null,
  };
}

const pct = (share: number): string => `${Math.round(100 * share)} %`;
