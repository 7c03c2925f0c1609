/**
 * The privacy report as one self-contained HTML document (inline CSS and SVG, no scripts, no
 * external resources), laid out for print: the CLI prints it to PDF with Chromium
 * (cli/report-command.ts) and writes it as HTML, from this one layout.
 *
 * 1. Cover: the home's verdict in three sentences (what the ISP can tell, what a VPN carrier can
 *    tell, the one change that helps most), the capture period in local time with its zone, how
 *    much was seen, when the report was made, Telltale's and the models' versions.
 * 2. The household: every device, its kind, what each observer can tell about its identity (the
 *    evidence level, and the figure of the observer trained on this home) and its activity (busy
 *    spans seen of all), and the services it talks to.
 * 3. One section per device that gives something away: its timelines (truth, ISP, VPN carrier) as
 *    a strip across the page, its busiest spans, the findings in plain words and what to do, with
 *    the cost per month and the effect measured by the what-ifs; quiet devices one line each.
 * 4. How this was measured and its limits.
 * 5. Appendix for researchers: every finding with its evidence, the what-if table, the models.
 *
 * Every number comes from the audit; nothing is said that it did not measure.
 */
import { formatBytes, formatDuration, type ActivityTimeline } from '../activity/activity-timeline.ts';
import type {
  DeviceAudit,
  HomeAudit,
  ObserverAudit,
  ObserverDeviceAudit,
  WhatIf,
} from '../audit/audit-types.ts';
import { OBSERVER_NAMES } from '../audit/audit-types.ts';
import {
  CATALOG_MIN_COVERAGE,
  CATALOG_MIN_SHARE,
  recognisingViews,
  rightlyRecognised,
} from '../audit/exposure.ts';
import {
  actionOf,
  coveredSeconds,
  deviceExposures,
  kindOfDevice,
  monthlyBytes as monthlyExtra,
} from '../findings/device-advice.ts';
import { siteOf } from '../devices/sites.ts';
import { OTHER_SITES } from '../audit/traffic-metadata.ts';
import { deviceName, type Finding } from '../findings/findings.ts';
import { categoryWords } from '../shared/audit-types.ts';
import { catalogName } from '../shared/device-categories.ts';
import {
  homeRefusals,
  homeRefusalsText,
  HOMEOWNER_MAX_COST_SHARE,
  inHomeTells,
  MIN_REFUSALS_TO_TELL,
  refusalsText,
} from '../shared/device-verdict.ts';
import { zoneOffsetLabel } from '../shared/time-zone.ts';
import type { ModelFact } from './model-facts.ts';

export type Paper = 'A4' | 'Letter';

export interface ReportMeta {
  /** What the report is of: the home's or the capture's name (the running header). */
  title: string;
  /** The capture files' names. */
  captures: readonly string[];
  generatedAt: Date;
  /** IANA time zone the times are shown in (default: this computer's). */
  timeZone?: string;
  telltaleVersion: string;
  paper: Paper;
  /** Only this device's section (and the cover and methods); null: the whole home. */
  device?: string | null;
  /** What was measured of the observers' default models (report/model-facts.ts); none: not said. */
  models?: readonly ModelFact[];
}

const pct = (share: number): string => `${Math.round(100 * share)} %`;
/** A share with one decimal under 1 % (0.5 %, not "0 %"), whole per cents above. */
const finePct = (share: number): string =>
  share > 0 && share < 0.01 ? `${(100 * share).toFixed(1)} %` : pct(share);
const capitalised = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1);

function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** A tagged template whose interpolations are escaped unless they are already `Html`. */
class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0];
  values.forEach((v, i) => {
    out += piece(v) + strings[i + 1];
  });
  return new Html(out);
}

function piece(v: unknown): string {
  if (v instanceof Html) return v.text;
  if (Array.isArray(v)) return v.map(piece).join('');
  if (v === null || v === undefined || v === false) return '';
  return escapeHtml(typeof v === 'string' ? v : typeof v === 'number' ? String(v) : JSON.stringify(v));
}

/** Local time in the report's zone: "Tue 13 Jun 2023, 21:51". */
function localTime(seconds: number, zone: string, withDate = true): string {
  const options: Intl.DateTimeFormatOptions = withDate
    ? {
        weekday: 'short',
        day: 'numeric',
        month: 'short',
        year: 'numeric',
        hour: '2-digit',
        minute: '2-digit',
      }
    : { hour: '2-digit', minute: '2-digit' };
  return new Intl.DateTimeFormat('en-GB', { ...options, timeZone: zone, hourCycle: 'h23' }).format(
    new Date(seconds * 1000),
  );
}

/** "Europe/Berlin (UTC+02:00)" at a given moment. */
function zoneLabel(zone: string, at: number): string {
  return `${zone} (${zoneOffsetLabel(at, zone)})`;
}

function busySeconds(t: ActivityTimeline | null): number {
  return (t?.segments ?? []).filter((s) => s.state === 'busy').reduce((a, s) => a + s.end - s.start, 0);
}

/** A timeline's busy time beside its strip: "15 min busy", "never busy", or "no traffic". */
function busyWords(t: ActivityTimeline | null): string {
  if (t === null || t.segments.length === 0) return 'no traffic';
  const busy = busySeconds(t);
  return busy <= 0 ? 'never busy' : `${formatDuration(busy)} busy`;
}

