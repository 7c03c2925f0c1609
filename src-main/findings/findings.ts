/**
 * Plain-language privacy findings from a home audit: per device and for the home, each with a
 * severity, the observer it concerns, the evidence behind it and what the person can do.
 *
 *  - identity: an observer's model names the device's packets (share, confidence);
 *  - activity: the observer's timeline shows when the device was busy (with an example span);
 *  - clouds: the names of the services a device talks to, which the ISP sees without a VPN;
 *  - clear-text: traffic anyone on the path can read;
 *  - dns: lookups that leave the home unencrypted;
 *  - quiet: a device that gave nothing away is said to be quiet, not left out;
 *  - defence: what each what-if would change, and at what bandwidth cost.
 *
 * Severity thresholds: identity high from 80 % of packets recognised (an observer that right on
 * four packets in five cannot miss the device), medium from 50 %, low from 20 %; activity high
 * when the observer's timeline catches at least half of the device's busy time, medium when it
 * catches at least one busy span. They are statements about what a person should worry about, not
 * tuned numbers.
 */
import { formatBytes, formatDuration } from '../activity/activity-timeline.ts';
import type {
  DeviceAudit,
  HomeAudit,
  ObserverAudit,
  ObserverDeviceAudit,
  WhatIf,
  WhatIfDevice,
} from '../audit/audit-types.ts';
import { MIN_PACKETS_FOR_AVERAGE, OBSERVER_NAMES } from '../audit/audit-types.ts';
import { siteOf } from '../devices/sites.ts';
import { OTHER_SITES } from '../audit/traffic-metadata.ts';
import {
  CATALOG_MIN_COVERAGE,
  CATALOG_MIN_SHARE,
  recognisedCount,
  rightlyRecognised,
  spansSeenOf,
} from '../audit/exposure.ts';
import type { CategoryDecision } from '../inference/device-category.ts';
import type { WideDecision } from '../inference/wide-catalog.ts';
import { categoryWords, SEVERITIES, type Finding, type Severity } from '../shared/audit-types.ts';
import { catalogName } from '../shared/device-categories.ts';
import { HIDES_AT_LEAST, HOMEOWNER_MAX_COST_SHARE, homeownersDefence } from '../shared/device-verdict.ts';
import { localClock, localDate, zoneOffsetLabel } from '../shared/time-zone.ts';

export type { Finding, FindingKind, Severity } from '../shared/audit-types.ts';

const pct = (share: number): string => `${Math.round(100 * share)} %`;
const count = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * The evidence line of a recognition by the wider catalog (inference/wide-catalog.ts): its three
 * tests with the figures they passed on, and how often it named devices it never saw.
 */
export function wideEvidence(w: WideDecision, packets: number, crossing: string): string {
  const sampled = w.sampled;
  const held =
    w.heldOut === null
      ? ''
      : ` Tested on ${w.heldOut.instances} devices of kinds it never saw, it named ${w.heldOut.named} of them as a kind they were not.`;
  return (
    `Wider catalog: recognised as "${w.kind ?? '-'}" — ${packets} of its packets cross ${crossing}; of ${sampled === packets ? 'them' : `${sampled} of them sampled`}, its forest names ${pct(w.share)} so and ${pct(w.coverage)} have the packet sizes of that kind's own traffic (the test asks for ${pct(CATALOG_MIN_SHARE)} and ${pct(CATALOG_MIN_COVERAGE)}), ` +
    `and it used ${w.names.length === 1 ? 'a host name' : 'host names'} of a site only that kind's devices used in the catalog's data: ${w.names.slice(0, 3).join(', ')}${w.names.length > 3 ? ` and ${w.names.length - 3} more` : ''}. Another product of the same maker that uses that site could look the same to it.` +
    held
  );
}

/**
 * "2023-06-13 19:47–19:52 UTC+02:00" in `zone` (default UTC: "… UTC"): the end's date is repeated
 * only when it differs; seconds within one minute.
 */