/** The device's kind in words: labels.csv's category, else the category model's, else null. */
function kindOf(d: DeviceAudit, audit: HomeAudit): string | null {
  if (d.category !== null && !d.category.startsWith('NON-IOT')) return d.category;
  if (d.category?.startsWith('NON-IOT') === true)
    return d.category.slice('NON-IOT:'.length) || 'not a smart device';
  for (const o of audit.observers) {
    const c = o.devices.find((r) => r.mac === d.mac)?.identity.category?.category ?? null;
    if (c !== null) return `looks like ${categoryWords(c)}`;
  }
  return null;
}

/** What one observer can tell about a device's identity, at its evidence level, in words. */
function identityWords(o: ObserverAudit, mac: string): { text: string; level: 'high' | 'medium' | 'low' } {
  const r = o.devices.find((x) => x.mac === mac);
  const home = o.inHome?.devices.find((x) => x.mac === mac);
  if (r === undefined || r.identity.packets === 0) return { text: 'sees none of its traffic', level: 'low' };
  const id = r.identity;
  const right = rightlyRecognised(id);
  const parts: string[] = [];
  const said = id.topModelClass === null ? '' : catalogName(id.topModelClass, id.platform);
  const by = id.recognisedBy === 'wide' ? ' by the wider catalog' : '';
  if (right) parts.push(`recognised as ${said}${by}`);
  // the catalog's test passed for a class the labels say it is not: a mistake, never "recognised"
  else if (id.evidence === 'recognised' && id.topModelClass !== null)
    parts.push(`taken for ${said}${by}, which it is not`);
  else if (id.evidence === 'looks-like' && id.category?.category != null)
    parts.push(`looks like ${categoryWords(id.category.category)}`);
  else parts.push('not recognised');
  if (home?.measured === true && home.recognisedShare !== null)
    parts.push(`learned: ${pct(home.recognisedShare)} named`);
  const share = home?.measured === true ? (home.recognisedShare ?? 0) : 0;
  const level = right || inHomeTells(home) ? 'high' : share >= 0.5 ? 'medium' : 'low';
  return { text: parts.join('; '), level };
}

function activityWords(o: ObserverAudit, mac: string): string {
  const r = o.devices.find((x) => x.mac === mac);
  if (r === undefined || r.activity.spansTotal === 0) return '–';
  return `${r.activity.spansSeen} of ${r.activity.spansTotal}`;
}

function talksTo(d: DeviceAudit): string {
  const domains = [
    ...new Set([
      ...(d.traffic?.sites ?? []).flatMap((x) => (x.site === null || x.site === OTHER_SITES ? [] : [x.site])),
      ...[...d.sniNames, ...d.dnsNames].map(siteOf).filter((x): x is string => x !== null),
    ]),
  ];
  return domains.length === 0 ? '–' : domains.slice(0, 3).join(', ') + (domains.length > 3 ? ', …' : '');
}

/** The catalog's device-level test for one observer, in the appendix's short form. */
function catalogCell(r: ObserverDeviceAudit): string {
  const id = r.identity;
  if (id.topModelClass === null) return 'no answer';
  const shape = id.profileCoverage === null ? '' : `, sizes ${pct(id.profileCoverage)}`;
  const verdict = rightlyRecognised(id)
    ? 'recognised'
    : id.evidence === 'recognised'
      ? 'wrongly named'
      : 'not recognised';
  const names =
    id.recognisedBy === 'wide' && id.wide !== null
      ? `, wider catalog, names ${id.wide.names.slice(0, 2).join(', ')}`
      : '';
  return `${verdict}: ${catalogName(id.topModelClass, id.platform)} ${pct(id.topModelShare)}${shape}${names}`;
}

/** The category model's answer in short form: "camera 99 %", or "– (camera 62 %)" below its threshold. */
function kindCell(r: ObserverDeviceAudit): string {
  const c = r.identity.category;
  if (c === null) return '–';
  if (c.category !== null) return `${c.category} ${pct(c.probability)}`;
  return c.top === null ? '–' : `– (${c.top} ${pct(c.probability)})`;
}

/** The in-home observer's figure in short form: "87 % (85–88), flows 100 %". */
function learnedCell(o: ObserverAudit, mac: string): string {
  const home = o.inHome?.devices.find((x) => x.mac === mac);
  if (home === undefined) return '–';
  if (!home.measured || home.recognisedShare === null)
    return home.unmeasured === 'no-other-device' ? 'no other device' : 'too little traffic';
  const ci =
    home.interval === null
      ? ''
      : ` (${Math.round(100 * home.interval[0])}–${Math.round(100 * home.interval[1])})`;
  return `${pct(home.recognisedShare)}${ci}${home.perFlow === null ? '' : `, flows ${pct(home.perFlow)}`}`;
}

/** Extra data a what-if costs in a month of the home's traffic as captured ("2.7 GB"; "–" without time). */
function monthlyBytes(w: WhatIf, audit: HomeAudit): string {
  const bytes = monthlyExtra(w.extraBytes, audit);
  return bytes === null ? '–' : formatBytes(bytes);
}

/** The same in words: "2.7 GB a month". */
function perMonth(w: WhatIf, audit: HomeAudit): string {
  const bytes = monthlyBytes(w, audit);
  return bytes === '–' ? '–' : `${bytes} a month`;
}

/**
 * The what-if that lowers an observer's recognition most, with its drop, among those costing at
 * most `maxCostShare` of extra traffic; null without any.
 */
function bestWhatIf(
  audit: HomeAudit,
  view?: string,
  maxCostShare = Infinity,
): { w: WhatIf; drop: number } | null {
  let best: { w: WhatIf; drop: number } | null = null;
  for (const w of audit.whatIfs) {
    if (view !== undefined && w.view !== view) continue;
    if (w.costShare > maxCostShare) continue;
    const base =
      w.sample?.undefended.meanRecognisedShare ??
      audit.observers.find((o) => o.view === w.view)?.meanRecognisedShare ??
      0;
    const drop = base - w.meanRecognisedShare;
    if (best === null || drop > best.drop) best = { w, drop };
  }
  return best;
}

/** A table's column widths, in per cent of the page's width. */
function colgroup(widths: readonly number[]): Html {
  return html`<colgroup>
    ${widths.map((w) => html`<col style="width:${w}%" />`)}
  </colgroup>`;
}

/** A device "gives something away" when a finding about it is high or medium. */
function leaks(findings: readonly Finding[], mac: string): boolean {
  return findings.some((f) => f.device === mac && (f.severity === 'high' || f.severity === 'medium'));
}

/** What one observer learns about the home's smart devices: how many it sees, tells apart, and busy spans seen. */
function observerCounts(
  audit: HomeAudit,
  o: ObserverAudit,
): { devices: number; seen: number; told: number; spans: { seen: number; total: number } } {
  const devices = audit.devices.filter((d) => d.category?.startsWith('NON-IOT') !== true);
  const seen = devices.filter((d) => (o.devices.find((r) => r.mac === d.mac)?.identity.packets ?? 0) > 0);
  const told = seen.filter((d) => identityWords(o, d.mac).level === 'high');
  const spans = o.devices.reduce(
    (a, r) => ({ seen: a.seen + r.activity.spansSeen, total: a.total + r.activity.spansTotal }),
    { seen: 0, total: 0 },
  );
  return { devices: devices.length, seen: seen.length, told: told.length, spans };
}

function verdict(audit: HomeAudit, zone: string): Html[] {
  const out: Html[] = [];
  for (const o of audit.observers) {
    const { devices, seen, told, spans } = observerCounts(audit, o);
    const who = o.view === 'napt' ? 'Your ISP' : "Your VPN's carrier";
    out.push(
      html`<p class="verdict">
        <strong>${who}</strong>
        ${
          devices === 1
            ? seen === 0
              ? 'sees no traffic of your one device'
              : `sees traffic of your one device and could${told === 1 ? '' : ' not'} tell what it is by its traffic alone`
            : html`sees traffic of ${seen} of your ${devices} devices and could tell ${told} of them apart by
              their traffic alone`
        }${
          spans.total > 0
            ? html`; it would see ${spans.seen} of ${devices === 1 ? 'its' : 'their'} ${spans.total} busy
              moment${spans.total === 1 ? '' : 's'}`
            : ''
        }.
      </p>`,
    );
  }
  const cut = homeRefusals(audit.devices.map((d) => d.truth));
  if (cut !== null)
    out.push(
      html`<p class="verdict">
        <strong>Refused:</strong>
        ${homeRefusalsText(cut.devices, localTime(cut.first, zone), localTime(cut.last, zone))}
      </p>`,
    );
  const best = bestWhatIf(audit, undefined, HOMEOWNER_MAX_COST_SHARE);
  const costly = bestWhatIf(audit);
  // what the what-ifs measure is the catalog's recognition: with none, there is nothing to lower
  out.push(
    audit.whatIfs.length > 0 && recognisingViews(audit).size === 0
      ? html`<p class="verdict">
          <strong>What helps most:</strong> Telltale's catalog recognises none of your devices, so what
          padding or cover traffic would hide from it cannot be measured here.
        </p>`
      : best === null || best.drop <= 0.05
        ? html`<p class="verdict">
            <strong>What helps most:</strong> none of the defences tried changes much
            here${audit.whatIfs.length === 0 ? ' (no defence was tried)' : ''}${
              costly !== null && costly.drop > 0.05
                ? html` without more than doubling your traffic (${costly.w.description} would, for
                  ${perMonth(costly.w, audit)} of extra data)`
                : ''
            }.
          </p>`
        : html`<p class="verdict">
            <strong>What helps most:</strong> ${best.w.description} against ${OBSERVER_NAMES[best.w.view]} —
            it would recognise ${pct(best.w.meanRecognisedShare)} of your devices' traffic instead of
            ${pct(best.w.meanRecognisedShare + best.drop)}, for ${perMonth(best.w, audit)} of extra data.
          </p>`,
  );
  return out;
}