export function formatSpanTime(start: number, end: number, zone = 'UTC'): string {
  const label = zoneOffsetLabel(start, zone);
  const [a, b] = [localDate(start, zone), localDate(end, zone)];
  // within one minute: "19:47:05–19:47:41", not "19:47–19:47"
  if (a === b && localClock(start, zone) === localClock(end, zone))
    return `${a} ${localClock(start, zone, true)}–${localClock(end, zone, true)} ${label}`;
  const endText = a === b ? localClock(end, zone) : `${b} ${localClock(end, zone)}`;
  return `${a} ${localClock(start, zone)}–${endText} ${label}`;
}

/** What to call a device in text: the person's name, else its labels.csv name, else the best name found. */
export function deviceName(d: DeviceAudit): string {
  return d.nameIsUsers ? d.name : (d.trueLabel ?? d.name);
}

/** "a Nest Camera", "an Amazon Plug", "an HBN Plug" (an initialism read letter by letter). */
function article(word: string): string {
  return /^[aeiou]/i.test(word) || /^[FHLMNRSX][A-Z]/.test(word) ? `an ${word}` : `a ${word}`;
}

/**
 * The category model's line of evidence: what kind it gives, how sure, and how such answers held on
 * devices it never saw; null without a category model or without packets.
 */
function categoryEvidence(c: CategoryDecision | null): string | null {
  if (c === null || c.top === null) return null;
  const held =
    c.heldOut === null
      ? ''
      : ` (on ${c.heldOut.instances} captures of devices it never saw, its answers at that level named the right kind ${c.heldOut.right} times and a wrong one ${c.heldOut.wrong} times)`;
  return c.category !== null
    ? `Kind: looks like ${article(categoryWords(c.category))} — over ${c.chunks} hourly summaries of its ${c.packets} packets the category model gives that ${pct(c.probability)}; it names a kind only from ${pct(c.threshold)}${held}.`
    : `Kind: not told — the category model's best guess, ${article(categoryWords(c.top))}, has ${pct(c.probability)}, under the ${pct(c.threshold)} it needs to name a kind${held}.`;
}

/** Severity of a share of a device's packets an observer names: from 80 % high, 50 % medium, 20 % low. */
function shareSeverity(share: number): Severity | null {
  return share >= 0.8 ? 'high' : share >= 0.5 ? 'medium' : share >= 0.2 ? 'low' : null;
}

/** "94 % (95 % interval 90–97 %)" */
function withInterval(share: number, interval: [number, number] | null): string {
  return interval === null
    ? pct(share)
    : `${pct(share)} (95 % interval ${pct(interval[0]).replace(' %', '')}–${pct(interval[1])})`;
}

/**
 * One finding per device and observer about its identity, saying only what was measured, at its
 * evidence level: the bundled catalog recognises it (the device-level test passed,
 * audit/exposure.ts), or it does not; and, separately, what an observer that trained on this
 * home's own earlier traffic names correctly later on (audit/in-home-observer.ts) — the threat of
 * an ISP with labelled traffic of devices like yours. "Recognised" is never said of a device the
 * test rejected, and "distinctive" only with the in-home number behind it.
 */
function identityFinding(
  d: DeviceAudit,
  o: ObserverAudit,
  r: ObserverDeviceAudit,
  whatIfs: readonly WhatIf[],
  nameOf: (mac: string) => string,
): Finding | null {
  const id = r.identity;
  if (id.packets < MIN_PACKETS_FOR_AVERAGE) return null;
  const home = o.inHome?.devices.find((x) => x.mac === d.mac) ?? null;
  const homeShare = home?.measured === true ? home.recognisedShare! : null;
  const kind = o.inHome?.kinds.find((k) => k.macs.includes(d.mac)) ?? null;
  const who = o.view === 'napt' ? 'Your ISP' : "Whoever carries your VPN's traffic";
  const where = o.view === 'napt' ? 'even behind your router' : 'even inside your VPN tunnel';
  const crossing = o.view === 'napt' ? 'your router' : 'the tunnel';
  // the catalog's statement
  const recognised = id.evidence === 'recognised' && id.topModelClass !== null;
  const rightClass = rightlyRecognised(id);
  const catalogSeverity = recognised && rightClass ? shareSeverity(id.topModelShare) : null;
  // graded by what the measurement is sure of (its interval's lower end): a share measured on a
  // few minutes of traffic (100 %, interval 21–100 %) is weak evidence, whatever its point value
  const homeInterval = kind?.interval ?? home?.interval ?? null;
  const homeSeverity =
    homeShare === null ? null : shareSeverity(homeInterval?.[0] ?? kind?.recognisedShare ?? homeShare);
  const severities = [catalogSeverity, homeSeverity].filter((x): x is Severity => x !== null);
  const misnamed = recognised && !rightClass;
  const looksLike =
    id.evidence === 'looks-like' && id.category?.category != null ? id.category.category : null;
  if (severities.length === 0 && !misnamed && looksLike === null) return null;
  const severity =
    severities.length === 0
      ? 'low'
      : severities.reduce((a, b) => (SEVERITIES.indexOf(b) < SEVERITIES.indexOf(a) ? b : a));
  const name = deviceName(d);
  const catalogClass = id.topModelClass === null ? '' : catalogName(id.topModelClass, id.platform);
  const catalog = id.recognisedBy === 'wide' ? "Telltale's wider catalog" : "Telltale's catalog";
  let title: string;
  if (recognised && rightClass) {
    const how =
      id.topModelShare >= 0.8
        ? 'can tell'
        : id.topModelShare >= 0.5
          ? 'can often tell'
          : 'can sometimes tell';
    title =
      id.classSource === 'labels'
        ? `${who} ${how} there is ${article(catalogClass)} in your home: ${catalog} recognises it ${where}.`
        : `${who} ${how} your ${name} is ${article(catalogClass)}: ${catalog} recognises it ${where}.`;
  } else if (homeShare !== null && homeSeverity !== null) {
    const share = kind?.recognisedShare ?? homeShare;
    title =
      `${who} could tell your ${name} apart from your other devices if it had labelled traffic of devices like ` +
      `yours: trained on the first half of its traffic in this capture, such an observer names ${withInterval(share, kind?.interval ?? home!.interval)} ` +
      `of its later packets right${kind === null ? '' : ' (as its kind: you have more than one)'}.`;
  } else if (misnamed) {
    title = `${catalog} takes your ${name} for ${article(catalogClass)}, though it is not one: ${who.toLowerCase()} with the same catalog would be wrong about it.`;
  } else {
    title = `${who} can tell what kind of device your ${name} is — it looks like ${article(categoryWords(looksLike!))} — though not which model.`;
  }
  const evidence: string[] = [];
  if (recognised && id.recognisedBy === 'wide' && id.wide !== null) {
    evidence.push(wideEvidence(id.wide, id.packets, crossing));
  } else if (recognised) {
    evidence.push(
      `Catalog: recognised as "${id.topModelClass}" — ${id.packets} of its packets cross ${crossing}; the ${o.modelId} model names ${pct(id.topModelShare)} of them so, and ${pct(id.profileCoverage ?? 0)} of them have the packet sizes of that device's own traffic (the test asks for ${pct(CATALOG_MIN_COVERAGE)}).` +
        (id.platform == null
          ? ''
          : ` That class stands for devices built on ${id.platform}'s modules: its devices run ${id.platform}'s firmware, whose traffic is what an observer sees, whatever the brand on the box.`),
    );
  } else {
    // say which part of the test it failed
    const why =
      id.topModelShare < CATALOG_MIN_SHARE
        ? `that is under half of them (the test asks for ${pct(CATALOG_MIN_SHARE)}), so no answer stands.`
        : id.profileCoverage === null
          ? 'the catalog has no size profiles to check it against.'
          : `only ${pct(id.profileCoverage)} of its packets have that device's packet sizes (the test asks for ${pct(CATALOG_MIN_COVERAGE)}), so that answer is a guess, not a recognition.`;
    evidence.push(
      `Catalog: not recognised — ${id.packets} of its packets cross ${crossing}; the ${o.modelId} model's most frequent answer is "${id.topModelClass ?? '-'}" (${pct(id.topModelShare)}), but ${why}`,
    );
  }
  const kindLine = categoryEvidence(id.category);
  if (kindLine !== null) evidence.push(kindLine);
  if (home === null) evidence.push('No observer was trained on this home for this view.');
  else if (!home.measured)
    evidence.push(
      home.unmeasured === 'no-other-device'
        ? 'An observer trained on this home has no other device with enough traffic to tell it from, so it gives no number.'
        : `An observer trained on this home could not be measured for it: too little traffic (${home.trainPackets} packets before the split, ${home.testPackets} after; it needs 100 and 50).`,
    );
  else
    evidence.push(
      `Trained on this home: ${withInterval(home.recognisedShare!, home.interval)} of its ${home.testPackets} later packets named right (${home.minutes} minutes of them)` +
        (home.perFlow === null ? '' : `, ${pct(home.perFlow)} of its connections by majority`) +
        (home.mistakenFor === null || home.mistakenShare < 0.05
          ? '.'
          : `; otherwise mostly taken for ${home.mistakenFor === 'no device' ? 'no device' : `your ${nameOf(home.mistakenFor)}`} (${pct(home.mistakenShare)}).`),
    );
  return {
    id: `identity:${o.view}:${d.mac}`,
    kind: 'identity',
    severity,
    observer: o.view,
    device: d.mac,
    title,
    evidence,
    advice:
      (o.view === 'napt'
        ? 'A VPN on the router hides which device sent each packet from your ISP far better than NAT does.'
        : 'A VPN hides ports and addresses but not packet sizes and timing; padding packets or adding cover traffic is what makes devices hard to tell apart.') +
      (recognised && rightClass ? ` ${identityDefenceAdvice(d, o, r, whatIfs)}` : ''),
  };
}