/** The home's "what you can do": the changes a person can make, each with what was measured of it. */
function whatYouCanDo(audit: HomeAudit, findings: readonly Finding[]): Html {
  const items: Html[] = [];
  const isp = audit.observers.find((o) => o.view === 'napt');
  const vpn = audit.observers.find((o) => o.view === 'vpn');
  if (isp !== undefined && vpn !== undefined) {
    const a = observerCounts(audit, isp);
    const b = observerCounts(audit, vpn);
    items.push(
      html`<li>
        <strong>A VPN on your router</strong> puts all of your home's traffic in one encrypted tunnel: your
        ISP no longer sees which device talks to which service, or the names they look up. It moves what an
        outsider learns rather than removing it — measured here, your ISP could tell ${a.told} of your devices
        apart and the VPN's carrier
        ${b.told}${
          a.spans.total > 0
            ? html`; they would see ${a.spans.seen} and ${b.spans.seen} of the ${a.spans.total} busy moments`
            : ''
        }.
      </li>`,
    );
  }
  const dns = findings.find((f) => f.kind === 'dns');
  if (dns !== undefined)
    items.push(html`<li><strong>Encrypted DNS on your router.</strong> ${dns.title} ${dns.advice}</li>`);
  const shaped = audit.observers
    .map((o) => ({ o, best: bestWhatIf(audit, o.view, HOMEOWNER_MAX_COST_SHARE) }))
    .filter((x) => x.best !== null && x.best.drop > 0.05);
  if (shaped.length > 0)
    items.push(
      html`<li>
        <strong>Padding or cover traffic</strong> (a feature of some routers and VPNs):
        ${shaped.map(
          ({ o, best }, i) =>
            html`${i > 0 ? '; ' : ''}against ${OBSERVER_NAMES[o.view]}, ${best!.w.description} would lower the
            share of your devices' traffic it recognises from ${pct(best!.w.meanRecognisedShare + best!.drop)}
            to ${pct(best!.w.meanRecognisedShare)}, for ${perMonth(best!.w, audit)} of extra data`,
        )}.
        Defences that more than double your traffic are in the appendix.
      </li>`,
    );
  const cameras = audit.devices.filter(
    (d) =>
      (d.category === 'camera' ||
        audit.observers.some(
          (o) => o.devices.find((r) => r.mac === d.mac)?.identity.category?.category === 'camera',
        )) &&
      findings.some((f) => f.device === d.mac && f.kind === 'activity' && f.severity !== 'info'),
  );
  if (cameras.length > 0)
    items.push(
      html`<li>
        <strong>${cameras.map((d) => deviceName(d)).join(', ')}:</strong> an outsider can see when
        ${cameras.length === 1 ? 'it uploads' : 'they upload'}. Where a camera offers a local mode (recording
        to a card or a hub in the home), its recordings no longer cross the internet.
      </li>`,
    );
  if (items.length === 0) return html``;
  return html`<section class="todo">
    <h2>What you can do</h2>
    <ul>
      ${items}
    </ul>
  </section>`;
}

/** A timeline as an SVG strip across [start, end): busy dark, idle light, asleep pale. */
function strip(t: ActivityTimeline | null, start: number, end: number, width = 600, height = 14): Html {
  const x = (s: number): number => ((Math.max(start, Math.min(end, s)) - start) / (end - start)) * width;
  const fill = { busy: '#b3261e', idle: '#9aa7b8', asleep: '#e3e7ee' } as const;
  const rects = (t?.segments ?? [])
    .filter((s) => s.end > start && s.start < end)
    .map((s) => {
      // a short busy span stays visible: at least one point wide
      const w = Math.max(s.state === 'busy' ? 1.2 : 0, x(s.end) - x(s.start));
      return html`<rect
        x="${x(s.start).toFixed(2)}"
        y="0"
        width="${w.toFixed(2)}"
        height="${height}"
        fill="${fill[s.state]}"
      />`;
    });
  return html`<svg class="strip" viewBox="0 0 ${width} ${height}" preserveAspectRatio="none" role="img">
    <rect
      x="0"
      y="0"
      width="${width}"
      height="${height}"
      fill="#ffffff"
      stroke="#c9ced6"
      stroke-width="0.5"
    />
    ${rects}
  </svg>`;
}

/** The sentence on a device's refused connection attempts when there were many (shared/device-verdict.ts; what they mean is in the methods), wrapped; else ''. */
function refusalsNote(
  t: ActivityTimeline,
  zone: string,
  wrap: (text: string) => Html | string,
): Html | string {
  const r = t.refusals;
  if (r === undefined || r.count < MIN_REFUSALS_TO_TELL) return '';
  return wrap(
    refusalsText(r.count.toLocaleString('en-US'), localTime(r.first, zone), localTime(r.last, zone), false),
  );
}