/** One what-if and the device's row in it. */
interface TriedDefence {
  w: WhatIf;
  row: WhatIfDevice;
}

/** The device's row in each what-if of the observer's view. */
function whatIfsOf(whatIfs: readonly WhatIf[], view: ObserverAudit['view'], mac: string): TriedDefence[] {
  const out: TriedDefence[] = [];
  for (const w of whatIfs) {
    if (w.view !== view) continue;
    const row = w.devices.find((x) => x.mac === mac);
    if (row !== undefined) out.push({ w, row });
  }
  return out;
}

/** The homeowner's defence (shared/device-verdict.ts) against `share`, or null when none within twice the traffic was run. */
function bestDefence(
  tried: readonly TriedDefence[],
  share: (row: WhatIfDevice) => number,
): TriedDefence | null {
  return homeownersDefence(
    tried,
    (t) => share(t.row),
    (t) => t.w.costShare,
  );
}

/** What the what-ifs measured against recognising this device, in one sentence. */
function identityDefenceAdvice(
  d: DeviceAudit,
  o: ObserverAudit,
  r: ObserverDeviceAudit,
  whatIfs: readonly WhatIf[],
): string {
  const now = r.identity.recognisedShare;
  const as = article(r.identity.className!);
  const best = bestDefence(whatIfsOf(whatIfs, o.view, d.mac), (x) => x.recognisedShare);
  if (best === null)
    return 'The defence what-ifs measure how much padding or cover traffic within twice your traffic would change this.';
  const left = best.row.recognisedShare;
  if (left >= now)
    return `None of the defences tried within twice your traffic lowers this: with the best of them, ${best.w.description}, ${pct(left)} of its packets would be taken for ${as} (${pct(now)} without).`;
  if (now - left < HIDES_AT_LEAST)
    return `The defences tried within twice your traffic change this little: with the best of them, ${best.w.description}, ${pct(left)} of its packets would still be taken for ${as} (${pct(now)} without).`;
  return `Of the defences tried within twice your traffic, ${best.w.description} works best here: ${pct(left)} of its packets would still be taken for ${as} instead of ${pct(now)}, for ${pct(best.w.costShare)} more traffic.`;
}

/**
 * What the what-ifs measured against seeing when this device is busy, in one sentence: the
 * defence that leaves an observer the least of its busy time, judged from the defended timing
 * (its own packets and any cover traffic, the what-ifs' `busyRecall`) — a defence that only changes what a
 * model calls the packets hides nothing from an observer that knows the device by other means.
 */
function activityDefenceAdvice(
  d: DeviceAudit,
  o: ObserverAudit,
  r: ObserverDeviceAudit,
  whatIfs: readonly WhatIf[],
): string {
  const now = r.activity.busyRecall;
  const best =
    r.identity.packets < MIN_PACKETS_FOR_AVERAGE
      ? null
      : bestDefence(whatIfsOf(whatIfs, o.view, d.mac), (x) => x.busyRecall);
  if (best === null)
    return 'Padding or constant-rate cover traffic may hide its busy periods; the defence what-ifs measure which does for this device once it has sent enough packets.';
  const left = best.row.busyRecall;
  if (left >= now)
    return `None of the defences tried within twice your traffic lowers this: with the best of them, ${best.w.description}, an observer would still see ${pct(left)} of its busy time (${pct(now)} without).`;
  if (now - left < HIDES_AT_LEAST)
    return `The defences tried within twice your traffic change this little: with the best of them, ${best.w.description}, an observer would still see ${pct(left)} of its busy time (${pct(now)} without).`;
  return `Of the defences tried within twice your traffic, ${best.w.description} hides the most of its busy time: an observer would see ${pct(left)} of it instead of ${pct(now)}, for ${pct(best.w.costShare)} more traffic.`;
}

function activityFinding(
  d: DeviceAudit,
  o: ObserverAudit,
  r: ObserverDeviceAudit,
  whatIfs: readonly WhatIf[],
  zone: string,
): Finding | null {
  const a = r.activity;
  if (a.spansTotal === 0 || a.spansSeen === 0 || r.inferred === null) return null;
  // graded by the device's busy spans the observer sees (events a person understands), and only
  // as high as what it can tell of the device's identity allows (below)
  const spanSeverity: Severity = a.spansSeen * 2 >= a.spansTotal ? 'high' : 'medium';
  const busy = r.inferred.segments.filter((s) => s.state === 'busy');
  const seen = d.truth.spans
    .filter((s) => !s.routine && busy.some((b) => b.start < s.binEnd && s.binStart < b.end))
    .sort((x, y) => y.bytesUp + y.bytesDown - (x.bytesUp + x.bytesDown));
  const example = seen[0];
  const camera = (d.category ?? '').includes('camera') || /camera|doorbell/i.test(deviceName(d));
  const what = camera && example.bytesUp >= example.bytesDown ? 'uploads' : 'is busy';
  // the example as the observer sees it: only what crossed the router (LAN traffic never does)
  const up = example.bytesUp >= example.bytesDown;
  const exampleText = `${up ? 'sent' : 'received'} ${formatBytes(up ? example.bytesUp : example.bytesDown)} over the internet in ${formatDuration(example.end - example.start)}`;
  // the observer sees the device's busy periods only if it can tell the device's traffic apart
  const home = o.inHome?.devices.find((x) => x.mac === d.mac) ?? null;
  const kind = o.inHome?.kinds.find((k) => k.macs.includes(d.mac)) ?? null;
  const homeShare = home?.measured === true ? (kind?.recognisedShare ?? home.recognisedShare!) : null;
  const known = rightlyRecognised(r.identity) || (homeShare !== null && homeShare >= 0.5);
  const who = o.view === 'napt' ? 'Your ISP' : "Anyone on your VPN connection's path";
  return {
    id: `activity:${o.view}:${d.mac}`,
    kind: 'activity',
    severity: known ? spanSeverity : 'medium',
    observer: o.view,
    device: d.mac,
    title:
      `${who} ${known ? 'can tell' : 'could tell, if it told its traffic apart from your other devices’,'} when your ${deviceName(d)} ${what}: ` +
      `its traffic shows ${a.spansSeen} of its ${a.spansTotal} busy ${a.spansTotal === 1 ? 'period' : 'periods'} — e.g. ${formatSpanTime(example.start, example.end, zone)} (${exampleText}).`,
    evidence: [
      `The observer's timeline of the device's own packets shows ${a.spansSeen} of its ${a.spansTotal} busy spans, ${formatDuration(Math.round(a.busyRecall * a.truthBusySeconds))} of its ${formatDuration(a.truthBusySeconds)} busy time, and ${a.falseBusyPerDay.toFixed(1)} busy stretches a day when the device was not busy.`,
    ],
    advice:
      (camera
        ? 'A camera uploading tells an outsider that someone is watching or that something moved.'
        : 'Busy periods show when the device is used.') +
      ' ' +
      activityDefenceAdvice(d, o, r, whatIfs),
  };
}