function deviceSection(
  d: DeviceAudit,
  audit: HomeAudit,
  findings: readonly Finding[],
  zone: string,
  start: number,
  end: number,
): Html {
  const own = findings.filter((f) => f.device === d.mac && f.severity !== 'info');
  const spans = d.truth.spans
    .filter((s) => !s.routine)
    .sort((a, b) => b.bytesUp + b.bytesDown + b.bytesLocal - (a.bytesUp + a.bytesDown + a.bytesLocal))
    .slice(0, 3)
    .sort((a, b) => a.start - b.start);
  const rows = [
    { name: 'What it did', t: d.truth },
    ...audit.observers.map((o) => ({
      name: o.view === 'napt' ? 'Your ISP sees' : 'Your VPN carrier sees',
      t: o.devices.find((r) => r.mac === d.mac)?.inferred ?? null,
    })),
  ];
  const exposure = deviceExposures(audit, d.mac);
  const action = actionOf(audit, d.mac, kindOfDevice(d.category, d.trueLabel ?? '', exposure), exposure);
  const kind = kindOf(d, audit);
  return html`<section class="device">
    <div class="head">
      <h3>${deviceName(d)}${kind === null ? '' : html` <span class="kind">${kind}</span>`}</h3>
      <table class="timelines">
        ${rows.map(
          (r) =>
            html`<tr>
              <th>${r.name}</th>
              <td>${strip(r.t, start, end)}</td>
              <td class="num">${busyWords(r.t)}</td>
            </tr>`,
        )}
        <tr>
          <th></th>
          <td class="axis"><span>${localTime(start, zone)}</span><span>${localTime(end, zone)}</span></td>
          <td></td>
        </tr>
      </table>
    </div>
    ${
      spans.length === 0
        ? html`<p class="spans">It was never busy in this capture.</p>`
        : html`<p class="spans">
            <strong>Busiest:</strong> ${spans.map(
              (x, k) =>
                html`${k > 0 ? '; ' : ''}${localTime(x.start, zone)}${
                  x.end - x.start >= 60 ? html`–${localTime(x.end, zone, false)}` : ''
                }:
                ${x.description}`,
            )}.
          </p>`
    }
    ${refusalsNote(d.truth, zone, (text) => html`<p class="spans">${text}</p>`)}
    ${
      own.length === 0
        ? ''
        : html`<ul class="findings">
            ${own.map((f) => html`<li class="${f.severity}"><span class="badge">${f.severity}</span> ${f.title}</li>`)}
          </ul>`
    }
    ${
      action === null || action.kind === 'nothing-needed'
        ? ''
        : html`<p class="advice"><strong>What helps: ${action.title}.</strong> ${action.detail}</p>`
    }
  </section>`;
}

const STYLE = `
@page { margin: 20mm 14mm 16mm 14mm; }
* { box-sizing: border-box; }
html { color-scheme: light; }
body { font-family: 'DejaVu Sans', sans-serif; font-size: 9.5pt; line-height: 1.4; color: #1b1f24; background: #fff; margin: 0; }
h1 { font-size: 20pt; margin: 0 0 4mm; }
h2 { font-size: 14pt; margin: 8mm 0 3mm; break-after: avoid; border-bottom: 1px solid #c9ced6; padding-bottom: 1mm; }
h2.page { break-before: page; margin-top: 0; }
h3 { font-size: 11pt; margin: 0 0 1mm; }
.kind { font-weight: normal; color: #4b5563; font-size: 9.5pt; margin-left: 2mm; }
p { margin: 0 0 2mm; }
.verdict { font-size: 11.5pt; margin-bottom: 3mm; }
.facts { width: 100%; border-collapse: collapse; margin-top: 6mm; }
.facts th { text-align: left; width: 32%; color: #4b5563; font-weight: normal; padding: 1mm 0; vertical-align: top; }
.facts td { padding: 1mm 0; overflow-wrap: anywhere; }
table.list { width: 100%; border-collapse: collapse; table-layout: fixed; font-size: 8.5pt; }
table.list th, table.list td { border-bottom: 1px solid #e3e7ee; padding: 1.2mm 1.5mm 1.2mm 0; text-align: left; vertical-align: top; overflow-wrap: anywhere; }
table.list th { color: #4b5563; font-weight: bold; }
table.list tr { break-inside: avoid; }
.num { text-align: right; white-space: nowrap; }
section.device { margin: 0 0 4mm; font-size: 8.5pt; line-height: 1.3; }
section.device .head { break-inside: avoid; break-after: avoid; }
section.device li, section.device p { break-inside: avoid; }
table.timelines { width: 100%; border-collapse: collapse; table-layout: fixed; margin-bottom: 1mm; }
table.timelines th { width: 32mm; text-align: left; font-weight: normal; color: #4b5563; font-size: 8pt; padding: 0.3mm 2mm 0.3mm 0; white-space: nowrap; }
table.timelines td { padding: 0.3mm 0; }
table.timelines td.num { width: 20mm; font-size: 8pt; color: #4b5563; padding-left: 2mm; }
svg.strip { display: block; width: 100%; height: 3mm; }
td.axis { display: flex; justify-content: space-between; font-size: 7.5pt; color: #4b5563; }
.label { font-weight: bold; margin-top: 2mm; }
ul { margin: 0 0 2mm; padding-left: 5mm; }
ul.findings { list-style: none; padding: 0; margin: 1mm 0 1mm; }
ul.findings li { margin: 0 0 0.6mm; padding-left: 2mm; border-left: 2pt solid #9aa7b8; }
ul.findings li.high { border-color: #b3261e; }
ul.findings li.medium { border-color: #8a5a00; }
ul.findings li.high .badge, .badge.high { color: #b3261e; }
ul.findings li.medium .badge, .badge.medium { color: #8a5a00; }
p.spans, p.advice { font-size: 8pt; margin-bottom: 1mm; }
.appendix-findings { column-count: 2; column-gap: 6mm; font-size: 7.5pt; line-height: 1.25; }
.af { break-inside: avoid; margin: 0 0 1.2mm; padding-left: 2mm; border-left: 1.5pt solid #9aa7b8; overflow-wrap: anywhere; }
.af.high { border-color: #b3261e; }
.af.medium { border-color: #8a5a00; }
table.evidence-table { font-size: 7.5pt; }
table.evidence-table th, table.evidence-table td { padding: 0.6mm 1.2mm 0.6mm 0; border-bottom: none; }
table.evidence-table tr.first td { border-top: 1px solid #c9ced6; }
.finding { border-left: 2.5pt solid #9aa7b8; padding: 0.5mm 0 0.5mm 3mm; margin: 2mm 0; break-inside: avoid; }
.finding.high { border-color: #b3261e; }
.finding.medium { border-color: #8a5a00; }
.finding .title { font-weight: bold; margin-bottom: 1mm; }
.finding .advice { color: #2f3640; }
.badge { display: inline-block; white-space: nowrap; font-size: 6.5pt; text-transform: uppercase; letter-spacing: 0.05em; border: 1px solid currentColor; border-radius: 2pt; padding: 0 1.2mm; margin-right: 1mm; }
.finding.high .badge { color: #b3261e; }
.finding.medium .badge { color: #8a5a00; }
.quiet li { margin-bottom: 1mm; }
section.todo li { margin-bottom: 1.5mm; }
.legend span { display: inline-block; width: 3mm; height: 3mm; margin: 0 1mm 0 3mm; vertical-align: -0.4mm; }
.small { font-size: 8.5pt; color: #4b5563; }
.evidence { color: #4b5563; }
`;