/**
 * The services a device talks to, as the ISP sees them. `naptPackets`: the device's packets in the
 * ISP's view; with none, the ISP sees only the names the home's router looks up for it, and not
 * which device asked, so the finding says that (and is low).
 */
function cloudsFinding(d: DeviceAudit, naptPackets: number): Finding | null {
  // the sites it exchanged traffic with, most data first, then those it only looked up
  const traffic = (d.traffic?.sites ?? []).filter((x) => x.site !== null && x.site !== OTHER_SITES);
  const looked = [...d.sniNames, ...d.dnsNames].map(siteOf).filter((x): x is string => x !== null);
  const names = [...new Set([...traffic.map((x) => x.site!), ...looked])];
  if (names.length === 0) return null;
  const services = (d.traffic?.services ?? []).slice(0, 5).map((s) => `${s.service} (${s.packets} packets)`);
  const volume = new Map(traffic.map((x) => [x.site!, x.bytes]));
  const listed = `${names
    .slice(0, 4)
    .map((n) => (volume.has(n) ? `${n} (${formatBytes(volume.get(n)!)})` : n))
    .join(', ')}${names.length > 4 ? ` and ${names.length - 4} more` : ''}`;
  const bySite = (d.traffic?.sites ?? [])
    .slice(0, 6)
    .map((x) => `${x.site ?? 'addresses it never looked up'} ${formatBytes(x.bytes)}`);
  const direct = naptPackets > 0;
  return {
    id: `clouds:napt:${d.mac}`,
    kind: 'clouds',
    severity: direct ? 'medium' : 'low',
    observer: 'napt',
    device: d.mac,
    title: direct
      ? `Your ISP sees that your ${deviceName(d)} talks to ${listed}.`
      : `Your ISP sees your home look up ${listed} for your ${deviceName(d)}, but not which device asked: it sent nothing to the internet itself.`,
    evidence: [
      ...(d.sniNames.length > 0
        ? [`TLS server names it asked for: ${d.sniNames.slice(0, 6).join(', ')}.`]
        : []),
      ...(d.dnsNames.length > 0 ? [`DNS names it looked up: ${d.dnsNames.slice(0, 6).join(', ')}.`] : []),
      ...(services.length > 0 ? [`Services it used: ${services.join(', ')}.`] : []),
      ...(bySite.length > 0 ? [`Its internet traffic by site: ${bySite.join(', ')}.`] : []),
    ],
    advice:
      'These names tell the maker and the service. A VPN hides them from your ISP (the VPN provider sees them instead); encrypted DNS hides the lookups but not the TLS server names.',
  };
}

function clearTextFinding(d: DeviceAudit): Finding | null {
  const clear = Object.entries(d.traffic?.clearText ?? {}).filter(([, n]) => (n ?? 0) > 0);
  if (clear.length === 0) return null;
  return {
    id: `clear-text:napt:${d.mac}`,
    kind: 'clear-text',
    severity: 'high',
    observer: 'napt',
    device: d.mac,
    title: `Your ${deviceName(d)} sends unencrypted traffic to the internet (${clear.map(([p]) => p.toUpperCase()).join(', ')}): anyone on the path can read it.`,
    evidence: clear.map(([p, n]) => `${n} ${p.toUpperCase()} packets to or from the internet.`),
    advice:
      'Check for a firmware update or a setting that turns on encryption; a VPN keeps the contents from your ISP but not from the VPN provider.',
  };
}

function dnsFinding(devices: readonly DeviceAudit[]): Finding | null {
  const users = devices.filter(
    (d) => (d.traffic?.dnsQueriesPublic ?? 0) + (d.traffic?.dnsQueriesLocal ?? 0) > 0,
  );
  if (users.length === 0) return null;
  const queries = users.reduce((a, d) => a + d.traffic!.dnsQueriesPublic + d.traffic!.dnsQueriesLocal, 0);
  const names = new Set(users.flatMap((d) => d.dnsNames));
  const dot = devices.filter((d) => (d.traffic?.dnsOverTls ?? 0) > 0);
  return {
    id: 'dns:napt:home',
    kind: 'dns',
    severity: 'medium',
    observer: 'napt',
    device: null,
    title: `Your DNS lookups are not encrypted: your ISP can see the names your devices look up (${count(queries, 'lookup')} from ${count(users.length, 'device')}).`,
    evidence: [
      `${users.filter((d) => d.traffic!.dnsQueriesPublic > 0).length} devices ask a public resolver directly on port 53; ${users.filter((d) => d.traffic!.dnsQueriesLocal > 0).length} ask a resolver in the home, which normally forwards the question to your ISP unencrypted.`,
      ...(names.size > 0
        ? [`Names seen: ${[...names].slice(0, 8).join(', ')}${names.size > 8 ? ', …' : ''}.`]
        : []),
      ...(dot.length > 0 ? [`${dot.length} devices also use DNS over TLS (port 853).`] : []),
    ],
    advice:
      'Turn on encrypted DNS (DNS over TLS or HTTPS) on the router so it no longer forwards lookups in clear text; a VPN carries them inside the tunnel.',
  };
}

function defenceFindings(audit: HomeAudit): Finding[] {
  const out: Finding[] = [];
  const tooFew = new Set<string>();
  for (const w of audit.whatIfs) {
    const base = audit.observers.find((o) => o.view === w.view);
    if (base === undefined) continue;
    // the home averages are over devices with enough packets in the view; with none they say nothing
    if (!base.devices.some((r) => r.identity.packets >= MIN_PACKETS_FOR_AVERAGE)) {
      if (!tooFew.has(w.view)) {
        tooFew.add(w.view);
        out.push({
          id: `defence:${w.view}:too-few-packets`,
          kind: 'defence',
          severity: 'info',
          observer: w.view,
          device: null,
          title: `No home averages of the defence what-ifs for ${OBSERVER_NAMES[w.view]}: no device has at least ${MIN_PACKETS_FOR_AVERAGE} packets in its view.`,
          evidence: [`${base.packets} packets of the home reach this observer's view.`],
          advice: 'Capture for longer (an hour or more) to see what a defence would change.',
        });
      }
      continue;
    }
    out.push(defenceFinding(w, base));
  }
  return out;
}

/** Views with fewer packets than this get a word on how little their what-if averages rest on. */
const FEW_PACKETS = 10_000;

/** The devices the observer's home averages are taken over: all with enough packets, and those the catalog recognises. */
function averaged(base: ObserverAudit): { all: number; recognised: number } {
  const rows = base.devices.filter((r) => r.identity.packets >= MIN_PACKETS_FOR_AVERAGE);
  return { all: rows.length, recognised: recognisedCount(rows) };
}

function defenceFinding(w: WhatIf, base: ObserverAudit): Finding {
  const who = w.view === 'napt' ? "your ISP's" : "your VPN carrier's";
  const before = w.sample?.undefended.meanRecognisedShare ?? base.meanRecognisedShare;
  const n = averaged(base);
  const busy = (sees: string): string =>
    `the busy periods ${sees} from ${w.sample?.undefended.spansSeen ?? spansSeenOf(base.devices).seen} ` +
    `to ${w.spansSeen} of ${w.spansTotal}${w.sample === null ? '' : ' in the stretches it looked at'}, for ` +
    `${pct(w.costShare)} more traffic`;
  return {
    researchOnly: w.meanRecognisedShare > before || w.costShare > HOMEOWNER_MAX_COST_SHARE,
    id: `defence:${w.view}:${w.id}`,
    kind: 'defence',
    severity: 'info',
    observer: w.view,
    device: null,
    // recognition is measured only on devices the catalog recognises: of look-alikes there is none to lose
    title:
      n.recognised === 0
        ? `What if: ${w.description} would change ${busy(`${w.view === 'napt' ? 'your ISP' : "your VPN's carrier"} sees`)}. What it does to ${who} recognition cannot be ` +
          `measured here: Telltale's catalog recognises none of your devices in this view.`
        : `What if: ${w.description} would change ${who} recognition of ${n.recognised === n.all ? 'your devices' : `the ${count(n.recognised, 'device')} Telltale's catalog recognises`} from ` +
          `${pct(before)} to ${pct(w.meanRecognisedShare)} of their packets, and ${busy('it sees')}.`,
    evidence: [
      `Extra traffic: ${formatBytes(w.extraBytes)}${w.dummyPackets > 0 ? ` (${w.dummyPackets} cover packets)` : ''} over the captured time.`,
      ...(w.sample === null
        ? []
        : [
            `The capture is long, so this what-if looked at ${w.sample.blocks} stretches of it (${formatDuration(w.sample.seconds)} of ${formatDuration(w.sample.ofSeconds)}) packet by packet: recognition and busy periods are those of the sample, the extra traffic that of the whole capture.`,
          ]),
      `Averages over ${count(n.all, 'device')} with at least ${MIN_PACKETS_FOR_AVERAGE} packets in the view (${base.packets} packets in all; recognition over the ${n.recognised} of them the catalog recognises)${base.packets < FEW_PACKETS ? ': on so short a capture a few packets more or less recognised move them by several points either way' : ''}.`,
      'Measured with the same models, trained on traffic without the defence: an observer that retrains on defended traffic may do better.',
    ],
    advice:
      w.defence.kind === 'padding'
        ? 'Padding needs support on both ends of a tunnel (e.g. a VPN with padding options).'
        : 'Cover traffic runs all the time, so its cost is paid every hour of the day.',
  };
}