/**
 * The running header and the page numbers a printer adds to every page (Chromium's header and
 * footer templates: playwright-core's page.pdf and Electron's printToPDF take the same).
 */
export function printTemplates(title: string): { headerTemplate: string; footerTemplate: string } {
  const style =
    'font-family: DejaVu Sans, sans-serif; font-size: 7pt; color: #4b5563; width: 100%; margin: 0 14mm;';
  return {
    headerTemplate: `<div style="${style}">Telltale privacy report — ${escapeHtml(title)}</div>`,
    footerTemplate: `<div style="${style} text-align: right;">page <span class="pageNumber"></span> of <span class="totalPages"></span></div>`,
  };
}

/** The title a report was made with (its running header), read back from its HTML. */
export function reportTitle(html: string): string {
  const m = /<title>Telltale privacy report — ([^<]*)<\/title>/.exec(html);
  const decoded = (m?.[1] ?? '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
  return decoded;
}

/** The report (see the module comment) as one HTML document. */
export function renderReport(audit: HomeAudit, findings: readonly Finding[], meta: ReportMeta): string {
  const zone = meta.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
  const start = audit.start ?? 0;
  const end = Math.max(start + 60, audit.end ?? start);
  const onlyDevice = meta.device ?? null;
  // views whose what-if recognition figures measure something
  const measured = recognisingViews(audit);
  const devices = audit.devices.filter((d) => onlyDevice === null || d.mac === onlyDevice);
  const leaking = devices.filter((d) => leaks(findings, d.mac));
  // findings no device section shows: the home's own, and those about quiet devices
  const shown = new Set(leaking.map((d) => d.mac));
  const others = findings.filter(
    (f) =>
      f.kind !== 'defence' &&
      (f.device === null
        ? onlyDevice === null
        : devices.some((d) => d.mac === f.device) && !shown.has(f.device)),
  );
  const quiet = devices.filter((d) => !leaks(findings, d.mac));
  const covered = coveredSeconds(audit);
  const gaps = Math.max(0, audit.coverage.length - 1);
  const models = audit.observers.map((o) => `${o.observer}: ${o.modelId}`).join('; ');
  const smart = audit.devices.filter((d) => d.category?.startsWith('NON-IOT') !== true);
  const observersHead = audit.observers.map((o) => (o.view === 'napt' ? 'ISP' : 'VPN carrier'));

  const cover = html`<section class="cover">
    <h1>What your home's traffic gives away</h1>
    <p class="small">Telltale privacy report — ${meta.title}</p>
    ${verdict(audit, zone)}
    <table class="facts">
      <tr>
        <th>Capture</th>
        <td>
          ${audit.start === null ? 'no packets' : html`${localTime(start, zone)} to ${localTime(end, zone)} (${formatDuration(end - start)}), times in ${zoneLabel(zone, start)}`}
        </td>
      </tr>
      <tr>
        <th>What was seen</th>
        <td>
          ${audit.devices.length}
          device${audit.devices.length === 1 ? '' : 's'}${smart.length < audit.devices.length ? ` (${smart.length} of them smart-home devices)` : ''},
          ${audit.packets} packets over ${formatDuration(covered)} of
          traffic${gaps > 0 ? `, with ${gaps} gap${gaps === 1 ? '' : 's'} where nothing was captured` : ''}
        </td>
      </tr>
      <tr>
        <th>Files</th>
        <td>
          ${meta.captures.length <= 3 ? meta.captures.join(', ') : `${meta.captures.length} capture files`}
        </td>
      </tr>
      <tr>
        <th>Made</th>
        <td>${localTime(meta.generatedAt.getTime() / 1000, zone)} by Telltale ${meta.telltaleVersion}</td>
      </tr>
      <tr>
        <th>Models</th>
        <td>${models || 'none'}</td>
      </tr>
    </table>
  </section>`;

  const household = html`<section>
    <h2 class="page">Your household</h2>
    <p>
      Every device Telltale found, what each outside observer can tell about it, and when it can see it at
      work. <em>Recognised</em>: our catalog named it and the device passed its test. <em>Learned</em>: the
      share of its traffic an ISP or VPN carrier that has learned devices like yours names correctly (measured
      on this capture: its later traffic, after learning from the earlier). <em>Busy seen</em>: of the times
      the device was busy, how many the observer sees.
    </p>
    <table class="list">
      <colgroup>
        <col style="width:17%" />
        <col style="width:11%" />
        ${audit.observers.map(
          () =>
            html`<col style="width:22%" />
              <col style="width:8%" />`,
        )}
        <col style="width:12%" />
      </colgroup>
      <thead>
        <tr>
          <th>Device</th>
          <th>Kind</th>
          ${observersHead.map(
            (h) =>
              html`<th>${h}: who it is</th>
                <th>${h}: busy seen</th>`,
          )}
          <th>Talks to</th>
        </tr>
      </thead>
      <tbody>
        ${devices.map(
          (d) =>
            html`<tr>
              <td>${deviceName(d)}</td>
              <td>${kindOf(d, audit) ?? '–'}</td>
              ${audit.observers.map(
                (o) =>
                  html`<td>${identityWords(o, d.mac).text}</td>
                    <td>${activityWords(o, d.mac)}</td>`,
              )}
              <td>${talksTo(d)}</td>
            </tr>`,
        )}
      </tbody>
    </table>
  </section>`;

  const sections = html`<section>
    <h2>Device by device</h2>
    <p class="legend small">
      Timelines across the whole capture: <span style="background:#b3261e"></span>busy
      <span style="background:#9aa7b8"></span>idle <span style="background:#e3e7ee"></span>asleep; blank where
      the observer saw nothing.
    </p>
    ${leaking.map((d) => deviceSection(d, audit, findings, zone, start, end))}
    ${
      quiet.length === 0
        ? ''
        : html`<h3>Quiet devices</h3>
            <ul class="quiet">
              ${quiet.map(
                (d) =>
                  html`<li>
                    <strong>${deviceName(d)}</strong>: gives little away —
                    ${audit.observers.map((o, i) => html`${i > 0 ? '; ' : ''}${OBSERVER_NAMES[o.view]}: ${identityWords(o, d.mac).text}`)}.
                    ${refusalsNote(d.truth, zone, (text) => text)}
                  </li>`,
              )}
            </ul>`
    }
  </section>`;

  // how the wider catalog held on kinds it never saw, as every NAPT answer of it carries
  const wide = audit.observers.flatMap((o) => o.devices).find((r) => r.identity.wide?.heldOut != null);
  const wideHeld = wide?.identity.wide?.heldOut ?? null;
  const methods = html`<section>
    <h2>How this was measured, and its limits</h2>
    <p>
      <strong>The observers.</strong> Telltale replays the capture as your ISP would see it behind your router
      (NAPT: addresses and ports of the router's flows, packet sizes and timing) and as a VPN's carrier would
      (one encrypted tunnel: sizes and timing only). What each can tell is measured on the capture itself;
      nothing left this computer.
    </p>
    <p>
      <strong>Who a device is.</strong> Two measures: our catalog of devices, trained on another home, names a
      device only when all its traffic passes a device-level test (for your ISP, a wider catalog of devices
      from other labs' captures also names one, only when it passes the same test and talks to a site only
      that kind's devices used in its data); and an observer that learns your own devices is trained on the
      earlier part of this capture and tested on the later part, which is what an ISP with labelled traffic of
      devices like yours could do.
    </p>
    ${(meta.models ?? []).map(
      (m) =>
        html`<p class="small">
          ${capitalised(OBSERVER_NAMES[m.view])}: model ${m.modelId}.
          ${
            m.macroRecall === null
              ? ''
              : html`On the home it learned from it names ${(100 * m.macroRecall).toFixed(1)} % of each
                device's packets right (macro recall on hours it did not learn from).`
          }
          ${
            m.unseen === null
              ? html`How it does on devices of other homes was not measured with these models.`
              : html`A device it never saw it cannot name, yet its answers take it for one it knows: on
                ${m.unseen.instances} captures of devices of other labs, its most frequent answer named
                ${m.unseen.baselineNamed} as a device they are not. The device-level test keeps those out: it
                let ${m.unseen.named === 0 ? 'none' : m.unseen.named}
                through${
                  m.unseen.named === 0 ? '' : html` (at most ${finePct(m.unseen.worstShare)} of one lab's)`
                }.`
          }
        </p>`,
    )}
    ${
      wideHeld === null
        ? ''
        : html`<p class="small">
            Your ISP's wider catalog, of devices from every labelled dataset we have: tested on
            ${wideHeld.instances} captures of devices of kinds it had not learned (one kind left out at a
            time), it named
            ${wideHeld.named === 0 ? 'none' : `${wideHeld.named} (${finePct(wideHeld.named / wideHeld.instances)})`}
            as a kind they are not.
          </p>`
    }
    <p>
      <strong>When a device is busy.</strong> Busy spans are found from each device's own traffic: a burst
      well above its usual rate, or traffic of a kind it does not usually send. Its own timers (regular
      heartbeats) count as idle, and so do name lookups, network housekeeping and connection attempts a server
      refused: a device that cannot get out keeps trying, and trying again is not someone using it. An
      observer "sees" a busy span when its view of the device is busy at the same time.
    </p>
    <p>
      <strong>Limits.</strong> Only what this capture holds: ${formatDuration(covered)} of
      traffic${gaps > 0 ? ` in ${audit.coverage.length} stretches` : ''}; devices that were quiet may be busy
      at other times. Traffic between devices inside your home is not seen by either observer. The defences
      are simulated on this
      capture${audit.whatIfs.some((w) => w.sample !== null) ? ', on a sample of it for long captures' : ''},
      not tried on your network.
    </p>
  </section>`;

  const appendix = html`<section>
    <h2 class="page">Appendix: details for researchers</h2>
    <h3>The evidence, device by device</h3>
    <p class="small">
      <em>Catalog</em>: the default model's most frequent answer for the device's packets and its share, and
      the share of its packets with that class's packet sizes (the device-level test asks for
      ${pct(CATALOG_MIN_SHARE)} and ${pct(CATALOG_MIN_COVERAGE)}). <em>Kind</em>: the category model's answer
      over hourly summaries (in brackets: its best answer, below the level at which it names a kind).
      <em>Learned</em>: the observer trained on this home, share of its later packets named right (95 %
      interval) and of its connections by majority. <em>Busy seen</em>: busy spans seen of all, and busy
      stretches a day the observer sees when the device was not busy.
    </p>
    <table class="list evidence-table">
      ${colgroup([14, 9, 8, 25, 14, 15, 15])}
      <thead>
        <tr>
          <th>Device</th>
          <th>Seen by</th>
          <th class="num">Packets</th>
          <th>Catalog</th>
          <th>Kind</th>
          <th>Learned</th>
          <th>Busy seen</th>
        </tr>
      </thead>
      <tbody>
        ${devices.flatMap((d) =>
          audit.observers.map((o, i) => {
            const r = o.devices.find((x) => x.mac === d.mac);
            return html`<tr class="${i === 0 ? 'first' : ''}">
              <td>${i === 0 ? deviceName(d) : ''}</td>
              <td>${o.view === 'napt' ? 'ISP' : 'VPN'}</td>
              <td class="num">${r?.identity.packets ?? 0}</td>
              ${
                r === undefined || r.identity.packets === 0
                  ? html`<td colspan="4">sees none of its traffic</td>`
                  : html`<td>${catalogCell(r)}</td>
                      <td>${kindCell(r)}</td>
                      <td>${learnedCell(o, d.mac)}</td>
                      <td>
                        ${
                          r.activity.spansTotal === 0
                            ? '–'
                            : `${r.activity.spansSeen} / ${r.activity.spansTotal}; ${r.activity.falseBusyPerDay.toFixed(1)} false/day`
                        }
                      </td>`
              }
            </tr>`;
          }),
        )}
      </tbody>
    </table>
    ${
      others.length === 0
        ? ''
        : html`<h3>Other findings</h3>
            <div class="appendix-findings">
              ${others.map(
                (f) =>
                  html`<div class="af ${f.severity}">
                    <span class="badge ${f.severity}">${f.severity}</span> ${f.title}
                  </div>`,
              )}
            </div>`
    }
    <p class="small">
      Every finding with its evidence in words is in findings.csv (Telltale's CSV export); the findings about
      each device are in its section
      above${audit.whatIfs.length === 0 ? '' : ', those of the defences tried in the table below'}.
    </p>
    ${
      audit.whatIfs.length === 0
        ? ''
        : html`<h3>Defences tried (what-ifs)</h3>
            <p class="small">
              Recognised: the share of their packets the catalog still names right, over the devices it
              recognises without the defence (– where it recognises none).
            </p>
            <table class="list">
              ${colgroup([31, 17, 11, 11, 13, 17])}
              <thead>
                <tr>
                  <th>Defence</th>
                  <th>Observer</th>
                  <th class="num">Recognised</th>
                  <th class="num">Busy seen</th>
                  <th class="num">Extra</th>
                  <th class="num">Extra a month</th>
                </tr>
              </thead>
              <tbody>
                ${audit.whatIfs.map(
                  (w) =>
                    html`<tr>
                      <td>${w.description}</td>
                      <td>${w.observer}</td>
                      <td class="num">${measured.has(w.view) ? pct(w.meanRecognisedShare) : '–'}</td>
                      <td class="num">${w.spansSeen} / ${w.spansTotal}</td>
                      <td class="num">+${pct(w.costShare)}</td>
                      <td class="num">${monthlyBytes(w, audit)}</td>
                    </tr>`,
                )}
              </tbody>
            </table>`
    }
    <h3>Models</h3>
    <table class="list">
      <thead>
        <tr>
          <th>Observer</th>
          <th>Model</th>
          <th class="num">Classes</th>
          <th class="num">Unknown below</th>
          <th class="num">Packets labelled</th>
        </tr>
      </thead>
      <tbody>
        ${audit.observers.map(
          (o) =>
            html`<tr>
              <td>${o.observer}</td>
              <td>${o.modelId}</td>
              <td class="num">${o.labels.length}</td>
              <td class="num">${o.unknownThreshold.toFixed(2)}</td>
              <td class="num">${o.packets}</td>
            </tr>`,
        )}
      </tbody>
    </table>
  </section>`;

  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>Telltale privacy report — ${escapeHtml(meta.title)}</title>
<style>@page { size: ${meta.paper}; }${STYLE}</style></head>
<body>
${cover.text}
${onlyDevice === null ? household.text : ''}
${whatYouCanDo(audit, findings).text}
${sections.text}
${methods.text}
${appendix.text}
</body></html>
`;
}