/**
 * All findings of an audit, most severe first (home-wide ones after the devices of the same
 * severity); the times they quote are in `timeZone` with its offset (default UTC).
 */
export function auditFindings(audit: HomeAudit, options: { timeZone?: string } = {}): Finding[] {
  const zone = options.timeZone ?? 'UTC';
  const findings: Finding[] = [];
  const names = new Map(audit.devices.map((x) => [x.mac, deviceName(x)]));
  const nameOf = (mac: string): string => names.get(mac) ?? mac;
  for (const d of audit.devices) {
    const own: Finding[] = [];
    for (const o of audit.observers) {
      const r = o.devices.find((x) => x.mac === d.mac);
      if (r === undefined) continue;
      const identity = identityFinding(d, o, r, audit.whatIfs, nameOf);
      if (identity !== null) own.push(identity);
      const activity = activityFinding(d, o, r, audit.whatIfs, zone);
      if (activity !== null) own.push(activity);
    }
    const napt = audit.observers.find((o) => o.view === 'napt')?.devices.find((x) => x.mac === d.mac);
    const clouds = cloudsFinding(d, napt?.identity.packets ?? d.traffic?.internetPackets ?? 0);
    if (clouds !== null) own.push(clouds);
    const clear = clearTextFinding(d);
    if (clear !== null) own.push(clear);
    if (own.length === 0) own.push(quietFinding(d, audit.observers));
    findings.push(...own);
  }
  const dns = dnsFinding(audit.devices);
  if (dns !== null) findings.push(dns);
  findings.push(...defenceFindings(audit));
  const rank = (f: Finding): number => SEVERITIES.indexOf(f.severity);
  return findings
    .map((f, i) => ({ f, i }))
    .sort((a, b) => rank(a.f) - rank(b.f) || a.i - b.i)
    .map((x) => x.f);
}

function quietFinding(d: DeviceAudit, observers: readonly ObserverAudit[]): Finding {
  const internet = d.traffic?.internetPackets ?? 0;
  const seen = observers.map((o) => o.devices.find((r) => r.mac === d.mac)?.identity.packets ?? 0);
  const title =
    internet === 0
      ? `Your ${deviceName(d)} is quiet: it only talked inside your home, so nothing of it reaches ${OBSERVER_NAMES.napt}.`
      : `Your ${deviceName(d)} is quiet: it sent ${internet} packets to the internet, too few or too plain for an outside observer to tell what it is or when it works.`;
  return {
    id: `quiet:any:${d.mac}`,
    kind: 'quiet',
    severity: 'info',
    observer: null,
    device: d.mac,
    title,
    evidence: observers.map((o, i) => `${seen[i]} of its packets in the ${o.observer}'s view.`),
    advice: 'Nothing to do for this device.',
  };
}
